"""The narrow interface to Cloud Run: list a location's services, read a revision, update a
service. Retries fit each call; every failure leaves as a LiveStateError."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from google.cloud import run_v2

from deploytool.cloudrun.connect import Clients, ConnectionSettings, build_clients
from deploytool.cloudrun.convert import revision_from_proto, service_from_proto
from deploytool.cloudrun.failures import translate
from deploytool.cloudrun.paging import read_pages
from deploytool.cloudrun.retrying import RetryListener, RetryWatch, read_retry
from deploytool.core.model import LiveRevision, LiveService

log = logging.getLogger("deploytool.cloudrun")
T = TypeVar("T")

PAGE_SIZE = 500


class CloudRunGateway:
    """One per run; safe to share across threads (the REST clients use a requests Session)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        clients: Clients | None = None,
        *,
        on_retry: RetryListener | None = None,
    ) -> None:
        self.settings = settings
        self._clients = clients
        self._lock = threading.Lock()
        self._on_retry = on_retry

    @property
    def clients(self) -> Clients:
        with self._lock:  # built once, lazily: importing run_v2 costs ~0.3 s
            if self._clients is None:
                self._clients = build_clients(self.settings)
            return self._clients

    def connect(self) -> None:
        """Build the clients now; raises CredentialsError (exit 5) when there are none."""
        try:
            _ = self.clients
        except Exception as exc:
            raise translate(exc, doing="connect to Cloud Run") from exc

    @property
    def identity(self) -> str:
        return self.clients.identity

    def _call(self, doing: str, fn: Callable[[], T], service: str | None = None) -> T:
        try:
            return fn()
        except Exception as exc:
            error = translate(
                exc,
                doing=doing,
                service=service,
                endpoint=self.settings.endpoint,
                emulator_host=self.settings.emulator_host,
            )
            raise error from exc

    def _retry(self, deadline: float, watch: RetryWatch) -> Any:
        return read_retry(deadline, watch=watch, emulator=bool(self.settings.emulator_host))

    def _get(self, doing: str, get: Callable[..., T], name: str, service: str | None) -> T:
        """One read of one resource, retried within --timeout, each retry announced."""
        watch = RetryWatch(doing, self._on_retry)
        deadline = self.settings.timeout
        return self._call(
            doing,
            lambda: get(name=name, retry=self._retry(deadline, watch), timeout=deadline),
            service=service,
        )

    def list_services(self, project: str, region: str) -> list[LiveService]:
        """Every service of one (project, region): one paginated list, never a get each."""
        parent = f"projects/{project}/locations/{region}"
        doing = f"list services in {project}/{region}"
        watch = RetryWatch(doing, self._on_retry)

        def page(token: str, left: float) -> Any:
            watch.new_request()
            request = run_v2.ListServicesRequest(
                parent=parent, page_size=PAGE_SIZE, page_token=token
            )
            # A pager holding only this page: the next ones are asked for by read_pages.
            # The per-attempt timeout is what is left of the deadline (api_core counts it
            # down across the retries of this page).
            return self.clients.services.list_services(
                request=request, retry=self._retry(left, watch), timeout=left
            )

        def run() -> list[LiveService]:
            pages = read_pages(page, doing=doing, deadline=self.settings.timeout)
            return [service_from_proto(s) for p in pages for s in p.services]

        log.debug("list services in %s", parent)
        return self._call(doing, run)

    def get_revision(self, project: str, region: str, service: str, revision: str) -> LiveRevision:
        name = f"projects/{project}/locations/{region}/services/{service}/revisions/{revision}"
        log.debug("get revision %s", name)
        doing = f"read revision {revision} of {service}"
        proto = self._get(doing, self.clients.revisions.get_revision, name, service)
        return revision_from_proto(proto)

    def get_service_proto(self, project: str, region: str, service: str) -> Any:
        """The full Service message, for a read-modify-write by the apply adapter only."""
        name = f"projects/{project}/locations/{region}/services/{service}"
        return self._get(
            f"read service {service}", self.clients.services.get_service, name, service
        )

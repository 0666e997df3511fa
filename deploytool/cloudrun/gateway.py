"""The narrow interface to Cloud Run: list a location's services, read a revision, update a
service. Retries fit each call; every failure leaves as a LiveStateError."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from google.api_core import retry as gretry
from google.cloud import run_v2

from deploytool.cloudrun.connect import Clients, ConnectionSettings, build_clients
from deploytool.cloudrun.convert import revision_from_proto, service_from_proto
from deploytool.cloudrun.failures import is_transient, translate
from deploytool.core.model import LiveRevision, LiveService

log = logging.getLogger("deploytool.cloudrun")
T = TypeVar("T")

PAGE_SIZE = 500


def read_retry(deadline: float) -> gretry.Retry:
    """Reads are idempotent: retry 429, 5xx and dropped connections with backoff and jitter
    (api_core's Retry adds the jitter) until the total deadline."""
    return gretry.Retry(
        predicate=is_transient,
        initial=0.1,
        maximum=min(5.0, max(deadline / 4, 0.2)),
        multiplier=2.0,
        timeout=deadline,
    )


class CloudRunGateway:
    """One per run; safe to share across threads (the REST clients use a requests Session)."""

    def __init__(self, settings: ConnectionSettings, clients: Clients | None = None) -> None:
        self.settings = settings
        self._clients = clients
        self._lock = threading.Lock()

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
            error = translate(exc, doing=doing, service=service, endpoint=self.settings.endpoint)
            raise error from exc

    def list_services(self, project: str, region: str) -> list[LiveService]:
        """Every service of one (project, region): one paginated list, never a get each."""
        parent = f"projects/{project}/locations/{region}"
        per_request = min(self.settings.timeout, 30.0)

        def run() -> list[LiveService]:
            pager = self.clients.services.list_services(
                request=run_v2.ListServicesRequest(parent=parent, page_size=PAGE_SIZE),
                retry=read_retry(self.settings.timeout),
                timeout=per_request,
            )
            return [service_from_proto(s) for s in pager]

        log.debug("list services in %s", parent)
        return self._call(f"list services in {project}/{region}", run)

    def get_revision(self, project: str, region: str, service: str, revision: str) -> LiveRevision:
        name = f"projects/{project}/locations/{region}/services/{service}/revisions/{revision}"
        log.debug("get revision %s", name)
        return self._call(
            f"read revision {revision} of {service}",
            lambda: revision_from_proto(
                self.clients.revisions.get_revision(
                    name=name,
                    retry=read_retry(self.settings.timeout),
                    timeout=min(self.settings.timeout, 30.0),
                )
            ),
            service=service,
        )

    def get_service_proto(self, project: str, region: str, service: str) -> Any:
        """The full Service message, for a read-modify-write by the apply adapter only."""
        name = f"projects/{project}/locations/{region}/services/{service}"
        return self._call(
            f"read service {service}",
            lambda: self.clients.services.get_service(
                name=name,
                retry=read_retry(self.settings.timeout),
                timeout=min(self.settings.timeout, 30.0),
            ),
            service=service,
        )

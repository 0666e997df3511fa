"""The narrow interface to Cloud Run: list a location's services, read a revision, update a
service. Retries fit each call; every failure leaves as a LiveStateError."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from google.cloud import run_v2

from deploytool.cloudrun.connect import Clients, ConnectionSettings, build_clients
from deploytool.cloudrun.convert import revision_from_proto, service_from_proto
from deploytool.cloudrun.convert_job import execution_from_proto, job_from_proto
from deploytool.cloudrun.convert_worker_pool import worker_pool_from_proto
from deploytool.cloudrun.failures import translate
from deploytool.cloudrun.paging import read_pages
from deploytool.cloudrun.retrying import RetryListener, RetryWatch, read_retry
from deploytool.core.model import (
    JOB,
    SERVICE,
    WORKER_POOL,
    LiveExecution,
    LiveRevision,
    LiveService,
    LiveWorkload,
)

log = logging.getLogger("deploytool.cloudrun")
T = TypeVar("T")

PAGE_SIZE = 500
# The URL collection of each kind: `projects/P/locations/L/<collection>/NAME`.
COLLECTIONS = {SERVICE: "services", JOB: "jobs", WORKER_POOL: "workerPools"}


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

    def _list(
        self,
        doing: str,
        call: Callable[..., Any],
        request: Any,
        field: str,
        convert: Callable[[Any], T],
    ) -> list[T]:
        """Every item of one paginated list: pages followed by read_pages (a repeated token
        fails closed), each page retried within what is left of --timeout."""
        watch = RetryWatch(doing, self._on_retry)

        def page(token: str, left: float) -> Any:
            watch.new_request()
            request.page_token = token
            # A pager holding only this page: the next ones are asked for by read_pages.
            # The per-attempt timeout is what is left of the deadline (api_core counts it
            # down across the retries of this page).
            return call(request=request, retry=self._retry(left, watch), timeout=left)

        def run() -> list[T]:
            pages = read_pages(page, doing=doing, deadline=self.settings.timeout)
            return [convert(item) for p in pages for item in getattr(p, field)]

        log.debug("%s", doing)
        return self._call(doing, run)

    def list_services(self, project: str, region: str) -> list[LiveService]:
        """Every service of one (project, region): one paginated list, never a get each."""
        return self._list(
            f"list services in {project}/{region}",
            self.clients.services.list_services,
            run_v2.ListServicesRequest(
                parent=f"projects/{project}/locations/{region}", page_size=PAGE_SIZE
            ),
            "services",
            service_from_proto,
        )

    def list_jobs(self, project: str, region: str) -> list[LiveWorkload]:
        """Every job of one (project, region): one paginated list."""
        return self._list(
            f"list jobs in {project}/{region}",
            self.clients.jobs.list_jobs,
            run_v2.ListJobsRequest(
                parent=f"projects/{project}/locations/{region}", page_size=PAGE_SIZE
            ),
            "jobs",
            job_from_proto,
        )

    def list_worker_pools(self, project: str, region: str) -> list[LiveWorkload]:
        """Every worker pool of one (project, region): one paginated list."""
        return self._list(
            f"list worker pools in {project}/{region}",
            self.clients.worker_pools.list_worker_pools,
            run_v2.ListWorkerPoolsRequest(
                parent=f"projects/{project}/locations/{region}", page_size=PAGE_SIZE
            ),
            "worker_pools",
            worker_pool_from_proto,
        )

    def list_executions(self, project: str, region: str) -> list[LiveExecution]:
        """Every execution of every job of one (project, region): the `jobs/-` wildcard the
        API documents, one paginated list, never one per job."""
        return self._list(
            f"list job executions in {project}/{region}",
            self.clients.executions.list_executions,
            run_v2.ListExecutionsRequest(
                parent=f"projects/{project}/locations/{region}/jobs/-", page_size=PAGE_SIZE
            ),
            "executions",
            execution_from_proto,
        )

    def list_workloads(self, kind: str, project: str, region: str) -> list[LiveWorkload]:
        lists = {
            SERVICE: self.list_services,
            JOB: self.list_jobs,
            WORKER_POOL: self.list_worker_pools,
        }
        return lists[kind](project, region)

    def get_revision(
        self, project: str, region: str, service: str, revision: str, kind: str = SERVICE
    ) -> LiveRevision:
        """A revision of a service or (kind worker_pool) of a worker pool."""
        collection = COLLECTIONS[kind]
        name = f"projects/{project}/locations/{region}/{collection}/{service}/revisions/{revision}"
        log.debug("get revision %s", name)
        doing = f"read revision {revision} of {service}"
        proto = self._get(doing, self.clients.revisions.get_revision, name, service)
        return replace(revision_from_proto(proto), kind=kind)

    def get_service_proto(self, project: str, region: str, service: str) -> Any:
        """The full Service message, for a read-modify-write by the apply adapter only."""
        name = f"projects/{project}/locations/{region}/services/{service}"
        return self._get(
            f"read service {service}", self.clients.services.get_service, name, service
        )

    def get_workload_proto(self, kind: str, project: str, region: str, name: str) -> Any:
        """The full Service, Job or WorkerPool message, for the apply adapter only."""
        if kind == SERVICE:
            return self.get_service_proto(project, region, name)
        resource = f"projects/{project}/locations/{region}/{COLLECTIONS[kind]}/{name}"
        get = (
            self.clients.jobs.get_job if kind == JOB else self.clients.worker_pools.get_worker_pool
        )
        return self._get(f"read {kind.replace('_', ' ')} {name}", get, resource, name)

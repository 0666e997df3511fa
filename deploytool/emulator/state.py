"""EmulatorState: the services and revisions the emulator holds, behind one lock (the
operations of their updates are in operation_ledger.py, jobs and worker pools in theirs).

Two faces: a Python API for tests and benchmarks (put/get services, out-of-band changes,
rollout failures), and the API operations the HTTP layer calls (which raise ApiError).
Every message handed out is a copy, so callers never hold a reference into the store.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from google.cloud import run_v2
from google.longrunning import operations_pb2

from deploytool.emulator.assets import ProjectDirectory
from deploytool.emulator.errors import ApiError
from deploytool.emulator.faults import FaultPlan
from deploytool.emulator.jobs import JobStore
from deploytool.emulator.listing import check_services_parent, revisions_page, services_page
from deploytool.emulator.operation_ledger import OperationLedger, finish
from deploytool.emulator.operations import operation_message
from deploytool.emulator.resources import ServiceName, split_revision_name
from deploytool.emulator.rollout import (
    bump,
    copy_revision,
    copy_service,
    plan_update,
    prepare_spec,
    retarget_traffic,
    settle_rollout,
    start_rollout,
)
from deploytool.emulator.seeding import complete_revision, complete_service
from deploytool.emulator.validation import check_etag
from deploytool.emulator.worker_pools import WorkerPoolStore


class EmulatorState:
    """Everything the emulator serves. Thread-safe: one re-entrant lock around all of it."""

    def __init__(self, seed: int = 0, faults: FaultPlan | None = None) -> None:
        self._lock = threading.RLock()
        self._services: dict[str, run_v2.Service] = {}
        # service name -> full revision name -> revision
        self._revisions: dict[str, dict[str, run_v2.Revision]] = {}
        self._fail_rollout: dict[str, str] = {}
        self._rng = random.Random(seed)
        self.faults = faults if faults is not None else FaultPlan(seed)
        # Seconds a rollout's operation stays not done; Emulator(operation_delay=) sets it.
        self.operation_delay = 0.0
        # The long-running operations of updates, and settling them (operation_ledger.py).
        self.operations = OperationLedger(
            self._lock, self._services, self._revisions, self._fail_rollout
        )
        # The other kinds, each in its own module, under the same lock.
        self.jobs = JobStore(self._lock)
        self.worker_pools = WorkerPoolStore(self._lock, self._rng)
        # Project numbers, folders and organisations, for the Asset API (assets.py).
        self.projects = ProjectDirectory()

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> EmulatorState:
        """Build from the state-file structure (see statefile.py); StateFileError if invalid."""
        from deploytool.emulator.statefile import state_from_dict

        return state_from_dict(data, source)

    @classmethod
    def from_file(cls, path: str | Path) -> EmulatorState:
        """Load a YAML (default) or JSON (`.json`) state file; StateFileError if invalid."""
        from deploytool.emulator.statefile import load_state_file

        return load_state_file(Path(path))

    # -- Python API ---------------------------------------------------------------------

    def put_service(self, service: run_v2.Service) -> run_v2.Service:
        """Store (or replace) a service as seeded: missing server-owned fields are filled in,
        and one ready revision is cut from its template unless its latest created revision
        is already stored. Returns the stored copy."""
        service = copy_service(service)
        with self._lock:
            ServiceName.parse(service.name)
            revisions = self._revisions.setdefault(service.name, {})
            created = complete_service(service, revisions, self._rng)
            if created is not None:
                revisions[created.name] = created
            self._services[service.name] = service
            return copy_service(service)

    def add_revision(self, revision: run_v2.Revision) -> run_v2.Revision:
        """Store a revision (e.g. an older one traffic is pinned to); its name must be
        `projects/P/locations/L/services/S/revisions/R`. The service need not exist yet."""
        revision = complete_revision(copy_revision(revision))
        with self._lock:
            self._revisions.setdefault(revision.service, {})[revision.name] = revision
            return copy_revision(revision)

    def get_service(self, name: str) -> run_v2.Service | None:
        with self._lock:
            self.operations.settle()
            service = self._services.get(name)
            return copy_service(service) if service is not None else None

    def get_revision(self, name: str) -> run_v2.Revision | None:
        service, _ = split_revision_name(name)
        with self._lock:
            self.operations.settle()
            revision = self._revisions.get(service, {}).get(name)
            return copy_revision(revision) if revision is not None else None

    def service_names(self) -> list[str]:
        with self._lock:
            return sorted(self._services)

    def workloads(self) -> list[tuple[str, str]]:
        """(kind, full name) of every workload held, for the Asset API's search."""
        with self._lock:
            services = [("service", name) for name in sorted(self._services)]
        return [
            *services,
            *(("job", name) for name in self.jobs.names()),
            *(("worker_pool", name) for name in self.worker_pools.names()),
        ]

    def revision_names(self, service: str) -> list[str]:
        with self._lock:
            return sorted(self._revisions.get(service, {}))

    def delete_service(self, name: str) -> None:
        with self._lock:
            self._services.pop(name, None)
            self._revisions.pop(name, None)

    def set_fail_rollout(self, service: str, message: str | None) -> None:
        """From now on rollouts of `service` fail with `message` (None: they succeed again)."""
        with self._lock:
            if message is None:
                self._fail_rollout.pop(service, None)
            else:
                self._fail_rollout[service] = message

    def set_env(
        self,
        service: str,
        env: Iterable[run_v2.EnvVar],
        container: str | None = None,
        *,
        modifier: str | None = None,
    ) -> run_v2.Service:
        """An out-of-band change (someone ran `gcloud run services update`): replace the env
        of `container` (default: the first), as a real update does (new generation, etag and
        revision; `modifier` is who made it). Returns the service afterwards."""
        with self._lock:
            current = self._require(service)
            body = copy_service(current)
            target = next(
                (c for c in body.template.containers if container in (None, c.name)), None
            )
            if target is None:
                raise ValueError(f"{service} has no container {container!r}")
            target.env = list(env)
            return self._redeploy(current, body, modifier)

    def set_traffic(
        self,
        service: str,
        traffic: Iterable[run_v2.TrafficTarget],
        *,
        modifier: str | None = None,
    ) -> run_v2.Service:
        """An out-of-band `gcloud run services update-traffic` (`--to-revisions`,
        `--set-tags`): only the routing changes, so no revision is cut. Validated as an
        update is (ValueError). Returns the service afterwards."""
        with self._lock:
            self.operations.settle(force_service=service)
            current = self._require(service)
            revisions = self._revisions.get(service, {})
            spec = retarget_traffic(current, traffic, revisions, modifier)
            self._services[service] = spec
            return copy_service(spec)

    def redeploy(self, service: str, *, modifier: str | None = None) -> run_v2.Service:
        """Deploy the same template again: only the etag, generation and revision change."""
        with self._lock:
            current = self._require(service)
            return self._redeploy(current, copy_service(current), modifier)

    # -- API operations (HTTP layer) ----------------------------------------------------

    def list_services(
        self, parent: str, page_size: int, page_token: str | None
    ) -> run_v2.ListServicesResponse:
        check_services_parent(parent)
        with self._lock:
            self.operations.settle()
            return services_page(self._services, parent, page_size, page_token)

    def list_revisions(
        self, service: str, page_size: int, page_token: str | None
    ) -> run_v2.ListRevisionsResponse:
        with self._lock:
            self.operations.settle()
            return revisions_page(self._revisions, service, page_size, page_token)

    def require_service(self, name: str) -> run_v2.Service:
        with self._lock:
            self.operations.settle()
            return copy_service(self._require(name))

    def require_revision(self, name: str) -> run_v2.Revision:
        revision = self.get_revision(name)
        if revision is None:
            raise ApiError.missing("REVISION", name)
        return revision

    def update_service(
        self,
        name: str,
        body: run_v2.Service,
        *,
        validate_only: bool = False,
        allow_missing: bool = False,
        update_mask: Sequence[str] = (),
        force_new_revision: bool = False,
    ) -> operations_pb2.Operation:
        """UpdateService: etag check, validation, then a rollout answered as an Operation
        (see rollout.plan_update; `force_new_revision` is the REST reference's
        `forceNewRevision`)."""
        with self._lock:
            self.operations.settle(force_service=name)
            current = self._services.get(name)
            if current is None and not allow_missing:
                raise ApiError.missing("SERVICE", name)
            if current is not None:
                check_etag(name, current, body)
            revisions = self._revisions.get(name, {})
            plan = plan_update(
                current,
                body,
                name,
                update_mask,
                revisions,
                self._rng,
                force_new_revision=force_new_revision,
            )
            spec, revision = plan.spec, plan.revision
            operation = self.operations.open(
                name, plan, delay=0.0 if validate_only else self.operation_delay
            )
            if validate_only or plan.unchanged:
                # Nothing is stored: the operation answers what the service would become
                # (with the server defaults filled in), and stays readable. Validation does
                # not start containers, so a configured failure cannot show.
                if not plan.unchanged:
                    failure = settle_rollout(spec, revision, revisions, None)
                    finish(operation, spec, failure)
                else:
                    operation.response = copy_service(spec)
                return operation_message(operation)
            self._services[name] = spec
            if revision is not None:
                self._revisions.setdefault(name, {})[revision.name] = revision
            self.operations.track(operation)
            self.operations.settle()
            return operation_message(operation)

    # -- internals (lock held) ----------------------------------------------------------

    def _require(self, name: str) -> run_v2.Service:
        service = self._services.get(name)
        if service is None:
            raise ApiError.missing("SERVICE", name)
        return service

    def _redeploy(
        self, current: run_v2.Service, body: run_v2.Service, modifier: str | None = None
    ) -> run_v2.Service:
        """An out-of-band deploy: always a new revision (as `gcloud run deploy` of the same
        image is), settled at once."""
        self.operations.settle(force_service=current.name)
        body.template.revision = ""
        revisions = self._revisions.setdefault(current.name, {})
        spec = prepare_spec(current, body, current.name, ())
        bump(spec, modifier)
        revision = start_rollout(spec, current, revisions, self._rng)
        settle_rollout(spec, revision, revisions, self._fail_rollout.get(current.name))
        revisions[revision.name] = revision
        self._services[current.name] = spec
        return copy_service(spec)

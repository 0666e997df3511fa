"""What was read from Cloud Run (a snapshot) and what the gate concluded (a report)."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploytool.core.diff import ServiceDiff
from deploytool.core.model import (
    JOB,
    SERVICE,
    WORKER_POOL,
    LiveExecution,
    LiveRevision,
    LiveService,
    LiveWorkload,
)
from deploytool.core.policy import Violation
from deploytool.core.verdict import Verdict

EXECUTIONS = "execution"  # the key of the executions list in LocationRead.kind_errors


@dataclass(frozen=True)
class LocationRead:
    """All workloads of one (project, region), or why they could not be listed: `error` is
    the whole location (nothing could be read), `kind_errors` one list that failed (kind or
    `execution` -> why) while the others were read. A kind never listed reads as an error,
    never as empty."""

    project: str
    region: str
    services: tuple[LiveService, ...] = ()
    error: str | None = None
    # None: the list is complete (an API list), so a service not in it does not exist.
    # Otherwise the services were read from something partial (exported files): a managed
    # service not among them is unknown, and this says why and what to do (`{name}` is
    # replaced by the service's name).
    absent: str | None = None
    jobs: tuple[LiveWorkload, ...] = ()
    worker_pools: tuple[LiveWorkload, ...] = ()
    executions: tuple[LiveExecution, ...] = ()
    kind_errors: tuple[tuple[str, str], ...] = ()
    # Per kind, `absent` for that kind (exported files: each kind has its export command).
    absent_kinds: tuple[tuple[str, str], ...] = ()
    # Said once where this location is checked as protected (what the files could not show).
    warnings: tuple[str, ...] = ()

    def absent_for(self, kind: str) -> str | None:
        """Why a managed workload of `kind` missing here is unknown, None when the list is
        complete (it does not exist)."""
        return dict(self.absent_kinds).get(kind, self.absent)

    def workloads(self, kind: str | None = None) -> tuple[LiveWorkload, ...]:
        """The workloads of `kind` (every kind when None) that were read."""
        by_kind = {SERVICE: self.services, JOB: self.jobs, WORKER_POOL: self.worker_pools}
        if kind is None:
            return tuple(w for k in (SERVICE, JOB, WORKER_POOL) for w in by_kind[k])
        return by_kind.get(kind, ())

    def error_of(self, kind: str) -> str | None:
        """Why `kind` (or `execution`) could not be listed here, None when it was."""
        return self.error or dict(self.kind_errors).get(kind)


@dataclass(frozen=True)
class RevisionRead:
    """A serving revision's env, or why it could not be read."""

    project: str
    region: str
    service: str
    name: str
    revision: LiveRevision | None = None
    error: str | None = None
    kind: str = SERVICE


@dataclass(frozen=True)
class LiveSnapshot:
    locations: tuple[LocationRead, ...] = ()
    revisions: tuple[RevisionRead, ...] = ()

    def location(self, project: str, region: str) -> LocationRead | None:
        return next(
            (loc for loc in self.locations if (loc.project, loc.region) == (project, region)),
            None,
        )

    def revision(
        self, project: str, region: str, service: str, name: str, kind: str = SERVICE
    ) -> RevisionRead | None:
        key = (project, region, service, name, kind)
        return next(
            (r for r in self.revisions if (r.project, r.region, r.service, r.name, r.kind) == key),
            None,
        )


@dataclass(frozen=True)
class ReadError:
    """A piece of live state that could not be read; it keeps the verdict off green."""

    message: str
    service: str | None = None
    project: str | None = None
    region: str | None = None
    kind: str = SERVICE  # the workload's kind (or `execution`: the executions list)


@dataclass(frozen=True)
class UnmanagedService:
    """A workload live in an environment's locations that no manifest manages."""

    service: str
    project: str
    region: str
    kind: str = SERVICE

    @property
    def name(self) -> str:
        return self.service


UnmanagedWorkload = UnmanagedService


@dataclass(frozen=True)
class EnvironmentReport:
    """Everything the gate found for one environment, and its verdict."""

    environment: str
    verdict: Verdict
    services: tuple[ServiceDiff, ...] = ()
    violations: tuple[Violation, ...] = ()
    errors: tuple[ReadError, ...] = ()
    unmanaged: tuple[UnmanagedService, ...] = ()
    warnings: tuple[str, ...] = field(default=(), compare=False)

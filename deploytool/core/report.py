"""What was read from Cloud Run (a snapshot) and what the gate concluded (a report)."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploytool.core.diff import ServiceDiff
from deploytool.core.model import LiveRevision, LiveService
from deploytool.core.policy import Violation
from deploytool.core.verdict import Verdict


@dataclass(frozen=True)
class LocationRead:
    """All services of one (project, region), or why they could not be listed."""

    project: str
    region: str
    services: tuple[LiveService, ...] = ()
    error: str | None = None
    # None: the list is complete (an API list), so a service not in it does not exist.
    # Otherwise the services were read from something partial (exported files): a managed
    # service not among them is unknown, and this says why and what to do (`{name}` is
    # replaced by the service's name).
    absent: str | None = None


@dataclass(frozen=True)
class RevisionRead:
    """A serving revision's env, or why it could not be read."""

    project: str
    region: str
    service: str
    name: str
    revision: LiveRevision | None = None
    error: str | None = None


@dataclass(frozen=True)
class LiveSnapshot:
    locations: tuple[LocationRead, ...] = ()
    revisions: tuple[RevisionRead, ...] = ()

    def location(self, project: str, region: str) -> LocationRead | None:
        return next(
            (loc for loc in self.locations if (loc.project, loc.region) == (project, region)),
            None,
        )

    def revision(self, project: str, region: str, service: str, name: str) -> RevisionRead | None:
        key = (project, region, service, name)
        return next(
            (r for r in self.revisions if (r.project, r.region, r.service, r.name) == key), None
        )


@dataclass(frozen=True)
class ReadError:
    """A piece of live state that could not be read; it keeps the verdict off green."""

    message: str
    service: str | None = None
    project: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class UnmanagedService:
    service: str
    project: str
    region: str


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

"""Desired env against live env, as unordered sets of variables. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from deploytool.core.ack_spec import AckNote
from deploytool.core.model import (
    SERVICE,
    EnvVar,
    LiveWorkload,
    WorkloadSpec,
    select_container,
    workload_label,
)
from deploytool.core.reachable import TagRoute


class ChangeKind(StrEnum):
    MISSING = "missing"  # in the manifest, not live
    UNEXPECTED = "unexpected"  # live, not in the manifest
    CHANGED = "changed"  # both, but another value / secret / version, or plain vs secret


class WorkloadStatus(StrEnum):
    IN_SYNC = "in_sync"
    DRIFT = "drift"
    MISSING = "missing"  # the managed workload does not exist live
    ERROR = "error"  # it could not be compared


ServiceStatus = WorkloadStatus


class Origin(StrEnum):
    """Why a difference exists, when deploytool's own fingerprint annotation can tell."""

    DRIFT = "drift"  # live changed since deploytool last applied
    PENDING = "pending"  # the manifest changed since deploytool last applied
    UNKNOWN = "unknown"  # no fingerprint, or both changed


@dataclass(frozen=True)
class EnvChange:
    name: str
    kind: ChangeKind
    desired: EnvVar | None
    live: EnvVar | None
    origin: Origin | None = None
    acknowledged: AckNote | None = None  # see core/acknowledge.py

    @property
    def gates(self) -> bool:
        """Whether this change fails the gate: yes unless an acknowledgement holds today."""
        return self.acknowledged is None or self.acknowledged.expired


@dataclass(frozen=True)
class RevisionDrift:
    """A revision that serves traffic (or is reachable by a tag) with env other than the
    manifest's."""

    revision: str
    percent: int
    changes: tuple[EnvChange, ...]
    tags: tuple[TagRoute, ...] = ()
    # Who made the revision and when (Revision.creator, create_time; ISO-8601 UTC).
    creator: str | None = None
    create_time: str | None = None


@dataclass(frozen=True)
class WorkloadDiff:
    """The outcome of comparing one managed workload (`service` holds its name, whatever
    its kind, as the JSON report does)."""

    service: str
    project: str
    region: str
    status: ServiceStatus
    changes: tuple[EnvChange, ...] = ()
    container: str | None = None
    error: str | None = None
    revisions: tuple[RevisionDrift, ...] = ()
    not_ready: str | None = None  # the latest created revision is not ready: why
    kind: str = SERVICE
    # Who changed the live workload last, and when (its last_modifier, update_time).
    last_modifier: str | None = None
    update_time: str | None = None

    @property
    def name(self) -> str:
        return self.service

    @property
    def has_drift(self) -> bool:
        return bool(self.changes) or bool(self.revisions)

    @property
    def gating_drift(self) -> bool:
        """Drift that fails the gate: a missing workload, or any change (template or
        revision) that no acknowledgement covers today."""
        if self.status is WorkloadStatus.MISSING:
            return True
        if self.status is not WorkloadStatus.DRIFT:
            return False
        changes = [*self.changes, *(c for r in self.revisions for c in r.changes)]
        return any(c.gates for c in changes) or not changes


ServiceDiff = WorkloadDiff


def is_ignored(name: str, ignore: Iterable[str]) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in ignore)


def diff_env(
    desired: Sequence[EnvVar],
    live: Sequence[EnvVar],
    ignore: Sequence[str],
    project: str,
    project_number: str | None = None,
) -> tuple[EnvChange, ...]:
    """Every difference between two env lists, sorted by name; ignored names left out.
    A name declared twice keeps its last value, as Cloud Run does. `project_number`, when
    known, resolves secret references by number to `project`."""
    want = {v.name: v for v in desired if not is_ignored(v.name, ignore)}
    have = {v.name: v for v in live if not is_ignored(v.name, ignore)}
    changes = []
    for name in sorted(want.keys() | have.keys()):
        d, l_ = want.get(name), have.get(name)
        if l_ is None:
            changes.append(EnvChange(name, ChangeKind.MISSING, d, None))
        elif d is None:
            changes.append(EnvChange(name, ChangeKind.UNEXPECTED, None, l_))
        elif not d.same_as(l_, project, project_number):
            changes.append(EnvChange(name, ChangeKind.CHANGED, d, l_))
    return tuple(changes)


def container_problem(spec: WorkloadSpec, live: LiveWorkload) -> str | None:
    """Why the managed container cannot be chosen, with what to do; None when it can."""
    if select_container(live.containers, spec.container) is not None:
        return None
    names = ", ".join(c.name or "(unnamed)" for c in live.containers) or "none"
    if spec.container is not None:
        return (
            f"container {spec.container!r} not found on {workload_label(live.kind, live.name)} "
            f"(it has: {names}); "
            f"fix `container:` in the manifest"
        )
    return (
        f"{workload_label(live.kind, live.name)} has several containers ({names}) and not "
        f"exactly one with a port; "
        f"set `container:` in the manifest"
    )


def diff_service(spec: WorkloadSpec, live: LiveWorkload | None) -> WorkloadDiff:
    """Compare one managed workload's template against its spec (any kind)."""

    def result(status: WorkloadStatus, **fields: Any) -> WorkloadDiff:
        if live is not None:
            fields.update(
                last_modifier=live.last_modifier or None, update_time=live.update_time or None
            )
        return WorkloadDiff(spec.name, spec.project, spec.region, status, kind=spec.kind, **fields)

    if live is None:
        missing = tuple(
            EnvChange(v.name, ChangeKind.MISSING, v, None)
            for v in sorted(spec.env, key=lambda v: v.name)
            if not is_ignored(v.name, spec.ignore)
        )
        return result(WorkloadStatus.MISSING, changes=missing)
    problem = container_problem(spec, live)
    container = select_container(live.containers, spec.container)
    if problem is not None or container is None:
        return result(WorkloadStatus.ERROR, error=problem)
    changes = diff_env(spec.env, container.env, spec.ignore, spec.project, spec.project_number)
    status = WorkloadStatus.DRIFT if changes else WorkloadStatus.IN_SYNC
    return result(status, changes=changes, container=container.name)


diff_workload = diff_service

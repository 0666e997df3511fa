"""The drift gate as a pure function: manifest + policy + live snapshot → report."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date

from deploytool.core.acknowledge import apply_acknowledgements
from deploytool.core.diff import (
    RevisionDrift,
    ServiceDiff,
    ServiceStatus,
    diff_env,
    diff_service,
)
from deploytool.core.executions import execution_violations
from deploytool.core.fingerprint import APPLIED_ANNOTATION, with_origins
from deploytool.core.model import (
    JOB,
    KINDS,
    LiveService,
    Manifest,
    ServiceSpec,
    select_container,
)
from deploytool.core.ownership import WorkloadKey, managed_elsewhere, ownership_of
from deploytool.core.plaintext import live_plaintext, manifest_plaintext
from deploytool.core.policy import (
    Policy,
    Violation,
    e2e_lookalikes,
    live_violations,
    manifest_violations,
)
from deploytool.core.reachable import ReachableRevision, reachable_revisions
from deploytool.core.report import (
    EXECUTIONS,
    EnvironmentReport,
    LiveSnapshot,
    LocationRead,
    ReadError,
    UnmanagedService,
)
from deploytool.core.verdict import Verdict, decide

_NOT_READ = "serving or tagged revision was not read"


def verdict_of(
    services: Sequence[ServiceDiff], violations: Sequence[Violation], errors: Sequence[ReadError]
) -> Verdict:
    """The verdict of one environment's findings (used again after sharding and merging)."""
    drifted = sum(1 for d in services if d.gating_drift)  # acknowledged drift does not count
    return decide(violations=len(violations), errors=len(errors), drifted=drifted)


def serving_revisions_to_read(live: LiveService) -> list[ReachableRevision]:
    """Revisions whose env may differ from the template and that can be reached: every one
    with traffic or a tag, except the revision built from the current template. One `get`
    each; several tags on one revision are one entry."""
    return reachable_revisions(live)


def not_ready_reason(live: LiveService) -> str | None:
    if live.ready is False or (
        live.latest_created_revision and live.latest_ready_revision != live.latest_created_revision
    ):
        detail = f": {live.condition_message}" if live.condition_message else ""
        return f"latest revision {live.latest_created_revision or '?'} is not ready{detail}"
    return None


def _selected(spec: ServiceSpec, only: Collection[object] | None) -> bool:
    """`only` holds workload names (`--service`) or (kind, name) pairs (an audit shard)."""
    return only is None or spec.name in only or (spec.kind, spec.name) in only


def evaluate(
    manifest: Manifest,
    policy: Policy,
    snapshot: LiveSnapshot,
    *,
    only: Collection[object] | None = None,
    list_unmanaged: bool = False,
    warnings: tuple[str, ...] = (),
    others: Sequence[Manifest] = (),
    today: date | None = None,
) -> EnvironmentReport:
    """Compare every managed workload (or those in `only`) and check the policy everywhere
    the snapshot reached, managed or not, every kind alike. `others` are the other
    environments' manifests: ownership is judged against them, and what they manage is
    theirs, not unmanaged here. `today` (UTC) judges the manifest's acknowledgements; None
    applies none, so every difference fails the gate."""
    env = manifest.environment
    violations: list[Violation] = manifest_violations(manifest, policy)
    violations += manifest_plaintext(manifest, policy)
    violations += ownership_of(env, [manifest, *others], policy)
    theirs = managed_elsewhere(env, others)
    errors: list[ReadError] = []
    diffs: list[ServiceDiff] = []
    specs = [s for s in manifest.workloads if _selected(s, only)]
    managed = {(s.kind, s.project, s.region, s.name) for s in manifest.workloads}

    for spec in specs:
        location = snapshot.location(spec.project, spec.region)
        unread = location.error_of(spec.kind) if location else "live state was not read"
        if location is None or unread is not None:
            _unread(spec, unread or "live state was not read", errors, diffs)
            continue
        live = next((s for s in location.workloads(spec.kind) if s.name == spec.name), None)
        absent = location.absent_for(spec.kind)
        if live is None and absent is not None:
            # Read from something partial (exported files): absent is unknown, not missing.
            _unread(spec, f"{spec.name}: {absent.replace('{name}', spec.name)}", errors, diffs)
            continue
        diff = diff_service(spec, live)
        if live is not None:
            record = live.annotation(APPLIED_ANNOTATION)
            diff = replace(diff, changes=with_origins(diff.changes, record))
            diff = _with_serving_revisions(
                diff, spec, live, snapshot, errors, violations, policy, env
            )
        if (
            diff.status is ServiceStatus.ERROR
            and diff.error
            and not any((e.kind, e.service) == (spec.kind, spec.name) for e in errors)
        ):
            errors.append(ReadError(diff.error, spec.name, spec.project, spec.region, spec.kind))
        diffs.append(diff)

    unmanaged: list[UnmanagedService] = []
    found_warnings: list[str] = list(warnings)
    protected = policy.is_protected(env)
    for location in snapshot.locations:
        if location.error is not None:
            if not any(
                e.project == location.project and e.region == location.region for e in errors
            ):
                errors.append(ReadError(location.error, None, location.project, location.region))
            continue
        for kind in KINDS:
            why = location.error_of(kind)
            if why is not None:
                _location_error(errors, location, kind, why)
                continue
            for live in location.workloads(kind):
                key = WorkloadKey(kind, live.project, live.region, live.name)
                is_managed = (kind, live.project, live.region, live.name) in managed
                if not is_managed and key in theirs:
                    continue  # another environment's workload, checked by its own policy
                if not is_managed and list_unmanaged:
                    unmanaged.append(UnmanagedService(live.name, live.project, live.region, kind))
                violations.extend(
                    live_violations(env, live.name, live.containers, policy, kind=kind)
                )
                plain_violations, plain_warnings = live_plaintext(env, live, manifest, policy)
                violations += plain_violations
                found_warnings += plain_warnings
                if protected:
                    found_warnings.extend(_live_lookalikes(live, policy))
                if not is_managed and protected:
                    _unmanaged_serving_leakage(live, snapshot, errors, violations, policy, env)
        if protected:
            found_warnings.extend(location.warnings)
            # Executions matter only where E2E variables are forbidden (leakage, no drift).
            why = location.error_of(EXECUTIONS)
            if why is not None:
                _location_error(errors, location, EXECUTIONS, why)
            for execution in location.executions:
                owner = WorkloadKey(JOB, execution.project, execution.region, execution.job)
                if owner not in theirs:
                    violations.extend(execution_violations(env, execution, policy))

    if today is not None and manifest.acknowledge:
        diffs, stale = apply_acknowledgements(diffs, manifest.acknowledge, today, manifest.path)
        found_warnings += stale
    verdict = verdict_of(diffs, violations, errors)
    return EnvironmentReport(
        environment=env,
        verdict=verdict,
        services=tuple(sorted(diffs, key=lambda d: (d.kind, d.service, d.project, d.region))),
        violations=tuple(violations),
        errors=tuple(errors),
        unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.kind, u.project, u.region, u.service))),
        warnings=tuple(found_warnings),
    )


def _location_error(errors: list[ReadError], location: LocationRead, kind: str, why: str) -> None:
    """One list of one kind failed here: a read error for that location and kind, once."""
    if not any(
        (e.project, e.region, e.kind) == (location.project, location.region, kind) for e in errors
    ):
        errors.append(ReadError(why, None, location.project, location.region, kind))


def _unread(
    spec: ServiceSpec, message: str, errors: list[ReadError], diffs: list[ServiceDiff]
) -> None:
    """A managed workload that could not be compared: a read error, status `error`."""
    errors.append(ReadError(message, spec.name, spec.project, spec.region, spec.kind))
    diffs.append(
        ServiceDiff(
            spec.name, spec.project, spec.region, ServiceStatus.ERROR, error=message, kind=spec.kind
        )
    )


def _with_serving_revisions(
    diff: ServiceDiff,
    spec: ServiceSpec,
    live: LiveService,
    snapshot: LiveSnapshot,
    errors: list[ReadError],
    violations: list[Violation],
    policy: Policy,
    env: str,
) -> ServiceDiff:
    """Add what really serves traffic or is reachable by a tag: older revisions with other
    env are drift too."""
    drifts: list[RevisionDrift] = []
    for reachable in serving_revisions_to_read(live):
        name = reachable.revision
        read = snapshot.revision(spec.project, spec.region, spec.name, name, spec.kind)
        if read is None or read.revision is None:
            why = read.error if read and read.error else _NOT_READ
            errors.append(
                ReadError(
                    f"revision {name}: {why}", spec.name, spec.project, spec.region, spec.kind
                )
            )
            return replace(
                diff,
                status=ServiceStatus.ERROR,
                error=f"revision {name}: {why}",
                not_ready=not_ready_reason(live),
            )
        revision = read.revision
        violations.extend(
            live_violations(
                env, spec.name, revision.containers, policy, reachable=reachable, kind=spec.kind
            )
        )
        container = select_container(revision.containers, spec.container)
        if container is None:
            why = f"{reachable.label()} is reachable but its managed container cannot be chosen"
            errors.append(ReadError(why, spec.name, spec.project, spec.region, spec.kind))
            return replace(
                diff, status=ServiceStatus.ERROR, error=why, not_ready=not_ready_reason(live)
            )
        live_env = container.env
        changes = diff_env(spec.env, live_env, spec.ignore, spec.project, spec.project_number)
        if changes:
            drifts.append(
                RevisionDrift(
                    name,
                    reachable.percent,
                    changes,
                    reachable.tags,
                    creator=revision.creator or None,
                    create_time=revision.create_time or None,
                )
            )
    status = diff.status
    if drifts and status is ServiceStatus.IN_SYNC:
        status = ServiceStatus.DRIFT
    return replace(diff, status=status, revisions=tuple(drifts), not_ready=not_ready_reason(live))


def _unmanaged_serving_leakage(
    live: LiveService,
    snapshot: LiveSnapshot,
    errors: list[ReadError],
    violations: list[Violation],
    policy: Policy,
    env: str,
) -> None:
    """In a protected environment, what serves traffic (or has a tag) on any service must be
    clean too."""
    for reachable in serving_revisions_to_read(live):
        name = reachable.revision
        read = snapshot.revision(live.project, live.region, live.name, name, live.kind)
        if read is None or read.revision is None:
            why = read.error if read and read.error else _NOT_READ
            errors.append(
                ReadError(
                    f"revision {name}: {why}", live.name, live.project, live.region, live.kind
                )
            )
            continue
        violations.extend(
            live_violations(
                env,
                live.name,
                read.revision.containers,
                policy,
                reachable=reachable,
                kind=live.kind,
            )
        )


def _live_lookalikes(live: LiveService, policy: Policy) -> list[str]:
    """A live name that imitates an E2E name (Cyrillic E, other case) is no leakage by the
    letter of the policy, but someone should look at it."""
    return [
        f"{live.project}/{live.region}/{live.name}: live variable {ascii(name)[:80]} looks like "
        f"the E2E variable {imitated[:80]} (case or Unicode look-alike); check what sets it"
        for container in live.containers
        for name, imitated in e2e_lookalikes(container.env, policy)
    ]

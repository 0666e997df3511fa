"""Writing one service: re-read, check the approved plan still holds, write with the etag,
wait for the rollout, re-read for the record. Concurrent changes are never overwritten
blindly. Whether what was written serves is decided afterwards by the gate (apply_verify)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from deploytool.commands.audit_log import AuditLog, entry_for
from deploytool.core.diff import EnvChange, ServiceDiff
from deploytool.core.fingerprint import (
    APPLIED_ANNOTATION,
    FINGERPRINT_ANNOTATION,
    applied_record,
    fingerprint,
)
from deploytool.core.model import SERVICE, LiveService, ServiceSpec, select_container
from deploytool.core.plan import ServicePlan, plan_service, same_plan
from deploytool.errors import ConflictError, LiveStateError, RolloutUnknownError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway
    from deploytool.cloudrun.writer import FetchedService
    from deploytool.commands.apply_app import AppVerdict

MAX_CONFLICT_RETRIES = 3

Forbidden = Callable[[str], bool]  # variable name -> must never be written


class Outcome(StrEnum):
    APPLIED = "applied"  # written, rolled out, and (after the gate read back) verified
    UNCHANGED = "unchanged"  # nothing to do
    PENDING = "pending"  # dry run: would change
    FAILED = "failed"  # could not be written, or its rollout failed
    CONFLICT = "conflict"  # changed by someone else; the new plan differs from the approved one
    SKIPPED = "skipped"  # not attempted (the run stopped first)
    INTERRUPTED = "interrupted"
    REFUSED = "refused"  # not written: the env to send carried an E2E name (protected env)
    # Written and rolled out, but the gate read back from live disagrees (see apply_verify):
    NOT_SERVING = "not_serving"  # the new revision gets no traffic; older env still serves
    PARTIALLY_SERVING = "partially_serving"  # a canary: older revisions with other env serve too
    DRIFTED = "drifted"  # the template differs again (changed by someone else since)
    LEAKAGE = "leakage"  # E2E variables live on it after the write
    # In sync in Cloud Run, but its app (the manifest's `verify:`) never agreed (apply_app):
    UNVERIFIED = "unverified"


@dataclass(frozen=True)
class ServiceOutcome:
    service: str
    project: str
    region: str
    outcome: Outcome
    changes: tuple[EnvChange, ...] = ()
    revision: str | None = None
    message: str | None = None
    new_changes: tuple[EnvChange, ...] = field(default=())  # the re-plan after a conflict
    removed_leaks: tuple[str, ...] = ()  # E2E variables this write removed, verified gone
    traffic_command: str | None = None  # routes traffic to what was written
    verified: ServiceDiff | None = None  # the gate's read-back of this service
    kind: str = SERVICE
    app: AppVerdict | None = None  # what its app said after the write (apply_app)


def plan_from_live(spec: ServiceSpec, live: LiveService) -> ServicePlan:
    container = select_container(live.containers, spec.container)
    if container is None:
        raise LiveStateError(
            f"cannot choose the managed container of {spec.name}",
            "set `container:` in the manifest",
            service=spec.name,
        )
    return plan_service(spec, container.name, container.env)


def annotations_for(plan: ServicePlan, spec: ServiceSpec) -> dict[str, str]:
    owned = [v for v in plan.new_env if v.name in spec.env_by_name()]
    return {APPLIED_ANNOTATION: applied_record(owned), FINGERPRINT_ANNOTATION: fingerprint(owned)}


def write_service(
    gateway: CloudRunGateway,
    spec: ServiceSpec,
    approved: ServicePlan,
    *,
    environment: str,
    audit: AuditLog,
    rollout_timeout: float,
    cancel: threading.Event | None = None,
    forbidden: Forbidden | None = None,
    expected_etag: str | None = None,
) -> ServiceOutcome:
    """`forbidden` (a protected environment: the policy's E2E matcher) is the last guard: an
    update whose env carries a matching name is never sent. `expected_etag` (a saved plan's)
    must be the etag read now, and is what the write is guarded by: a change since the plan,
    even one between this read and the write, is a conflict, never retried."""
    from deploytool.cloudrun.writer import build_update, fetch, send_update

    def result(outcome: Outcome, **fields: Any) -> ServiceOutcome:
        return ServiceOutcome(
            spec.name, spec.project, spec.region, outcome, kind=spec.kind, **fields
        )

    first: FetchedService | None = None
    sent = False
    plan = approved
    for _attempt in range(MAX_CONFLICT_RETRIES + 1):
        fetched = fetch(gateway, spec.project, spec.region, spec.name, spec.kind)
        first = first or fetched
        plan = plan_from_live(spec, fetched.live)
        if plan.is_noop and sent:
            # Our write landed but its answer was lost (the retry then met our own etag
            # change): verify and record it as ours.
            return _verify(gateway, spec, approved_for(approved, plan), first, environment, audit)
        if plan.is_noop:
            # Someone else already made it so.
            return result(
                Outcome.UNCHANGED,
                revision=fetched.live.latest_ready_revision,
                message="already matches the manifest",
            )
        if expected_etag is not None and fetched.live.etag != expected_etag:
            return result(
                Outcome.CONFLICT,
                changes=approved.changes,
                message=f"{spec.name}'s etag changed since the plan: re-plan; nothing was "
                "written to it",
            )
        if not same_plan(plan.changes, approved.changes):
            return result(
                Outcome.CONFLICT,
                changes=approved.changes,
                new_changes=plan.changes,
                message="the service changed since the plan was approved; nothing was "
                "written. Review the new plan and re-run apply",
            )
        update = build_update(fetched, plan.container, plan.new_env, annotations_for(plan, spec))
        refusal = refuse_e2e(update, forbidden, environment)
        if refusal is not None:
            return result(Outcome.REFUSED, changes=approved.changes, message=refusal)
        if cancel is not None and cancel.is_set() and not sent:
            return result(
                Outcome.SKIPPED,
                changes=approved.changes,
                message="not started: the run was interrupted",
            )
        try:
            sent = True
            send_update(gateway, update, validate_only=False, rollout_timeout=rollout_timeout)
        except ConflictError:
            if expected_etag is not None:
                return result(
                    Outcome.CONFLICT,
                    changes=approved.changes,
                    message=f"{spec.name} changed while it was being written (etag "
                    "mismatch): re-plan; nothing was written to it",
                )
            continue  # re-read and re-plan: retried only while the plan is the approved one
        except RolloutUnknownError as exc:
            # Accepted, but not followed to the end: re-reading tells what really happened.
            return _verify(gateway, spec, plan, fetched, environment, audit, lost=exc.message)
        except LiveStateError as exc:
            _record(audit, environment, gateway, spec, plan, fetched, None, "failed", exc.message)
            raise
        return _verify(gateway, spec, plan, fetched, environment, audit)
    return result(
        Outcome.CONFLICT,
        changes=approved.changes,
        message=f"kept conflicting after {MAX_CONFLICT_RETRIES} retries; "
        "someone is changing this service right now",
    )


def refuse_e2e(update: Any, forbidden: Forbidden | None, environment: str) -> str | None:
    """Why the exact update about to be sent must not be (None: it may)."""
    from deploytool.cloudrun.writer import sent_env

    if forbidden is None:
        return None
    hits = sorted(
        {
            f"{name} (container {container})"
            for container, name in sent_env(update)
            if forbidden(name)
        }
    )
    if not hits:
        return None
    return (
        f"not written: the update would carry {', '.join(hits)} into protected environment "
        f"{environment!r}; apply never writes an E2E variable there. Run `deploytool diff`"
    )


def approved_for(approved: ServicePlan, now: ServicePlan) -> ServicePlan:
    """The approved changes with the container the service has now."""
    return ServicePlan(
        approved.service,
        approved.project,
        approved.region,
        now.container,
        approved.changes,
        approved.new_env,
        kind=approved.kind,
    )


def _verify(
    gateway: CloudRunGateway,
    spec: ServiceSpec,
    plan: ServicePlan,
    before: FetchedService,
    environment: str,
    audit: AuditLog,
    lost: str | None = None,
) -> ServiceOutcome:
    """Re-read for the record (and, when `lost`, to see whether the rollout finished).
    Whether live now matches the manifest is the gate's to say, after every write
    (apply_verify), so nothing here diffs env."""
    from deploytool.cloudrun.writer import fetch

    try:
        after = fetch(gateway, spec.project, spec.region, spec.name, spec.kind)
    except LiveStateError as exc:
        message = f"written, but the re-read to verify failed: {exc.message}"
        _record(audit, environment, gateway, spec, plan, before, None, "unverified", message)
        return ServiceOutcome(
            spec.name,
            spec.project,
            spec.region,
            Outcome.FAILED,
            changes=plan.changes,
            message=message + "; run `deploytool diff`",
            kind=spec.kind,
        )
    revision = after.live.latest_ready_revision

    def result(outcome: Outcome, **fields: Any) -> ServiceOutcome:
        return ServiceOutcome(
            spec.name, spec.project, spec.region, outcome, kind=spec.kind, **fields
        )

    if lost is not None:
        live = after.live
        if live.ready is False or live.latest_ready_revision != live.latest_created_revision:
            message = (
                f"written (revision {live.latest_created_revision}), but its rollout could not "
                f"be followed and it is not ready yet ({lost}); run `deploytool diff` later"
            )
            _record(audit, environment, gateway, spec, plan, before, after, "unverified", message)
            return result(Outcome.FAILED, changes=plan.changes, revision=revision, message=message)
        message = "the rollout could not be followed, but re-reading shows it done"
        _record(audit, environment, gateway, spec, plan, before, after, "applied", message)
        return result(Outcome.APPLIED, changes=plan.changes, revision=revision, message=message)
    _record(audit, environment, gateway, spec, plan, before, after, "applied", None)
    return result(Outcome.APPLIED, changes=plan.changes, revision=revision)


def _record(
    audit: AuditLog,
    environment: str,
    gateway: CloudRunGateway,
    spec: ServiceSpec,
    plan: ServicePlan,
    before: FetchedService,
    after: FetchedService | None,
    outcome: str,
    message: str | None,
) -> None:
    before_env = next((c.env for c in before.live.containers if c.name == plan.container), ())
    after_env = None
    if after is not None:
        after_env = next((c.env for c in after.live.containers if c.name == plan.container), ())
    audit.append(
        entry_for(
            environment=environment,
            service=spec.name,
            project=spec.project,
            region=spec.region,
            who=gateway.identity,
            changes=plan.changes,
            before=fingerprint(before_env),
            after=fingerprint(after_env) if after_env is not None else None,
            revision=after.live.latest_ready_revision if after else None,
            outcome=outcome,
            message=message,
        )
    )

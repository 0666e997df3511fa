"""The write phase of `apply`: services written in parallel, and Ctrl-C handled the way an
engineer needs it. First Ctrl-C: start nothing new, wait for the rollouts already sent. Second
Ctrl-C: stop waiting; those rollouts go on in Cloud Run and are recorded as interrupted."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from deploytool.commands import parallel
from deploytool.commands.apply_service import (
    Forbidden,
    Outcome,
    ServiceOutcome,
    write_service,
)
from deploytool.commands.audit_log import AuditLog, entry_for
from deploytool.core.model import ServiceSpec
from deploytool.core.plan import ServicePlan
from deploytool.errors import LiveStateError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway

Item = tuple[ServicePlan, ServiceSpec]


def write_all(
    gateway: CloudRunGateway,
    items: Sequence[Item],
    *,
    environment: str,
    audit: AuditLog,
    workers: int,
    rollout_timeout: float,
    progress: Callable[[ServiceOutcome], None] | None = None,
    notify: Callable[[str], None] = lambda _msg: None,
    forbidden: Forbidden | None = None,
    etags: Mapping[tuple[str, str, str, str], str] | None = None,
) -> tuple[list[ServiceOutcome], str | None]:
    """Outcomes in input order, and a note when the run was interrupted (None otherwise).
    `etags` (a saved plan's, by (kind, project, region, name)) guard each write instead of
    the etag read just before it."""
    cancel = threading.Event()

    def one(item: Item) -> ServiceOutcome:
        plan, spec = item
        try:
            outcome = write_service(
                gateway,
                spec,
                plan,
                environment=environment,
                audit=audit,
                rollout_timeout=rollout_timeout,
                cancel=cancel,
                forbidden=forbidden,
                expected_etag=(
                    etags.get((plan.kind, plan.project, plan.region, plan.service))
                    if etags is not None
                    else None
                ),
            )
        except LiveStateError as exc:
            message = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            outcome = ServiceOutcome(
                plan.service,
                plan.project,
                plan.region,
                Outcome.FAILED,
                plan.changes,
                message=message,
            )
        outcome = replace(outcome, kind=plan.kind)
        if progress is not None:
            progress(outcome)
        return outcome

    batch = parallel.start(items, one, workers, cancel)
    abandoned = False
    try:
        parallel.wait(batch)
    except KeyboardInterrupt:
        cancel.set()
        notify(
            "interrupted: starting no new service; waiting for the rollouts already sent "
            "(Ctrl-C again to stop waiting)"
        )
        try:
            parallel.wait(batch)
        except KeyboardInterrupt:
            abandoned = True
    outcomes = []
    in_flight = set(batch.in_flight()) if abandoned else set()
    for index, (plan, _spec) in enumerate(items):
        if index in batch.results:
            outcomes.append(batch.results[index])
        elif index in in_flight:
            outcomes.append(
                ServiceOutcome(
                    plan.service,
                    plan.project,
                    plan.region,
                    Outcome.INTERRUPTED,
                    plan.changes,
                    message="interrupted while in flight: the update may have been sent and its "
                    "rollout may still complete; run `deploytool diff`",
                )
            )
        elif index in batch.started:
            outcomes.append(
                ServiceOutcome(
                    plan.service,
                    plan.project,
                    plan.region,
                    Outcome.FAILED,
                    plan.changes,
                    message="unexpected error while writing; re-run with --debug",
                    kind=plan.kind,
                )
            )
        else:
            outcomes.append(
                ServiceOutcome(
                    plan.service,
                    plan.project,
                    plan.region,
                    Outcome.SKIPPED,
                    plan.changes,
                    message="not started: the run was interrupted",
                    kind=plan.kind,
                )
            )
    if abandoned:
        # Record the abandoned ones ourselves, then refuse late lines from their threads so
        # the trail is never appended to after we report.
        for outcome in outcomes:
            if outcome.outcome is Outcome.INTERRUPTED:
                audit.append(
                    entry_for(
                        environment=environment,
                        service=outcome.service,
                        project=outcome.project,
                        region=outcome.region,
                        who=gateway.identity,
                        changes=outcome.changes,
                        before="unknown",
                        after=None,
                        revision=None,
                        outcome="interrupted",
                        message=outcome.message,
                    )
                )
        audit.close()
    if not cancel.is_set():
        return outcomes, None
    counts = {kind: sum(1 for o in outcomes if o.outcome is kind) for kind in Outcome}
    note = (
        f"interrupted: {counts[Outcome.APPLIED]} applied, {counts[Outcome.SKIPPED]} not "
        f"started, {counts[Outcome.INTERRUPTED]} abandoned in flight, "
        f"{counts[Outcome.FAILED] + counts[Outcome.CONFLICT]} failed"
    )
    return outcomes, note

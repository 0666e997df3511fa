"""The Conditions Cloud Run reports, built from the library's Condition message.

References (run v2 protos, condition.proto / service.proto field comments):
- Service.terminal_condition is the `Ready` condition; Service.conditions are "the Conditions
  of all other associated sub-resources": Cloud Run lists `RoutesReady` and
  `ConfigurationsReady` there (as v1 does beside `Ready`).
- Condition.reason (CommonReason) is "a common (service-level) reason", revision_reason
  (RevisionReason) "a reason for the revision condition"; "successful conditions may not have
  a reason". A revision whose container did not start is HEALTH_CHECK_CONTAINER_ERROR, the
  configuration (and so the service) that cut it REVISION_FAILED.
- A revision's conditions are `Ready`, `ContainerHealthy` and `ResourcesAvailable` (as in v1).
Which reason the terminal condition carries on failure is not documented: it repeats the
failing sub-condition's (a guess, listed in docs/EMULATOR.md).
"""

from __future__ import annotations

from google.cloud import run_v2

from deploytool.emulator.resources import now, short_revision

Ready = run_v2.Condition.State
Severity = run_v2.Condition.Severity
Common = run_v2.Condition.CommonReason
RevisionReason = run_v2.Condition.RevisionReason

READY = "Ready"
ROUTES_READY = "RoutesReady"
CONFIGURATIONS_READY = "ConfigurationsReady"

# What Cloud Run says of a revision that did not start (its message then follows).
NOT_READY = "Revision '{revision}' is not ready and cannot serve traffic."
# The operation error Cloud Run reports for traffic to a revision that is not there.
MISSING_REVISION = (
    "Revision '{revision}' does not exist or is deleted. Update all traffic to route to "
    "currently available revisions."
)


def condition(
    type_: str,
    state: int,
    message: str = "",
    *,
    reason: int = 0,
    revision_reason: int = 0,
) -> run_v2.Condition:
    made = run_v2.Condition(type_=type_, state=state, message=message, last_transition_time=now())
    if state == Ready.CONDITION_FAILED:
        # Condition.severity: "How to interpret failures of this condition"; Cloud Run leaves
        # it out of conditions that did not fail.
        made.severity = Severity(Severity.ERROR)
    if reason:
        made.reason = Common(reason)
    elif revision_reason:
        made.revision_reason = RevisionReason(revision_reason)
    return made


def not_ready_message(revision: str, cause: str) -> str:
    head = NOT_READY.format(revision=short_revision(revision))
    return f"{head} {cause}" if cause and not cause.startswith(head) else (cause or head)


def revision_ready() -> list[run_v2.Condition]:
    return [
        condition(READY, Ready.CONDITION_SUCCEEDED),
        condition("ContainerHealthy", Ready.CONDITION_SUCCEEDED),
        condition("ResourcesAvailable", Ready.CONDITION_SUCCEEDED),
    ]


def revision_deploying() -> list[run_v2.Condition]:
    return [
        condition(
            READY,
            Ready.CONDITION_RECONCILING,
            "Deploying revision.",
            revision_reason=RevisionReason.PENDING,
        ),
    ]


def revision_failed(message: str) -> list[run_v2.Condition]:
    error = RevisionReason.HEALTH_CHECK_CONTAINER_ERROR
    return [
        condition(READY, Ready.CONDITION_FAILED, message, revision_reason=error),
        condition("ContainerHealthy", Ready.CONDITION_FAILED, message, revision_reason=error),
        condition("ResourcesAvailable", Ready.CONDITION_SUCCEEDED),
    ]


def revision_is_failed(revision: run_v2.Revision | None) -> bool:
    if revision is None:
        return False
    return any(c.type_ == READY and c.state == Ready.CONDITION_FAILED for c in revision.conditions)


def revision_message(revision: run_v2.Revision) -> str:
    return next((c.message for c in revision.conditions if c.type_ == READY), "")


def service_ready(service: run_v2.Service) -> None:
    service.terminal_condition = condition(READY, Ready.CONDITION_SUCCEEDED)
    service.conditions = [
        condition(ROUTES_READY, Ready.CONDITION_SUCCEEDED),
        condition(CONFIGURATIONS_READY, Ready.CONDITION_SUCCEEDED),
    ]


def service_reconciling(service: run_v2.Service, message: str = "Deploying revision.") -> None:
    waiting = Common.WAITING_FOR_OPERATION
    service.terminal_condition = condition(
        READY, Ready.CONDITION_RECONCILING, message, reason=waiting
    )
    service.conditions = [
        condition(ROUTES_READY, Ready.CONDITION_RECONCILING, message, reason=waiting),
        condition(CONFIGURATIONS_READY, Ready.CONDITION_RECONCILING, message, reason=waiting),
    ]


def service_revision_failed(service: run_v2.Service, message: str) -> None:
    """The configuration's latest revision failed; the routes still serve the last one."""
    failed = Common.REVISION_FAILED
    service.terminal_condition = condition(READY, Ready.CONDITION_FAILED, message, reason=failed)
    service.conditions = [
        condition(ROUTES_READY, Ready.CONDITION_SUCCEEDED),
        condition(CONFIGURATIONS_READY, Ready.CONDITION_FAILED, message, reason=failed),
    ]


def service_routes_failed(service: run_v2.Service, message: str) -> None:
    """The traffic block names a revision that does not exist: the routes keep their last
    state."""
    unknown = Common.UNKNOWN
    service.terminal_condition = condition(READY, Ready.CONDITION_FAILED, message, reason=unknown)
    service.conditions = [
        condition(ROUTES_READY, Ready.CONDITION_FAILED, message, reason=unknown),
        condition(CONFIGURATIONS_READY, Ready.CONDITION_SUCCEEDED),
    ]


def ready_condition(state: int, message: str = "") -> run_v2.Condition:
    """The `Ready` (terminal) condition of a job, worker pool or revision in `state`."""
    return condition(READY, state, message)

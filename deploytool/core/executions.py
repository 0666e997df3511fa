"""Which job executions the gate checks: every one still running, and every one created within
the `--executions-since` window. An execution's template is what that run used (the job's env
merged with the overrides it was started with), so a one-off `--update-env-vars E2E_TESTING=1`
shows there and nowhere else. Pure."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from deploytool.core.model import JOB, LiveExecution
from deploytool.core.policy import RULE_LEAKAGE, Policy, Violation, dedupe

DEFAULT_WINDOW = "24h"
_WINDOW = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_window(text: str) -> timedelta:
    """`30m`, `6h`, `2d`, `90s` → a positive timedelta; ValueError otherwise."""
    match = _WINDOW.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, e.g. 30m, 6h, 2d")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def parse_time(text: str) -> datetime | None:
    """An RFC 3339 time as the API writes it (`2026-01-31T09:30:00.123456Z`), None if absent
    or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def in_window(execution: LiveExecution, cutoff: datetime) -> bool:
    """Running, or created at or after `cutoff`. A finished run whose creation time cannot be
    read is kept: checking one run too many is cheaper than missing a leak."""
    if execution.running:
        return True
    created = parse_time(execution.create_time)
    return created is None or created >= cutoff


def execution_violations(
    environment: str, execution: LiveExecution, policy: Policy
) -> list[Violation]:
    """E2E variables a job execution ran with (its task template: the job's env merged with
    the overrides of that run), named with job, execution and start time."""
    if not policy.is_protected(environment):
        return []
    started = execution.start_time or execution.create_time or "unknown time"
    state = "still running" if execution.running else f"started {started}"
    found = [
        Violation(
            rule=RULE_LEAKAGE,
            environment=environment,
            service=execution.job,
            variable=var.name,
            source="live",
            kind=JOB,
            execution=execution.name,
            message=(
                f"{var.name} was set on execution {execution.name} of job {execution.job} "
                f"({state}, {execution.project}/{execution.region}) in protected environment "
                f"{environment!r}; find who ran it with that override (gcloud run jobs "
                f"executions describe {execution.name}) and stop it"
                + (
                    f" (gcloud run jobs executions cancel {execution.name})"
                    if execution.running
                    else ""
                )
            ),
        )
        for container in execution.containers
        for var in container.env
        if policy.is_e2e_name(var.name)
    ]
    return dedupe(found)

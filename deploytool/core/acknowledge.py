"""Acknowledged drift: known differences a team has accepted until a date. Pure.

Applied after the diff and before the verdict: a change that an acknowledgement covers today
is marked and no longer fails the gate; once the date has passed it is drift again and says
that its acknowledgement expired. Leakage is never touched here: violations are judged apart
from drift, so no acknowledgement can hide one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import date

from deploytool.core.ack_spec import AckNote, Acknowledgement
from deploytool.core.diff import EnvChange, WorkloadDiff, WorkloadStatus
from deploytool.core.model import workload_label
from deploytool.core.policy import Policy


def latest_until(today: date) -> date:
    """The furthest `until` allowed: the same day a year from today (28 Feb for 29 Feb).
    Acknowledging for longer is `ignore:` in disguise."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def refusal(
    ack: Acknowledgement,
    environment: str,
    policy: Policy,
    today: date,
    managed: Collection[tuple[str, str]],
) -> str | None:
    """Why this entry may not stand (exit 2, with what to do), None when it may.
    `managed` holds the manifest's (kind, name) pairs."""
    label = workload_label(ack.kind, ack.workload)
    if (ack.kind, ack.workload) not in managed:
        return (
            f"acknowledge: {label} is not a {ack.kind.replace('_', ' ')} of this manifest; "
            "name a workload the manifest manages or remove the entry"
        )
    if policy.is_protected(environment) and (
        policy.is_e2e_name(ack.variable) or policy.lookalike(ack.variable) is not None
    ):
        return (
            f"acknowledge: {ack.variable} is an E2E/test variable and {environment} is "
            "protected: a leak can't be acknowledged; remove the entry and the variable"
        )
    if ack.until > latest_until(today):
        return (
            f"acknowledge: until {ack.until.isoformat()} is more than a year away (at most "
            f"{latest_until(today).isoformat()}); acknowledge for less, or manage the "
            "variable in the manifest (or ignore: it)"
        )
    return None


def apply_acknowledgements(
    diffs: Sequence[WorkloadDiff],
    acks: Sequence[Acknowledgement],
    today: date,
    path: str,
) -> tuple[list[WorkloadDiff], list[str]]:
    """Mark the changes that `acks` cover (template and revisions alike) and say which
    acknowledgements matched nothing (stale warnings, `path:line: ...`). A workload that was
    not compared (missing live, unreadable, not selected) neither uses nor stales one."""
    by_target: dict[tuple[str, str], dict[str, Acknowledgement]] = {}
    for ack in acks:
        by_target.setdefault((ack.kind, ack.workload), {})[ack.variable] = ack
    used: set[Acknowledgement] = set()
    out: list[WorkloadDiff] = []
    compared: set[tuple[str, str]] = set()
    for diff in diffs:
        mine = by_target.get((diff.kind, diff.service), {})
        if diff.status in (WorkloadStatus.IN_SYNC, WorkloadStatus.DRIFT):
            compared.add((diff.kind, diff.service))
        if not mine or diff.status is not WorkloadStatus.DRIFT:
            out.append(diff)
            continue
        changes = _marked(diff.changes, mine, today, used)
        revisions = tuple(
            replace(r, changes=_marked(r.changes, mine, today, used)) for r in diff.revisions
        )
        out.append(replace(diff, changes=changes, revisions=revisions))
    warnings = [
        _stale(ack, path, today)
        for ack in acks
        if ack not in used and (ack.kind, ack.workload) in compared
    ]
    return out, sorted(warnings)


def _marked(
    changes: tuple[EnvChange, ...],
    mine: dict[str, Acknowledgement],
    today: date,
    used: set[Acknowledgement],
) -> tuple[EnvChange, ...]:
    out = []
    for change in changes:
        ack = mine.get(change.name)
        if ack is None:
            out.append(change)
            continue
        used.add(ack)
        note = AckNote(ack.reason, ack.until, expired=not ack.active_on(today))
        out.append(replace(change, acknowledged=note))
    return tuple(out)


def _stale(ack: Acknowledgement, path: str, today: date) -> str:
    where = f"{path}:{ack.line}" if ack.line is not None else path
    state = "expired and " if not ack.active_on(today) else ""
    return (
        f"{where}: acknowledgement of {ack.variable} on "
        f"{workload_label(ack.kind, ack.workload)} is {state}stale: no such drift now; "
        "remove the entry"
    )


def expiry_text(note: AckNote) -> str:
    """How a report words an acknowledgement: `acknowledged until 2026-12-31: reason`, or
    `acknowledgement expired on 2026-12-31: reason`."""
    if note.expired:
        return f"acknowledgement expired on {note.until.isoformat()}: {note.reason}"
    return f"acknowledged until {note.until.isoformat()}: {note.reason}"

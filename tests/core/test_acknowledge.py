"""Acknowledgements, pure: which entries may stand, which changes they cover and until when,
which are stale, and that acknowledged drift does not fail the verdict while expired drift
does."""

from __future__ import annotations

from datetime import date

import pytest

from deploytool.core.ack_spec import Acknowledgement
from deploytool.core.acknowledge import apply_acknowledgements, latest_until, refusal
from deploytool.core.diff import ChangeKind, EnvChange, RevisionDrift, WorkloadDiff, WorkloadStatus
from deploytool.core.gate import verdict_of
from deploytool.core.model import EnvVar
from deploytool.core.policy import Policy
from deploytool.errors import ExitCode

TODAY = date(2026, 3, 10)
MANAGED = {("service", "api"), ("job", "migrate")}


def ack(variable="FEATURE_X", until=date(2026, 3, 31), kind="service", workload="api"):
    return Acknowledgement(kind, workload, variable, "ticket 412", until, line=7)


def changed(name="FEATURE_X"):
    return EnvChange(name, ChangeKind.CHANGED, EnvVar(name, "on"), EnvVar(name, "off"))


def drift(*changes, kind="service", name="api", revisions=()):
    return WorkloadDiff(
        name, "p", "r", WorkloadStatus.DRIFT, changes=changes, kind=kind, revisions=revisions
    )


@pytest.mark.parametrize(
    ("environment", "entry", "why"),
    [
        ("staging", ack(), None),
        ("production", ack(), None),
        ("staging", ack("E2E_TESTING"), None),  # allowed there: drift, not leakage
        ("production", ack("E2E_TESTING"), "a leak can't be acknowledged"),
        ("production", ack("e2e_testing"), "a leak can't be acknowledged"),  # any case
        ("production", ack("MY_E2E_FLAG"), "a leak can't be acknowledged"),  # a pattern
        ("staging", ack(until=date(2027, 3, 10)), None),  # exactly a year: allowed
        ("staging", ack(until=date(2027, 3, 11)), "more than a year away"),
        ("staging", ack(workload="nope"), "is not a service of this manifest"),
        ("staging", ack(kind="job", workload="api"), "is not a job of this manifest"),
        ("staging", ack(kind="job", workload="migrate"), None),
        ("staging", ack(until=date(2020, 1, 1)), None),  # past: the gate says it expired
    ],
)
def test_refusal(environment, entry, why):
    found = refusal(entry, environment, Policy(), TODAY, MANAGED)
    if why is None:
        assert found is None
    else:
        assert found is not None and why in found


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2026, 3, 10), date(2027, 3, 10)), (date(2028, 2, 29), date(2029, 2, 28))],
)
def test_latest_until(today, expected):
    assert latest_until(today) == expected


@pytest.mark.parametrize(
    ("today", "acknowledged", "expired", "exit_code"),
    [
        (date(2026, 3, 30), True, False, ExitCode.OK),
        (date(2026, 3, 31), True, False, ExitCode.OK),  # through the end of that day
        (date(2026, 4, 1), True, True, ExitCode.DRIFT),  # then it is drift again
    ],
)
def test_expiry(today, acknowledged, expired, exit_code):
    diffs, stale = apply_acknowledgements([drift(changed())], [ack()], today, "configs/s.yaml")
    note = diffs[0].changes[0].acknowledged
    assert (note is not None) is acknowledged and note is not None and note.expired is expired
    assert stale == []
    assert verdict_of(diffs, [], []).exit_code == exit_code


@pytest.mark.parametrize(
    ("diff", "exit_code"),
    [
        (drift(changed(), changed("OTHER")), ExitCode.DRIFT),  # one change not covered
        (drift(changed("OTHER")), ExitCode.DRIFT),
        (drift(changed(), kind="job"), ExitCode.DRIFT),  # another kind, same name
        (drift(revisions=(RevisionDrift("api-1", 10, (changed(),)),)), ExitCode.OK),
        (drift(changed(), revisions=(RevisionDrift("api-1", 10, (changed(),)),)), ExitCode.OK),
        (drift(revisions=(RevisionDrift("api-1", 10, (changed("OTHER"),)),)), ExitCode.DRIFT),
    ],
)
def test_what_an_acknowledgement_covers(diff, exit_code):
    diffs, _ = apply_acknowledgements([diff], [ack()], TODAY, "configs/s.yaml")
    assert verdict_of(diffs, [], []).exit_code == exit_code


@pytest.mark.parametrize(
    ("diff", "stale"),
    [
        (WorkloadDiff("api", "p", "r", WorkloadStatus.IN_SYNC), True),
        (drift(changed("OTHER")), True),
        (drift(changed()), False),
        # Not compared: nothing can be said about it.
        (WorkloadDiff("api", "p", "r", WorkloadStatus.ERROR, error="x"), False),
        (WorkloadDiff("api", "p", "r", WorkloadStatus.MISSING), False),
        (WorkloadDiff("other", "p", "r", WorkloadStatus.IN_SYNC), False),
    ],
)
def test_stale(diff, stale):
    _, warnings = apply_acknowledgements([diff], [ack()], TODAY, "configs/s.yaml")
    assert bool(warnings) is stale
    if stale:
        assert warnings[0].startswith("configs/s.yaml:7: ") and "stale" in warnings[0]


def test_a_missing_workload_always_fails():
    missing = WorkloadDiff("api", "p", "r", WorkloadStatus.MISSING, changes=(changed(),))
    diffs, _ = apply_acknowledgements([missing], [ack()], TODAY, "s.yaml")
    assert verdict_of(diffs, [], []).exit_code == ExitCode.DRIFT


def test_violations_are_never_acknowledged():
    diffs, _ = apply_acknowledgements([drift(changed())], [ack()], TODAY, "s.yaml")
    assert verdict_of(diffs, ["a violation"], []).exit_code == ExitCode.POLICY  # type: ignore[list-item]

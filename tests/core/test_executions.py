"""The executions window and leakage on executions: pure tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deploytool.core.executions import execution_violations, in_window, parse_window
from deploytool.core.model import EnvVar, LiveContainer, LiveExecution
from deploytool.core.policy import Policy

NOW = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("6h", timedelta(hours=6)),
        ("24h", timedelta(hours=24)),
        ("2d", timedelta(days=2)),
        ("90s", timedelta(seconds=90)),
    ],
)
def test_windows_parse(text, expected):
    assert parse_window(text) == expected


@pytest.mark.parametrize("text", ["", "24", "1w", "-2h", "0h", "h", "2 d", "1.5h"])
def test_malformed_windows_are_refused(text):
    with pytest.raises(ValueError):
        parse_window(text)


def run(created: str, *, running: bool = False, env=()) -> LiveExecution:
    return LiveExecution(
        "e-1", "migrate", "p", "r", (LiveContainer("app", tuple(env)),), created, "", running
    )


@pytest.mark.parametrize(
    ("execution", "kept"),
    [
        (run("2026-01-31T11:00:00Z"), True),
        (run("2026-01-30T12:00:00Z"), True),  # exactly at the cutoff
        (run("2026-01-30T11:59:59Z"), False),
        (run("2026-01-01T00:00:00Z", running=True), True),  # still running: always
        (run(""), True),  # unknown creation time: checked rather than missed
        (run("2026-01-31T11:00:00.123456Z"), True),
    ],
)
def test_the_window_keeps_running_and_recent_executions(execution, kept):
    assert in_window(execution, NOW - timedelta(hours=24)) is kept


@pytest.mark.parametrize(
    ("environment", "names", "found"),
    [
        ("production", ["E2E_TESTING", "A"], ["E2E_TESTING"]),
        ("production", ["e2e_testing"], ["e2e_testing"]),
        ("production", ["A"], []),
        ("staging", ["E2E_TESTING"], []),
    ],
)
def test_execution_leakage_names_job_and_execution(environment, names, found):
    env = [EnvVar(n, "1") for n in names]
    violations = execution_violations(environment, run("2026-01-31T11:00:00Z", env=env), Policy())
    assert [v.variable for v in violations] == found
    for v in violations:
        assert (v.kind, v.service, v.execution, v.source) == ("job", "migrate", "e-1", "live")
        assert "execution e-1 of job migrate" in v.message

"""decide and combine: one status and one exit code, by precedence 4 > 5 > 3 > 0."""

from __future__ import annotations

import itertools

import pytest

from deploytool.core.verdict import Status, Verdict, combine, decide
from deploytool.errors import ExitCode


def expected(violations: int, errors: int, drifted: int) -> tuple[Status, int]:
    if violations:
        return Status.LEAKAGE, 4
    if errors:
        return Status.ERROR, 5
    if drifted:
        return Status.DRIFT, 3
    return Status.IN_SYNC, 0


DECIDE_TABLE = [
    # violations, errors, drifted -> status, exit
    (0, 0, 0, Status.IN_SYNC, 0),
    (0, 0, 1, Status.DRIFT, 3),
    (0, 1, 0, Status.ERROR, 5),
    (0, 1, 1, Status.ERROR, 5),
    (1, 0, 0, Status.LEAKAGE, 4),
    (1, 0, 1, Status.LEAKAGE, 4),
    (1, 1, 0, Status.LEAKAGE, 4),
    (1, 1, 1, Status.LEAKAGE, 4),
]


def test_table_covers_every_combination() -> None:
    assert sorted(row[:3] for row in DECIDE_TABLE) == list(itertools.product((0, 1), repeat=3))
    for v, e, d, status, code in DECIDE_TABLE:
        assert expected(v, e, d) == (status, code)


@pytest.mark.parametrize(("violations", "errors", "drifted", "status", "code"), DECIDE_TABLE)
def test_decide(violations, errors, drifted, status, code) -> None:
    verdict = decide(violations=violations, errors=errors, drifted=drifted)
    assert verdict.status is status
    assert verdict.exit_code == code
    assert int(verdict.exit_code) == code
    assert verdict.ok is (code == 0)


@pytest.mark.parametrize(
    ("violations", "errors", "drifted", "code"),
    [(7, 0, 0, 4), (0, 3, 0, 5), (0, 0, 12, 3), (2, 9, 40, 4), (0, 2, 5, 5)],
)
def test_decide_counts_not_flags(violations, errors, drifted, code) -> None:
    assert decide(violations=violations, errors=errors, drifted=drifted).exit_code == code


def test_decide_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        decide(0, 0, 0)  # type: ignore[misc]


def test_exit_codes_match_contract() -> None:
    assert (ExitCode.OK, ExitCode.DRIFT, ExitCode.POLICY, ExitCode.LIVE) == (0, 3, 4, 5)


V_OK = Verdict(Status.IN_SYNC, ExitCode.OK)
V_DRIFT = Verdict(Status.DRIFT, ExitCode.DRIFT)
V_ERROR = Verdict(Status.ERROR, ExitCode.LIVE)
V_LEAK = Verdict(Status.LEAKAGE, ExitCode.POLICY)


@pytest.mark.parametrize(
    ("verdicts", "status", "code"),
    [
        ([], Status.IN_SYNC, 0),
        ([V_OK], Status.IN_SYNC, 0),
        ([V_OK, V_OK], Status.IN_SYNC, 0),
        ([V_OK, V_DRIFT], Status.DRIFT, 3),
        ([V_DRIFT, V_OK], Status.DRIFT, 3),
        ([V_DRIFT, V_ERROR], Status.ERROR, 5),
        ([V_ERROR, V_DRIFT, V_OK], Status.ERROR, 5),
        ([V_OK, V_ERROR, V_LEAK, V_DRIFT], Status.LEAKAGE, 4),
        ([V_LEAK, V_OK], Status.LEAKAGE, 4),
        ([V_ERROR, V_ERROR], Status.ERROR, 5),
    ],
)
def test_combine(verdicts, status, code) -> None:
    result = combine(verdicts)
    assert result.status is status
    assert result.exit_code == code


@pytest.mark.parametrize(
    "flags", list(itertools.product(itertools.product((0, 1), repeat=3), repeat=2))
)
def test_combine_equals_decide_on_summed_counts(flags) -> None:
    verdicts = [decide(violations=v, errors=e, drifted=d) for v, e, d in flags]
    total = [sum(column) for column in zip(*flags, strict=True)]
    merged = decide(violations=total[0], errors=total[1], drifted=total[2])
    assert combine(verdicts) == merged


def test_combine_accepts_a_generator() -> None:
    assert combine(v for v in [V_OK, V_DRIFT]).exit_code == 3

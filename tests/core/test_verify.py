"""verify's judgement: what the app reported against what the manifest and policy say, as
tables of (expectation, answer) -> status; and the verdict's precedence 4 > 5 > 3 > 0."""

from __future__ import annotations

import itertools

import pytest

from deploytool.core.model import E2EBlock, EnvVar, Manifest, ServiceSpec
from deploytool.core.verify import (
    Expectation,
    Observation,
    ServiceVerification,
    SocketOutcome,
    VerifyStatus,
    expectation_for,
    judge,
    verify_verdict,
)
from deploytool.core.verify_spec import VerifySpec

SPEC = VerifySpec(path="/health", e2e_flag="e2e_testing.enabled")
WITH_EXPECT = VerifySpec(
    path="/health", e2e_flag="e2e_testing.enabled", expect=(("db.status", "ok"), ("n", "3"))
)
WITH_SOCKET = VerifySpec(path="/health", e2e_flag="e2e_testing.enabled", websocket="/ws")
OK, DIS, LEAK, ERR = (
    VerifyStatus.OK,
    VerifyStatus.DISAGREES,
    VerifyStatus.LEAKAGE,
    VerifyStatus.ERROR,
)


def flag(value: object) -> dict[str, object]:
    return {"e2e_testing": {"enabled": value}}


FLAG_TABLE = [
    # should apply, protected, reported flag -> status
    (True, False, True, OK),
    (True, False, False, DIS),  # the incident: staging's app does not see the set
    (False, False, True, DIS),  # enabled where the set does not apply
    (False, False, False, OK),
    (False, True, False, OK),
    (False, True, True, LEAK),  # the bypass enabled in production
    (False, True, "true", LEAK),  # a string spelling is still the bypass
    (True, False, "1", OK),
    (True, False, None, DIS),  # null answers nothing
    (False, True, "yes", DIS),  # neither true nor false: never passes
]


@pytest.mark.parametrize(("should", "protected", "reported", "status"), FLAG_TABLE)
def test_flag(should, protected, reported, status):
    seen = Observation("http://app", 200, body=flag(reported))
    result = judge("api", SPEC, Expectation(should, protected), seen)
    assert result.status is status
    (check,) = result.checks
    assert check.check == "e2e_testing.enabled"
    assert check.ok is (status is OK)


def test_flag_absent_from_the_answer_disagrees():
    seen = Observation("http://app", 200, body={"status": "ok"})
    result = judge("api", SPEC, Expectation(True, False), seen)
    assert result.status is DIS
    assert result.checks[0].seen is None


EXPECT_TABLE = [
    # answer besides the flag -> status
    ({"db": {"status": "ok"}, "n": 3}, OK),  # a number compares by its JSON spelling
    ({"db": {"status": "ok"}, "n": "3"}, OK),
    ({"db": {"status": "down"}, "n": 3}, DIS),
    ({"db": {}, "n": 3}, DIS),
    ({"db": {"status": "ok"}, "n": 3.0}, DIS),
]


@pytest.mark.parametrize(("answer", "status"), EXPECT_TABLE)
def test_expect(answer, status):
    seen = Observation("http://app", 200, body={**flag(True), **answer})
    assert judge("api", WITH_EXPECT, Expectation(True, False), seen).status is status


def test_secret_looking_expect_paths_are_masked():
    spec = VerifySpec(path="/h", e2e_flag="f", expect=(("auth.api_key", "abc"),))
    result = judge("api", spec, Expectation(False, False), Observation("u", 200, {"f": False}))
    check = result.checks[1]
    assert (check.expected, check.seen) == ("***", None)
    result = judge(
        "api",
        spec,
        Expectation(False, False),
        Observation("u", 200, {"f": False, "auth": {"api_key": "x"}}),
    )
    assert (result.checks[1].expected, result.checks[1].seen) == ("***", "***")


SOCKET_TABLE = [
    # outcome -> status, seen
    (SocketOutcome(held=True), OK, "open"),
    (SocketOutcome(close_code=1000), OK, "closed 1000 (normal)"),
    (
        SocketOutcome(close_code=1011, close_reason="Factory SSOT validation failed"),
        DIS,
        "closed 1011 'Factory SSOT validation failed'",
    ),
    (SocketOutcome(close_code=1008, close_reason=""), DIS, "closed 1008"),
    (SocketOutcome(error="refused", http_status=403, hint="auth"), ERR, None),
]


@pytest.mark.parametrize(("outcome", "status", "seen"), SOCKET_TABLE)
def test_socket(outcome, status, seen):
    observed = Observation("http://app", 200, body=flag(True), socket=outcome)
    result = judge("api", WITH_SOCKET, Expectation(True, False), observed)
    assert result.status is status
    assert result.checks[-1].seen == seen
    assert result.checks[-1].close_code == outcome.close_code


def test_unreadable_health_is_an_error_with_its_hint():
    seen = Observation("http://app", 401, error="refused the caller", hint="use a token")
    result = judge("api", SPEC, Expectation(True, False), seen)
    assert (result.status, result.http_status, result.hint) == (ERR, 401, "use a token")


def test_leakage_outranks_an_unreadable_socket():
    seen = Observation("http://app", 200, body=flag(True), socket=SocketOutcome(error="refused"))
    assert judge("api", WITH_SOCKET, Expectation(False, True), seen).status is LEAK


def result_with(status: VerifyStatus) -> ServiceVerification:
    return ServiceVerification("s", "u", status, ())


ORDER = [LEAK, ERR, DIS, OK]
EXIT = {LEAK: 4, ERR: 5, DIS: 3, OK: 0}


@pytest.mark.parametrize("statuses", list(itertools.product(ORDER, repeat=2)))
def test_verdict_precedence(statuses):
    worst = min(statuses, key=ORDER.index)
    assert int(verify_verdict([result_with(s) for s in statuses]).exit_code) == EXIT[worst]


def test_nothing_verified_is_never_green():
    assert int(verify_verdict([]).exit_code) == 5


def manifest(e2e: E2EBlock | None) -> Manifest:
    services = tuple(ServiceSpec(n, "p", "r", ()) for n in ("api", "web"))
    return Manifest("staging", "staging.yaml", "p", "r", services, e2e=e2e)


SET = (EnvVar("E2E_TESTING", "1"),)
EXPECTATION_TABLE = [
    # e2e block, service, protected -> flag should be true
    (None, "api", False, False),
    (E2EBlock(SET), "api", False, True),
    (E2EBlock(SET, services=("api",)), "api", False, True),
    (E2EBlock(SET, services=("api",)), "web", False, False),
    (E2EBlock(SET), "api", True, False),  # a protected environment never wants the bypass
]


@pytest.mark.parametrize(("block", "service", "protected", "should"), EXPECTATION_TABLE)
def test_expectation(block, service, protected, should):
    assert expectation_for(manifest(block), service, protected) == Expectation(should, protected)

"""Parity, pure: pairing and gaps as tables."""

from __future__ import annotations

import pytest

from deploytool.core.parity import (
    Gap,
    GapKind,
    ServiceVariables,
    Unpaired,
    compare,
    pair_services,
    parity,
)
from deploytool.core.parity_settings import ParitySettings
from deploytool.core.policy import Policy


def svc(name: str, *plain: str, secrets: tuple[str, ...] = (), ignore: tuple[str, ...] = ()):
    return ServiceVariables(
        name, {**dict.fromkeys(plain, False), **dict.fromkeys(secrets, True)}, ignore
    )


@pytest.mark.parametrize(
    ("a", "b", "policy", "pairs", "unpaired"),
    [
        (["api"], ["api"], Policy(), [("api", "api")], []),
        (["api-staging"], ["api"], Policy(), [("api-staging", "api")], []),
        (["api"], ["api-production"], Policy(), [("api", "api-production")], []),
        (["api-staging"], ["api-production"], Policy(), [("api-staging", "api-production")], []),
        (
            ["backend-stg"],
            ["backend"],
            Policy(parity=ParitySettings(pairs=(("backend-stg", "backend"),))),
            [("backend-stg", "backend")],
            [],
        ),
        (
            # the policy's pair wins over the same name
            ["api", "api-new"],
            ["api"],
            Policy(parity=ParitySettings(pairs=(("api-new", "api"),))),
            [("api-new", "api")],
            [Unpaired("staging", "api")],
        ),
        (
            ["api", "worker"],
            ["api", "cron"],
            Policy(),
            [("api", "api")],
            [Unpaired("staging", "worker"), Unpaired("production", "cron")],
        ),
        # a suffix of another environment's name is no match
        (
            ["api-dev"],
            ["api"],
            Policy(),
            [],
            [Unpaired("staging", "api-dev"), Unpaired("production", "api")],
        ),
    ],
    ids=[
        "same-name",
        "suffix-a",
        "suffix-b",
        "both-suffixes",
        "policy-pair",
        "policy-first",
        "unpaired",
        "other-suffix",
    ],
)
def test_pairing(a, b, policy, pairs, unpaired):
    assert pair_services("staging", a, "production", b, policy) == (pairs, unpaired)


@pytest.mark.parametrize(
    ("a", "b", "policy", "gaps"),
    [
        (svc("x", "A", "B"), svc("y", "A", "B"), Policy(), ()),
        (svc("x", "A", "ONLY_A"), svc("y", "A"), Policy(), (Gap("ONLY_A", GapKind.ONLY_IN_A),)),
        (svc("x", "A"), svc("y", "A", "ONLY_B"), Policy(), (Gap("ONLY_B", GapKind.ONLY_IN_B),)),
        (
            svc("x", "DB_URL"),
            svc("y", secrets=("DB_URL",)),
            Policy(),
            (Gap("DB_URL", GapKind.PLAIN_VS_SECRET, "b"),),
        ),
        (
            svc("x", secrets=("DB_URL",)),
            svc("y", "DB_URL"),
            Policy(),
            (Gap("DB_URL", GapKind.PLAIN_VS_SECRET, "a"),),
        ),
        # E2E names (any case, patterns too) are meant to differ
        (svc("x", "E2E_TESTING", "e2e_testing", "MY_E2E_FLAG", "A"), svc("y", "A"), Policy(), ()),
        # ignored on either side, or by parity.ignore
        (svc("x", "GIT_SHA", ignore=("GIT_SHA",)), svc("y"), Policy(), ()),
        (svc("x", "OTEL_X"), svc("y", ignore=("OTEL_*",)), Policy(), ()),
        (svc("x", "LOG_LEVEL"), svc("y"), Policy(parity=ParitySettings(ignore=("LOG_*",))), ()),
    ],
    ids=[
        "same",
        "only-a",
        "only-b",
        "plain-vs-secret",
        "secret-vs-plain",
        "e2e",
        "ignore-a",
        "ignore-b",
        "parity-ignore",
    ],
)
def test_gaps(a, b, policy, gaps):
    assert compare(a, b, policy) == gaps


@pytest.mark.parametrize(
    ("a", "b", "errors", "exit_code"),
    [
        ([svc("api", "A")], [svc("api", "A")], (), 0),
        ([svc("api", "A")], [svc("api")], (), 3),
        ([svc("api", "A")], [svc("api", "A")], ("prod: api: not found live",), 5),
        # unpaired services are listed, not a gap
        ([svc("api", "A"), svc("extra")], [svc("api", "A")], (), 0),
    ],
)
def test_verdict(a, b, errors, exit_code):
    report = parity("staging", a, "production", b, Policy(), errors=errors)
    assert int(report.verdict.exit_code) == exit_code

"""Which probe decides a service's app verdict when apply polled it several times: any
agreement wins (polling stops there); otherwise leakage, then a disagreement, and only an app
never reached is an error (exit 5)."""

from __future__ import annotations

import pytest

from deploytool.commands.apply_app import decide
from deploytool.core.verify import ServiceVerification, VerifyStatus

OK, DIS, LEAK, ERR = (
    VerifyStatus.OK,
    VerifyStatus.DISAGREES,
    VerifyStatus.LEAKAGE,
    VerifyStatus.ERROR,
)


def probe(status: VerifyStatus, n: int) -> ServiceVerification:
    return ServiceVerification("api", f"http://127.0.0.1/{n}", status, ())


@pytest.mark.parametrize(
    ("statuses", "status", "deciding", "agrees"),
    [
        ([OK], OK, 0, True),
        ([DIS, DIS, OK], OK, 2, True),
        ([ERR, DIS, OK], OK, 2, True),
        ([DIS, DIS], DIS, 1, False),
        ([DIS, ERR], DIS, 0, False),  # reached once and disagreed: not "unreachable"
        ([ERR, DIS, ERR], DIS, 1, False),
        ([LEAK, DIS], LEAK, 0, False),  # the bypass was seen on in a protected environment
        ([DIS, LEAK, ERR], LEAK, 1, False),
        ([ERR, ERR, ERR], ERR, 2, False),  # unreachable for the whole window
    ],
)
def test_the_deciding_probe(statuses, status, deciding, agrees):
    verdict = decide([probe(s, n) for n, s in enumerate(statuses)])
    assert verdict.result.status is status
    assert verdict.result.url == f"http://127.0.0.1/{deciding}"
    assert verdict.probes == len(statuses)
    assert verdict.agrees is agrees

"""From findings to one status and one exit code, by the contract's precedence 4 > 5 > 3 > 0."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from deploytool.errors import ExitCode


class Status(StrEnum):
    IN_SYNC = "in_sync"
    DRIFT = "drift"
    LEAKAGE = "leakage"  # any policy violation: E2E leakage or a project pin
    ERROR = "error"  # some live state could not be read or written


@dataclass(frozen=True)
class Verdict:
    status: Status
    exit_code: ExitCode

    @property
    def ok(self) -> bool:
        return self.exit_code == ExitCode.OK


_BY_STATUS = {
    Status.LEAKAGE: ExitCode.POLICY,
    Status.ERROR: ExitCode.LIVE,
    Status.DRIFT: ExitCode.DRIFT,
    Status.IN_SYNC: ExitCode.OK,
}


def decide(*, violations: int, errors: int, drifted: int) -> Verdict:
    """Fail closed: any read error keeps the verdict off green, whatever else holds."""
    if violations:
        status = Status.LEAKAGE
    elif errors:
        status = Status.ERROR
    elif drifted:
        status = Status.DRIFT
    else:
        status = Status.IN_SYNC
    return Verdict(status, _BY_STATUS[status])


def verdict_for(status: Status) -> Verdict:
    """The verdict of a status decided elsewhere (apply's outcome)."""
    return Verdict(status, _BY_STATUS[status])


def combine(verdicts: Iterable[Verdict]) -> Verdict:
    """The verdict of several environments: the most severe by precedence."""
    order = [Status.LEAKAGE, Status.ERROR, Status.DRIFT, Status.IN_SYNC]
    worst = Status.IN_SYNC
    for verdict in verdicts:
        if order.index(verdict.status) < order.index(worst):
            worst = verdict.status
    return Verdict(worst, _BY_STATUS[worst])

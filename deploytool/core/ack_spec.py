"""The manifest's `acknowledge:` entries as values (kept apart so the model and the diff can
carry them without importing the logic in core/acknowledge.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Acknowledgement:
    """Known drift on one variable of one workload, accepted through the end of `until`
    (UTC)."""

    kind: str
    workload: str
    variable: str
    reason: str
    until: date
    line: int | None = field(default=None, compare=False)

    def active_on(self, today: date) -> bool:
        """Through the end of `until`: on that day it still holds, the next day it is gone."""
        return today <= self.until


@dataclass(frozen=True)
class AckNote:
    """What an acknowledgement says about one change: accepted until a date, or `expired`
    (the date has passed, so the change is drift again)."""

    reason: str
    until: date
    expired: bool = False

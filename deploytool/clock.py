"""The one clock the commands read: today's date in UTC. A seam: tests patch `today_utc`
(or write dates relative to the real one); the core is always handed the date."""

from __future__ import annotations

from datetime import UTC, date, datetime


def today_utc() -> date:
    return datetime.now(UTC).date()

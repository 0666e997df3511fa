"""The manifest's `verify:` block as a value (kept apart so the model can carry it)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VerifySpec:
    """The manifest's `verify:` block."""

    path: str
    e2e_flag: str
    expect: tuple[tuple[str, str], ...] = ()
    websocket: str | None = None
    services: tuple[str, ...] | None = None  # None: every service of the manifest
    line: int | None = field(default=None, compare=False)

    def covers(self, service: str) -> bool:
        return self.services is None or service in self.services

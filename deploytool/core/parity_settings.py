"""The policy's `parity:` section: which services pair up, and which names may differ."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ParitySettings:
    """`pairs`: service in the first environment -> service in the second (sorted);
    `ignore`: names or globs allowed to exist on one side only."""

    pairs: tuple[tuple[str, str], ...] = ()
    ignore: tuple[str, ...] = ()

"""The policy's `parity:` section, strictly: `pairs` (service in the first environment ->
service in the second) and `ignore` (names or globs allowed on one side only)."""

from __future__ import annotations

import re

from deploytool.core.parity_settings import ParitySettings
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_list,
    string_value,
)
from deploytool.manifest.shape import PARITY

PARITY_KEYS = PARITY.names
# Cloud Run's rule for service names (as the manifest loader checks them).
_SERVICE_NAME = re.compile(r"^[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?$")
_BAD_NAME = (
    "not a Cloud Run service name (lowercase letters, digits and -, starting with a letter); "
    "fix the name"
)


def read_parity(entry: Entry | None, problems: Problems) -> ParitySettings:
    """`parity:` as settings (the defaults when absent); problems are collected."""
    if entry is None:
        return ParitySettings()
    entries = mapping_entries(entry.value, "parity", "a mapping with pairs: and ignore:", problems)
    keys = known_keys(entries or [], PARITY_KEYS, "in policy parity", problems)
    pairs: list[tuple[str, str]] = []
    if "pairs" in keys:
        listed = mapping_entries(
            keys["pairs"].value,
            "pairs",
            "a mapping of service in the first environment to service in the second",
            problems,
        )
        targets: dict[str, int] = {}
        for pair in listed or ():
            target = string_value(pair.value, f"pairs: {pair.key}", problems)
            if target is None:
                continue
            for name in (pair.key, target):
                if not _SERVICE_NAME.match(name):
                    problems.add(pair.line, f"parity pairs: {shown(name)}: {_BAD_NAME}")
            if target in targets:
                problems.add(
                    pair.line,
                    f"parity pairs: {shown(target)} is paired twice (first at line "
                    f"{targets[target]}); a service pairs with one service only",
                )
            targets.setdefault(target, pair.line)
            pairs.append((pair.key, target))
    ignore: tuple[str, ...] = ()
    if "ignore" in keys:
        items = string_list(
            keys["ignore"].value, "ignore", "a list of variable names or globs", problems
        )
        ignore = tuple(item.key for item in items or ())
    return ParitySettings(tuple(sorted(pairs)), ignore)

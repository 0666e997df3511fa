"""Warnings about the policy itself: settings that are valid but probably not meant, because
they quietly weaken the gate. They never fail a command and never contain a value."""

from __future__ import annotations

import re
from collections.abc import Collection

from deploytool.core.policy import DEFAULT_E2E_NAMES, DEFAULT_E2E_PATTERNS, Policy

# Words that name a production environment, alone or as a `-`/`_` separated part (eu-prod).
PRODUCTION_WORDS = frozenset({"prod", "production", "prd", "live"})
# What a pattern's `*` stands for when asking whether the policy still catches its names.
_FILLERS = ("X", "SOME_THING")


def looks_like_production(environment: str) -> bool:
    return any(word in PRODUCTION_WORDS for word in re.split(r"[-_]", environment.lower()))


def policy_warnings(policy: Policy, environments: Collection[str]) -> list[str]:
    """`policy.yaml:line: message` for each questionable setting. `environments` are those
    with a manifest in the config directory."""
    found: list[str] = []

    def where(key: str) -> str:
        line = policy.line_of(key)
        path = policy.path or "policy.yaml"
        return f"{path}:{line}" if line is not None else path

    for name in DEFAULT_E2E_NAMES:
        if not policy.is_e2e_name(name):
            found.append(
                f"{where('e2e.names')}: e2e.names drops the default E2E name {name} and no "
                f"pattern matches it, so {name} in a protected environment is no longer "
                "leakage; add it back unless that is intended"
            )
    for pattern in DEFAULT_E2E_PATTERNS:
        examples = [pattern.replace("*", filler) for filler in _FILLERS]
        if not all(policy.is_e2e_name(example) for example in examples):
            found.append(
                f"{where('e2e.patterns')}: e2e.patterns drops the default pattern {pattern!r}, "
                f"so names like {examples[0]} are no longer leakage in a protected "
                "environment; add it back unless that is intended"
            )
    for environment in policy.allowed_environments:
        if looks_like_production(environment):
            found.append(
                f"{where('e2e.allowed_environments.' + environment)}: E2E variables are "
                f"allowed in {environment!r}, whose name looks like production; there they "
                "bypass authentication for real users: remove it from "
                "e2e.allowed_environments unless it is not production"
            )
    configured = sorted({env for env, _ in policy.pins} | {env for env, _ in policy.regions})
    for environment in configured:
        if environment not in environments:
            found.append(
                f"{where('environments.' + environment)}: environments: {environment!r} has "
                f"no manifest ({environment}.yaml) in the config directory, so it is neither "
                "checked nor audited; add the manifest or fix the name"
            )
    return found

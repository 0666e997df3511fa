"""`policy.yaml` nodes → the core `Policy`; absent sections and keys keep their defaults."""

from __future__ import annotations

from yaml.nodes import Node

from deploytool.core.policy import Policy
from deploytool.manifest.files import ENVIRONMENT_NAME
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_list,
)
from deploytool.manifest.policy_redact import read_redaction

POLICY_KEYS = ("e2e", "environments", "redact")
POLICY_E2E_KEYS = ("names", "patterns", "allowed_environments")
PIN_KEYS = ("projects",)
_BAD_ENVIRONMENT = (
    "not an environment name (the stem of configs/<environment>.yaml: lowercase letters, "
    "digits, - and _); fix the spelling"
)


def build_policy(root: Node | None, path: str, problems: Problems) -> Policy | None:
    """The policy in `root` (None when a problem was found). An empty file is the defaults."""
    defaults = Policy(path=path)
    if root is None:
        return defaults
    entries = mapping_entries(root, "top level", "a mapping with e2e: and environments:", problems)
    top = known_keys(entries or [], POLICY_KEYS, "in policy", problems)
    names, patterns, allowed = (
        defaults.e2e_names,
        defaults.e2e_patterns,
        defaults.allowed_environments,
    )
    if "e2e" in top:
        e2e_entries = mapping_entries(
            top["e2e"].value,
            "e2e",
            "a mapping with names:, patterns:, allowed_environments:",
            problems,
        )
        e2e = known_keys(e2e_entries or [], POLICY_E2E_KEYS, "in policy e2e", problems)
        names = _strings(e2e.get("names"), "names", "a list of variable names", problems, names)
        patterns = _strings(
            e2e.get("patterns"), "patterns", "a list of globs such as E2E_*", problems, patterns
        )
        allowed = _strings(
            e2e.get("allowed_environments"),
            "allowed_environments",
            "a list of environment names",
            problems,
            allowed,
        )
    pins = _pins(top["environments"], problems) if "environments" in top else ()
    redaction = read_redaction(top.get("redact"), problems)
    if problems.items:
        return None
    return Policy(
        e2e_names=names,
        e2e_patterns=patterns,
        allowed_environments=allowed,
        pins=pins,
        path=path,
        redaction=redaction,
    )


def _strings(
    entry: Entry | None, label: str, expected: str, problems: Problems, default: tuple[str, ...]
) -> tuple[str, ...]:
    if entry is None:
        return default
    items = string_list(entry.value, label, expected, problems) or []
    if label == "allowed_environments":
        for item in items:
            if not ENVIRONMENT_NAME.match(item.key):
                problems.add(item.line, f"{label}: {shown(item.key)}: {_BAD_ENVIRONMENT}")
    return tuple(item.key for item in items)


def _pins(entry: Entry, problems: Problems) -> tuple[tuple[str, tuple[str, ...]], ...]:
    environments = mapping_entries(
        entry.value,
        "environments",
        "a mapping of environment name to {projects: [...]}",
        problems,
    )
    pins = []
    for env in environments or ():
        if not ENVIRONMENT_NAME.match(env.key):
            problems.add(env.line, f"{shown(env.key)}: {_BAD_ENVIRONMENT}")
        settings = mapping_entries(env.value, env.key, "a mapping with projects:", problems)
        keys = known_keys(settings or [], PIN_KEYS, f"in environment {env.key}", problems)
        if settings is None:
            continue
        if "projects" not in keys:
            problems.add(
                env.line,
                f"{env.key}: projects: missing; list the environment's GCP "
                "projects, or remove the environment",
            )
            continue
        projects = string_list(
            keys["projects"].value, "projects", "a list of GCP project ids", problems
        )
        if projects is not None and not projects:
            problems.add(
                keys["projects"].line,
                f"{env.key}: projects: is empty; list at least "
                "one GCP project, or remove the environment",
            )
        pins.append((env.key, tuple(item.key for item in projects or ())))
    return tuple(sorted(pins))

"""`policy.yaml` nodes → the core `Policy`; absent sections and keys keep their defaults."""

from __future__ import annotations

from yaml.nodes import Node, ScalarNode

from deploytool.core.policy import Policy
from deploytool.core.regions import region_problem
from deploytool.manifest.files import ENVIRONMENT_NAME
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    describe,
    known_keys,
    mapping_entries,
    shown,
    string_list,
)
from deploytool.manifest.policy_parity import read_parity
from deploytool.manifest.policy_redact import read_redaction
from deploytool.manifest.shape import PIN, POLICY, POLICY_E2E

POLICY_KEYS = POLICY.names
POLICY_E2E_KEYS = POLICY_E2E.names
PIN_KEYS = PIN.names
_BOOL_TAG = "tag:yaml.org,2002:bool"
# YAML 1.2's booleans only: `yes`/`on` (YAML 1.1) are too easy to write by accident.
_BOOLEANS = {
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
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
    case_sensitive = defaults.case_sensitive
    lines: list[tuple[str, int]] = [(key, entry.line) for key, entry in top.items()]
    if "e2e" in top:
        e2e_entries = mapping_entries(
            top["e2e"].value,
            "e2e",
            "a mapping with names:, patterns:, allowed_environments:, case_sensitive:",
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
            lines,
        )
        if "case_sensitive" in e2e:
            case_sensitive = _boolean(e2e["case_sensitive"], "case_sensitive", problems)
        lines += [(f"e2e.{key}", entry.line) for key, entry in e2e.items()]
    pins: tuple[tuple[str, tuple[str, ...]], ...] = ()
    regions: tuple[tuple[str, tuple[str, ...]], ...] = ()
    if "environments" in top:
        pins, regions, env_lines = _environments(top["environments"], problems)
        lines += env_lines
    redaction = read_redaction(top.get("redact"), problems)
    parity = read_parity(top.get("parity"), problems)
    if problems.items:
        return None
    return Policy(
        e2e_names=names,
        e2e_patterns=patterns,
        allowed_environments=allowed,
        pins=pins,
        path=path,
        case_sensitive=case_sensitive,
        regions=regions,
        lines=tuple(lines),
        redaction=redaction,
        parity=parity,
    )


def _boolean(entry: Entry, label: str, problems: Problems) -> bool:
    node = entry.value
    if isinstance(node, ScalarNode) and node.tag == _BOOL_TAG and node.value in _BOOLEANS:
        return _BOOLEANS[node.value]
    found = (
        f"{shown(str(node.value))} ({describe(node)})"
        if isinstance(node, ScalarNode) and str(node.value)
        else describe(node)
    )
    problems.add(
        node,
        f"{label}: expected true or false, unquoted, found {found}; write {label}: true or "
        f"{label}: false",
    )
    return False


def _strings(
    entry: Entry | None,
    label: str,
    expected: str,
    problems: Problems,
    default: tuple[str, ...],
    lines: list[tuple[str, int]] | None = None,
) -> tuple[str, ...]:
    """The strings of a list (or `default` when absent); `lines` gets `e2e.LABEL.ITEM`."""
    if entry is None:
        return default
    items = string_list(entry.value, label, expected, problems) or []
    if lines is not None:
        lines += [(f"e2e.{label}.{item.key}", item.line) for item in items]
    if label == "allowed_environments":
        for item in items:
            if not ENVIRONMENT_NAME.match(item.key):
                problems.add(item.line, f"{label}: {shown(item.key)}: {_BAD_ENVIRONMENT}")
    return tuple(item.key for item in items)


Pins = tuple[tuple[str, tuple[str, ...]], ...]


def _environments(entry: Entry, problems: Problems) -> tuple[Pins, Pins, list[tuple[str, int]]]:
    """(project pins, extra regions, lines) of `environments:`. An environment may give
    `regions:` without `projects:`: it is then read in more regions but not pinned."""
    environments = mapping_entries(
        entry.value,
        "environments",
        "a mapping of environment name to {projects: [...], regions: [...]}",
        problems,
    )
    pins = []
    regions = []
    lines = []
    for env in environments or ():
        lines.append((f"environments.{env.key}", env.line))
        if not ENVIRONMENT_NAME.match(env.key):
            problems.add(env.line, f"{shown(env.key)}: {_BAD_ENVIRONMENT}")
        settings = mapping_entries(
            env.value, env.key, "a mapping with projects: and regions:", problems
        )
        keys = known_keys(settings or [], PIN_KEYS, f"in environment {env.key}", problems)
        if settings is None:
            continue
        if "regions" in keys:
            regions.append((env.key, _regions(keys["regions"], env.key, problems)))
        if "projects" not in keys:
            if "regions" not in keys:
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
    return tuple(sorted(pins)), tuple(sorted(regions)), lines


def _regions(entry: Entry, environment: str, problems: Problems) -> tuple[str, ...]:
    items = string_list(
        entry.value, "regions", "a list of Cloud Run regions such as us-east1", problems
    )
    if items is not None and not items:
        problems.add(
            entry.line,
            f"{environment}: regions: is empty; list at least one region, or remove regions:",
        )
    for item in items or ():
        problem = region_problem(item.key)
        if problem is not None:
            problems.add(item.line, f"{environment}: regions: {problem}")
    return tuple(item.key for item in items or ())

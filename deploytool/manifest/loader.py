"""A manifest's nodes → the core `Manifest`, with the e2e set merged into its services.
Problems are collected, never raised here; warnings are returned alongside."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from yaml.nodes import Node

from deploytool.clock import today_utc
from deploytool.core.model import (
    JOB,
    KIND_SECTIONS,
    KIND_WORDS,
    MAX_VARS_PER_CONTAINER,
    SERVICE,
    WORKER_POOL,
    Manifest,
    ServiceSpec,
    workload_label,
)
from deploytool.core.policy import Policy
from deploytool.manifest.acknowledge_block import read_acknowledge
from deploytool.manifest.advice import manifest_warnings
from deploytool.manifest.e2e_block import merge_e2e, read_e2e
from deploytool.manifest.ignore_check import WorkloadIgnores, check_ignored_declarations
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_list,
    string_value,
)
from deploytool.manifest.shape import MANIFEST, WORKLOAD
from deploytool.manifest.variables import read_plain_vars, read_secret_vars
from deploytool.manifest.verify_block import read_verify

# The allowed keys come from the one description that `deploytool schema` also reads.
TOP_KEYS = MANIFEST.names
SERVICE_KEYS = WORKLOAD.names
# Cloud Run's rule for service names (at most 49 characters). Jobs and worker pools take
# the same characters; 63 is the resource-name limit Cloud Run documents for jobs, assumed
# for worker pools too.
_NAME_RULES = {
    SERVICE: (re.compile(r"^[a-z](?:[-a-z0-9]{0,47}[a-z0-9])?$"), 49),
    JOB: (re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$"), 63),
    WORKER_POOL: (re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$"), 63),
}
_IGNORE_LIST = "a list of variable names or globs"


def build_manifest(
    root: Node,
    environment: str,
    problems: Problems,
    policy: Policy,
    today: date | None = None,
) -> tuple[Manifest | None, list[str]]:
    """The manifest in `root` (None when a problem was found) and its warnings. `today`
    (UTC; the clock's when None) bounds the acknowledgements' dates."""
    top_entries = mapping_entries(
        root, "top level", "a mapping with project:, region: and services:", problems
    )
    if top_entries is None:
        return None, []
    top = known_keys(top_entries, TOP_KEYS, "at the top level", problems)
    project = _required_name(top, "project", "the GCP project id", root, problems)
    region = _optional_name(top.get("region"), "region", problems)
    project_number = _project_number(top.get("project_number"), problems)
    ignore = _ignore(top.get("ignore"), "ignore", problems)
    if not any(section in top for section in KIND_SECTIONS.values()):
        problems.add(
            root,
            "services: missing; add services: (or jobs:, worker_pools:) with at least one "
            "Cloud Run workload",
        )
    # A region that is present but invalid is reported once, not again for every service.
    default_region = region if region is not None or "region" not in top else ""
    workloads = [
        workload
        for kind, section in KIND_SECTIONS.items()
        for workload in _services(top.get(section), project, default_region, ignore, problems, kind)
    ]
    specs = [w.spec for w in workloads]
    e2e = read_e2e(top.get("e2e"), specs, problems)
    protected = policy.is_protected(environment)
    check_ignored_declarations(
        workloads, ignore, e2e, problems, lambda name: protected and policy.is_e2e_name(name)
    )
    verify = read_verify(top.get("verify"), [s for s in specs if s.kind == SERVICE], problems)
    acknowledge = read_acknowledge(
        top.get("acknowledge"), specs, environment, policy, today or today_utc(), problems
    )
    warnings = manifest_warnings(problems.path, specs, e2e, policy)
    if e2e is not None:
        specs = [merge_e2e(spec, e2e, problems) for spec in specs]
    for spec in specs:
        if len(spec.env) > MAX_VARS_PER_CONTAINER:
            problems.add(
                spec.line,
                f"{workload_label(spec.kind, spec.name)}: {len(spec.env)} variables, over "
                f"Cloud Run's limit of "
                f"{MAX_VARS_PER_CONTAINER} per container; remove some",
            )
    if problems.items or project is None:
        return None, warnings
    if project_number is not None:
        # The number names the manifest's project only: a workload pointed elsewhere keeps
        # its numbers unresolved.
        specs = [
            replace(spec, project_number=project_number) if spec.project == project else spec
            for spec in specs
        ]
    manifest = Manifest(
        environment=environment,
        path=problems.path,
        project=project,
        region=region or "",
        services=tuple(s for s in specs if s.kind == SERVICE),
        jobs=tuple(s for s in specs if s.kind == JOB),
        worker_pools=tuple(s for s in specs if s.kind == WORKER_POOL),
        ignore=tuple(e.key for e in ignore),
        e2e=e2e.block if e2e is not None else None,
        project_line=top["project"].line,
        verify=verify,
        project_number=project_number,
        acknowledge=acknowledge,
    )
    return manifest, warnings


def _services(
    entry: Entry | None,
    project: str | None,
    region: str | None,
    ignore: list[Entry],
    problems: Problems,
    kind: str = SERVICE,
) -> list[WorkloadIgnores]:
    """The `services:` (or `jobs:`, `worker_pools:`) section: one entry shape for all."""
    if entry is None:
        return []
    section, word = KIND_SECTIONS[kind], KIND_WORDS[kind]
    entries = mapping_entries(
        entry.value, section, f"a mapping of {word} name to its settings", problems
    )
    if entries is None:
        return []
    if not entries:
        problems.add(entry.line, f"{section}: is empty; add at least one Cloud Run {word}")
    return [_service(item, project, region, ignore, problems, kind) for item in entries]


def _service(
    entry: Entry,
    project: str | None,
    default_region: str | None,
    top_ignore: list[Entry],
    problems: Problems,
    kind: str = SERVICE,
) -> WorkloadIgnores:
    name = entry.key
    word = KIND_WORDS[kind]
    pattern, longest = _NAME_RULES[kind]
    if not pattern.match(name):
        problems.add(
            entry.line,
            f"{shown(name)}: not a Cloud Run {word} name (lowercase letters, digits and -, "
            f"starting with a letter, at most {longest} characters); fix the name",
        )
    where = f"in {word} {shown(name)}"
    entries = mapping_entries(entry.value, name, f"a mapping of the {word}'s settings", problems)
    keys = known_keys(entries or [], SERVICE_KEYS, where, problems)
    own_project = _optional_name(keys.get("project"), "project", problems)
    region = _optional_name(keys.get("region"), "region", problems) or default_region
    if region is None and entries is not None:
        problems.add(
            entry.line,
            f"{shown(name)}: no region; add region: to the {word} or a default region: at the "
            "top level",
        )
    container = _optional_name(keys.get("container"), "container", problems)
    plain = read_plain_vars(keys["env"].value, "env", problems) if "env" in keys else []
    secret = (
        read_secret_vars(keys["secrets"].value, "secrets", problems) if "secrets" in keys else []
    )
    plain_lines = {var.name: var.line for var in plain}
    for var in secret:
        if var.name in plain_lines:
            problems.add(
                var.line,
                f"{var.name}: set both in env (line {plain_lines[var.name]}) and in secrets; "
                "keep only one",
            )
    own_ignore = _ignore(keys.get("ignore"), "ignore", problems)
    patterns = list(dict.fromkeys(e.key for e in [*top_ignore, *own_ignore]))
    spec = ServiceSpec(
        name=name,
        project=own_project or project or "",
        region=region or "",
        env=tuple(plain + secret),
        container=container,
        ignore=tuple(patterns),
        line=entry.line,
        kind=kind,
    )
    return WorkloadIgnores(spec, tuple(own_ignore), kind)


def _required_name(
    top: dict[str, Entry], key: str, what: str, root: Node, problems: Problems
) -> str | None:
    entry = top.get(key)
    if entry is None:
        problems.add(root, f"{key}: missing; add {key}: with {what}")
        return None
    return _optional_name(entry, key, problems)


def _optional_name(entry: Entry | None, key: str, problems: Problems) -> str | None:
    """A single-word setting (project, region, container): a non-empty string, no spaces."""
    if entry is None:
        return None
    text = string_value(entry.value, key, problems)
    if text is None:
        return None
    if not text:
        problems.add(entry.line, f"{key}: is empty; write the {key} name")
        return None
    if any(ch.isspace() or ch == "/" or not ch.isprintable() for ch in text):
        problems.add(
            entry.line,
            f"{key}: {shown(text)} is not a valid {key} (it contains a space, / or a control "
            "character); write the plain name",
        )
        return None
    return text


def _project_number(entry: Entry | None, problems: Problems) -> str | None:
    """`project_number:` is a quoted string of digits (a YAML integer would lose nothing
    here, but every other value in a manifest is a string, so this one is too)."""
    if entry is None:
        return None
    text = string_value(entry.value, "project_number", problems)
    if text is None:
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        problems.add(
            entry.line,
            f"project_number: {shown(text)} is not a project number (digits only, as "
            "gcloud projects describe PROJECT --format 'value(projectNumber)' prints it); "
            "fix it or remove the line",
        )
        return None
    return text


def _ignore(entry: Entry | None, label: str, problems: Problems) -> list[Entry]:
    if entry is None:
        return []
    return string_list(entry.value, label, _IGNORE_LIST, problems) or []

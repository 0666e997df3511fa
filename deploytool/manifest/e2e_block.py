"""The manifest's `e2e:` block, and merging it into the services it names."""

from __future__ import annotations

from dataclasses import dataclass, replace

from deploytool.core.model import KIND_SECTIONS, KIND_WORDS, E2EBlock, ServiceSpec
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_list,
)
from deploytool.manifest.shape import E2E
from deploytool.manifest.variables import read_plain_vars, read_secret_vars

E2E_KEYS = E2E.names


@dataclass(frozen=True)
class E2ESet:
    """The block as written and the (kind, name) workloads it goes to (None: all of them,
    when none of e2e.services / e2e.jobs / e2e.worker_pools is given)."""

    block: E2EBlock
    targets: frozenset[tuple[str, str]] | None

    def applies_to(self, spec: ServiceSpec) -> bool:
        return self.targets is None or (spec.kind, spec.name) in self.targets


def read_e2e(entry: Entry | None, specs: list[ServiceSpec], problems: Problems) -> E2ESet | None:
    """The `e2e:` block; `specs` are the services it may name."""
    if entry is None:
        return None
    entries = mapping_entries(
        entry.value, "e2e", "a mapping with env:, secrets:, services:", problems
    )
    keys = known_keys(entries or [], E2E_KEYS, "in e2e", problems)
    plain = read_plain_vars(keys["env"].value, "e2e env", problems) if "env" in keys else []
    secret = (
        read_secret_vars(keys["secrets"].value, "e2e secrets", problems)
        if "secrets" in keys
        else []
    )
    plain_lines = {var.name: var.line for var in plain}
    for var in secret:
        if var.name in plain_lines:
            problems.add(
                var.line,
                f"{var.name}: set both in e2e env (line {plain_lines[var.name]}) and in e2e "
                "secrets; keep only one",
            )
    targets: set[tuple[str, str]] | None = None
    listed: dict[str, tuple[str, ...] | None] = {}
    for kind, section in KIND_SECTIONS.items():
        listed[kind] = None
        if section not in keys:
            continue
        word = KIND_WORDS[kind]
        items = (
            string_list(keys[section].value, f"e2e {section}", f"a list of {word} names", problems)
            or []
        )
        known = {spec.name for spec in specs if spec.kind == kind}
        for item in items:
            if item.key not in known:
                problems.add(
                    item.line,
                    f"e2e {section}: {shown(item.key)} is not a {word} of this manifest; use "
                    f"one of: {', '.join(sorted(known)) or '(none)'}",
                )
        listed[kind] = tuple(item.key for item in items)
        targets = (targets or set()) | {(kind, item.key) for item in items}
    env = tuple(plain + secret)
    block = E2EBlock(
        env=env,
        services=listed["service"],
        line=entry.line,
        jobs=listed["job"],
        worker_pools=listed["worker_pool"],
    )
    return E2ESet(block, frozenset(targets) if targets is not None else None)


def merge_e2e(spec: ServiceSpec, e2e: E2ESet, problems: Problems) -> ServiceSpec:
    """`spec` with the e2e variables appended (when it is a target), conflicts reported."""
    if not e2e.applies_to(spec):
        return spec
    own = spec.env_by_name()
    merged = list(spec.env)
    for var in e2e.block.env:
        mine = own.get(var.name)
        if mine is None:
            merged.append(var)
        elif mine.is_secret_ref != var.is_secret_ref:
            problems.add(
                var.line,
                f"{var.name}: set in e2e {'secrets' if var.is_secret_ref else 'env'} and in "
                f"{'secrets' if mine.is_secret_ref else 'env'} of {KIND_WORDS[spec.kind]} "
                f"{spec.name} "
                f"(line {mine.line}); keep only one",
            )
        elif mine != var:
            problems.add(
                var.line,
                f"{var.name}: e2e sets another value than {KIND_WORDS[spec.kind]} {spec.name} "
                f"does (line "
                f"{mine.line}); remove one of them",
            )
    names = frozenset(var.name for var in e2e.block.env)
    return replace(spec, env=tuple(merged), e2e_names=names)

"""The manifest's `e2e:` block, and merging it into the services it names."""

from __future__ import annotations

from dataclasses import dataclass

from deploytool.core.model import E2EBlock, ServiceSpec
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
    """The block as written and the services it goes to (None: all of them)."""

    block: E2EBlock
    targets: frozenset[str] | None


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
    for key in ("jobs", "worker_pools"):
        if key in keys:  # see loader.NOT_YET: the model has no jobs or worker pools yet
            problems.add(
                keys[key].line,
                f"e2e {key}: not compared by this version of deploytool yet; remove it or upgrade",
            )
    targets: frozenset[str] | None = None
    listed: tuple[str, ...] | None = None
    if "services" in keys:
        items = (
            string_list(keys["services"].value, "e2e services", "a list of service names", problems)
            or []
        )
        known = {spec.name for spec in specs}
        for item in items:
            if item.key not in known:
                problems.add(
                    item.line,
                    f"e2e services: {shown(item.key)} is not a service of this manifest; use one "
                    f"of: {', '.join(sorted(known)) or '(none)'}",
                )
        listed = tuple(item.key for item in items)
        targets = frozenset(listed)
    env = tuple(plain + secret)
    return E2ESet(E2EBlock(env=env, services=listed, line=entry.line), targets)


def merge_e2e(spec: ServiceSpec, e2e: E2ESet, problems: Problems) -> ServiceSpec:
    """`spec` with the e2e variables appended (when it is a target), conflicts reported."""
    if e2e.targets is not None and spec.name not in e2e.targets:
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
                f"{'secrets' if mine.is_secret_ref else 'env'} of service {spec.name} "
                f"(line {mine.line}); keep only one",
            )
        elif mine != var:
            problems.add(
                var.line,
                f"{var.name}: e2e sets another value than service {spec.name} does (line "
                f"{mine.line}); remove one of them",
            )
    names = frozenset(var.name for var in e2e.block.env)
    return ServiceSpec(
        name=spec.name,
        project=spec.project,
        region=spec.region,
        env=tuple(merged),
        container=spec.container,
        ignore=spec.ignore,
        e2e_names=names,
        line=spec.line,
    )

"""Ignore never hides a declared variable.

`ignore:` is for live-only variables the manifest leaves alone. A name the manifest also
declares (a workload's `env:` or `secrets:`, or the `e2e:` set where it applies) would then be
neither compared nor applied: staging with an `e2e:` block and `ignore: ["E2E_*"]` reported
in sync while the E2E set was missing live. So any such overlap is invalid (exit 2), naming the
declaration's and the ignore entry's file:line and which to drop.

Matching is the diff's own (`core.diff.is_ignored`), so this check and the gate cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from deploytool.core.diff import is_ignored
from deploytool.core.model import KIND_WORDS, EnvVar, ServiceSpec
from deploytool.manifest.e2e_block import E2ESet
from deploytool.manifest.nodes import Entry, Problems, shown

# (declaration line, name, ignore line, pattern)
_Pair = tuple[int | None, str, int, str]


@dataclass(frozen=True)
class WorkloadIgnores:
    """One workload as written (before the e2e set is merged) and its own `ignore:` entries."""

    spec: ServiceSpec
    ignore: tuple[Entry, ...]
    kind: str = "service"


def check_ignored_declarations(
    workloads: Sequence[WorkloadIgnores],
    top_ignore: Sequence[Entry],
    e2e: E2ESet | None,
    problems: Problems,
    is_leak: Callable[[str], bool] = lambda _name: False,
) -> None:
    """Report every (declaration, ignore entry) pair that overlaps, once per pair: a manifest
    ignore matching an e2e variable is one problem naming every workload it applies to."""
    # Keyed by both entries as written: one line may hold several (a flow list).
    found: dict[_Pair, list[str]] = {}
    texts: dict[_Pair, tuple[EnvVar, str, Entry, str]] = {}
    for workload in workloads:
        spec = workload.spec
        label = f"{KIND_WORDS.get(spec.kind, spec.kind)} {spec.name}"
        declared = [(var, f"{_section(var)} of {label}") for var in spec.env]
        if e2e is not None and e2e.applies_to(spec):
            declared += [(var, f"e2e {_section(var)}") for var in e2e.block.env]
        scopes = [(entry, "the manifest's ignore") for entry in top_ignore] + [
            (entry, f"the ignore of {label}") for entry in workload.ignore
        ]
        for var, where in declared:
            if is_leak(var.name):
                # A leak in a protected environment is exit 4 (the policy reports it), not
                # an invalid manifest: the stronger finding must not be hidden behind exit 2.
                continue
            for entry, scope in scopes:
                if not is_ignored(var.name, (entry.key,)):
                    continue
                key = (var.line, var.name, entry.line, entry.key)
                found.setdefault(key, []).append(label)
                texts[key] = (var, where, entry, scope)
    for key, labels in found.items():
        var, where, entry, scope = texts[key]
        problems.add(entry.line, _message(problems.path, var, where, entry, scope, labels))


def _section(var: EnvVar) -> str:
    return "secrets" if var.is_secret_ref else "env"


def _message(
    path: str, var: EnvVar, where: str, entry: Entry, scope: str, labels: list[str]
) -> str:
    declared_at = f"{path}:{var.line}"
    ignored_at = f"{path}:{entry.line}"
    pattern = shown(entry.key)
    head = (
        f"{shown(var.name)} is declared in {where} ({declared_at}) and also matched by "
        f"{pattern!r} in {scope} ({ignored_at})"
    )
    if where.startswith("e2e"):
        return (
            f"{head}, for {', '.join(sorted(set(labels)))}: the gate could never see the E2E set "
            f"missing or changed live; drop the ignore entry {pattern!r} ({ignored_at})"
            + ("" if entry.key == var.name else " or narrow it so it no longer matches")
            + " (to keep the E2E set off a workload, list the others under e2e.services)"
        )
    fix = (
        f"drop the ignore entry {pattern!r} ({ignored_at})"
        if entry.key == var.name
        else f"narrow the ignore entry {pattern!r} ({ignored_at}) so it no longer matches"
    )
    return (
        f"{head}, so it would never be compared or applied; {fix}, or drop the declaration "
        f"({declared_at}) if the live value should be left alone"
    )

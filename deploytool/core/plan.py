"""The env a write will send: the live list with the manifest's changes folded in. Pure.

Cloud Run expands `$(NAME)` in declaration order, so order is the one thing a set-based diff
cannot ignore: untouched variables keep their live places, new ones go at the end, and a variable
referenced by another is moved ahead of its first user.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from deploytool.core.diff import ChangeKind, EnvChange, diff_env, is_ignored
from deploytool.core.model import SERVICE, EnvVar, ServiceSpec

# $(NAME) but not the escaped $$(NAME)
_REFERENCE = re.compile(r"(?<!\$)\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


@dataclass(frozen=True)
class ServicePlan:
    """What applying one workload would change, and the full env it would send."""

    service: str
    project: str
    region: str
    container: str
    changes: tuple[EnvChange, ...]
    new_env: tuple[EnvVar, ...]
    kind: str = SERVICE

    @property
    def is_noop(self) -> bool:
        return not self.changes


def references(var: EnvVar) -> set[str]:
    return set(_REFERENCE.findall(var.value or ""))


def merged_env(spec: ServiceSpec, live_env: Sequence[EnvVar]) -> tuple[EnvVar, ...]:
    """The live env made to match the spec on every name the spec owns; ignored live-only
    variables stay exactly as they are."""
    want = spec.env_by_name()
    result: list[EnvVar] = []
    seen: set[str] = set()
    for var in live_env:
        if var.name in seen:
            continue
        seen.add(var.name)
        if is_ignored(var.name, spec.ignore):
            result.append(var)
        elif var.name in want:
            d = want[var.name]
            same = d.same_as(var, spec.project, spec.project_number)
            result.append(var if same else _clean(d))
        # else: live-only and not ignored → removed
    for var in spec.env:
        if var.name not in seen and not is_ignored(var.name, spec.ignore):
            result.append(_clean(var))
            seen.add(var.name)
    return tuple(order_for_references(result))


def order_for_references(env: list[EnvVar]) -> list[EnvVar]:
    """Stable reorder so each referenced variable precedes its users (cycles left as they
    are: Cloud Run leaves such references unexpanded either way)."""
    names = {v.name for v in env}
    placed: list[EnvVar] = []
    done: set[str] = set()
    visiting: set[str] = set()
    by_name = {v.name: v for v in env}

    def place(var: EnvVar) -> None:
        if var.name in done or var.name in visiting:
            return
        visiting.add(var.name)
        for ref in sorted(references(var) & names):
            place(by_name[ref])
        visiting.discard(var.name)
        done.add(var.name)
        placed.append(var)

    for var in env:
        place(var)
    return placed


def plan_service(spec: ServiceSpec, container: str, live_env: Sequence[EnvVar]) -> ServicePlan:
    changes = diff_env(spec.env, live_env, spec.ignore, spec.project, spec.project_number)
    new_env = merged_env(spec, live_env) if changes else tuple(live_env)
    return ServicePlan(
        spec.name, spec.project, spec.region, container, changes, new_env, kind=spec.kind
    )


def same_plan(a: Sequence[EnvChange], b: Sequence[EnvChange]) -> bool:
    """Two plans approve the same writes when they change the same names the same way."""

    def key(c: EnvChange) -> tuple[str, ChangeKind, EnvVar | None, EnvVar | None]:
        return (c.name, c.kind, c.desired, c.live)

    return sorted(map(key, a), key=lambda k: k[0]) == sorted(map(key, b), key=lambda k: k[0])


def _clean(var: EnvVar) -> EnvVar:
    return EnvVar(var.name, value=var.value, secret=var.secret)

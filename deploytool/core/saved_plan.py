"""A saved plan (`apply --dry-run --plan-out`) and the check that it still holds. Pure.

A saved plan binds what was reviewed to what will be written: the bytes of every manifest and
the policy, each workload's etag as it was read, and a digest of every desired value and of the
env each write would send. It never holds a value: the file travels as a CI artifact.

Digests are HMAC-SHA256 keyed with a random per-plan salt stored in the plan. A bare sha256 of
`"1"` or `"true"` is the same in every plan and can be looked up in a table computed once; keyed
by a fresh salt, each low-entropy value has to be guessed anew for that one file, and equal
values in two plans do not show as equal. (The salt is in the file, so the digest only proves
"same as when planned"; that is all it is for.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deploytool.core.model import EnvVar, workload_label
from deploytool.core.plan import ServicePlan

# Clocks of the PR job and the merge job may differ a little; a plan from further ahead than
# this was not made by this tool's clock.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class PlannedChange:
    """One change of the plan: `desired_digest` is None when the variable is to be removed."""

    name: str
    kind: str  # missing | unexpected | changed
    desired_digest: str | None


@dataclass(frozen=True)
class PlannedWorkload:
    """One managed workload as planned: the etag read and what its write would send."""

    kind: str
    name: str
    project: str
    region: str
    container: str
    etag: str
    changes: tuple[PlannedChange, ...]
    new_env_digest: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.project, self.region, self.name)

    @property
    def label(self) -> str:
        return workload_label(self.kind, self.name)


@dataclass(frozen=True)
class SavedPlan:
    """Everything a plan file says. `manifests` maps each config file's name (relative to the
    config dir) to the sha256 of its bytes; `selection` is the `--service` filter used."""

    environment: str
    created_at: datetime  # aware, UTC
    tool_version: str
    salt: str  # hex
    manifests: tuple[tuple[str, str], ...]
    selection: tuple[str, ...]
    workloads: tuple[PlannedWorkload, ...]


def value_digest(salt: str, var: EnvVar) -> str:
    """Keyed digest of one variable as it would be written (a secret reference is digested
    as the reference: the tool never reads payloads)."""
    if var.secret is not None:
        shape: list[str] = ["secret", var.name, var.secret.secret, var.secret.version]
    else:
        shape = ["value", var.name, var.value or ""]
    return _keyed(salt, shape)


def env_digest(salt: str, env: Sequence[EnvVar]) -> str:
    """Keyed digest of a whole env list, in order (order is meaningful: `$(NAME)`)."""
    return _keyed(salt, [value_digest(salt, var) for var in env])


def planned_workload(salt: str, plan: ServicePlan, etag: str) -> PlannedWorkload:
    changes = tuple(
        PlannedChange(
            c.name,
            str(c.kind),
            value_digest(salt, c.desired) if c.desired is not None else None,
        )
        for c in sorted(plan.changes, key=lambda c: c.name)
    )
    return PlannedWorkload(
        plan.kind,
        plan.service,
        plan.project,
        plan.region,
        plan.container,
        etag,
        changes,
        env_digest(salt, plan.new_env),
    )


def age_problem(plan: SavedPlan, now: datetime, max_age: timedelta) -> str | None:
    """Why the plan is too old to apply (None: it is fresh enough)."""
    age = now - plan.created_at
    if age <= max_age:
        return None
    return (
        f"stale plan: made {_duration(age)} ago ({plan.created_at.isoformat()}), older than "
        f"--plan-max-age {_duration(max_age)}: re-plan"
    )


def manifest_changes(saved: Sequence[tuple[str, str]], now: Sequence[tuple[str, str]]) -> list[str]:
    """Which config files differ from when the plan was made, one sentence each."""
    before, after = dict(saved), dict(now)
    out = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            out.append(f"{name} was removed since the plan")
        elif name not in before:
            out.append(f"{name} was added since the plan")
        elif before[name] != after[name]:
            out.append(f"{name} changed since the plan")
    return out


def workload_changes(saved: Sequence[PlannedWorkload], now: Sequence[PlannedWorkload]) -> list[str]:
    """Why the plan recomputed now (with the saved plan's salt) is not the one saved, one
    sentence per workload; empty when it still holds exactly."""
    before = {w.key: w for w in saved}
    after = {w.key: w for w in now}
    out = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if new is None:
            assert old is not None
            out.append(f"{old.label} is no longer planned (gone, or no longer managed)")
        elif old is None:
            out.append(f"{new.label} was not in the plan: re-plan")
        elif old.etag != new.etag:
            out.append(f"{new.label}'s etag changed since the plan: re-plan")
        elif old.container != new.container:
            out.append(f"{new.label}'s managed container is now {new.container!r}: re-plan")
        elif old.changes != new.changes or old.new_env_digest != new.new_env_digest:
            out.append(f"{new.label}'s changes differ from the plan: re-plan")
    return out


def _keyed(salt: str, shape: object) -> str:
    message = json.dumps(shape, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()


def _duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60}m"
    if seconds >= 60:
        return f"{seconds // 60}m"
    return f"{seconds}s"

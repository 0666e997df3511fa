"""What deploytool last applied, recorded on the service itself, so a later diff can tell
drift (live changed since) from a pending change (the manifest changed since). Pure.

The record is a service annotation holding, per variable, a short digest of its value. Digests,
not values: annotations are readable by anyone with run.services.get.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import replace

from deploytool.core.diff import ChangeKind, EnvChange, Origin
from deploytool.core.model import EnvVar

APPLIED_ANNOTATION = "deploytool.dev/applied-env"
FINGERPRINT_ANNOTATION = "deploytool.dev/env-fingerprint"


def canonical(var: EnvVar) -> str:
    """One spelling per meaning: a secret's short and full-path names in the same project
    would read as a change here, so compare through `EnvVar.same_as` where that matters."""
    if var.secret is not None:
        return f"secret:{var.secret.short_name}:{var.secret.version}"
    return f"value:{var.value or ''}"


def digest(var: EnvVar) -> str:
    return hashlib.sha256(f"{var.name}\0{canonical(var)}".encode()).hexdigest()[:16]


def fingerprint(env: Iterable[EnvVar]) -> str:
    """One digest of a whole env, order-insensitive, for the audit log and the annotation."""
    lines = sorted(f"{v.name}={digest(v)}" for v in env)
    return "sha256:" + hashlib.sha256("\n".join(lines).encode()).hexdigest()[:32]


def applied_record(env: Sequence[EnvVar]) -> str:
    """The annotation value: compact JSON, name → digest, sorted for stable output."""
    return json.dumps({v.name: digest(v) for v in env}, sort_keys=True, separators=(",", ":"))


def parse_record(text: str | None) -> dict[str, str] | None:
    """None when absent or unreadable: an unreadable record must not produce a confident
    origin."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return None
    return data


def classify(change: EnvChange, record: dict[str, str] | None) -> Origin:
    """Compare live and manifest each with what was applied last."""
    if record is None:
        return Origin.UNKNOWN
    applied = record.get(change.name)
    live_same = (change.live is None and applied is None) or (
        change.live is not None and applied == digest(change.live)
    )
    desired_same = (change.desired is None and applied is None) or (
        change.desired is not None and applied == digest(change.desired)
    )
    if live_same and not desired_same:
        return Origin.PENDING
    if desired_same and not live_same:
        return Origin.DRIFT
    return Origin.UNKNOWN


def with_origins(changes: Sequence[EnvChange], record_text: str | None) -> tuple[EnvChange, ...]:
    record = parse_record(record_text)
    return tuple(replace(c, origin=classify(c, record)) for c in changes)


def kinds_summary(changes: Iterable[EnvChange]) -> dict[str, list[str]]:
    """Names added / removed / changed by a plan (never values), for the audit trail."""
    out: dict[str, list[str]] = {"added": [], "removed": [], "changed": []}
    label = {
        ChangeKind.MISSING: "added",
        ChangeKind.UNEXPECTED: "removed",
        ChangeKind.CHANGED: "changed",
    }
    for change in changes:
        out[label[change.kind]].append(change.name)
    return out

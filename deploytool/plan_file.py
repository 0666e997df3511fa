"""The plan file's format, written and read here only (DESIGN.md: "Reading reports is not
rendering"), so the writer and the reader cannot drift apart.

```json
{"schema_version": 1, "kind": "deploytool-plan", "environment": "staging",
 "created_at": "2026-01-31T09:30:00Z", "tool_version": "0.1.0", "salt": "<hex>",
 "selection": [], "manifests": {"policy.yaml": "<sha256>", "staging.yaml": "<sha256>"},
 "workloads": [{"kind", "name", "project", "region", "container", "etag",
                "changes": [{"name", "kind", "desired_digest"}], "new_env_digest"}]}
```
No value is ever in it: digests (see core/saved_plan.py for why they are keyed) and etags.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from deploytool.core.saved_plan import PlannedChange, PlannedWorkload, SavedPlan
from deploytool.errors import UsageError

SCHEMA_VERSION = 1
KIND = "deploytool-plan"
CHANGE_KINDS = ("missing", "unexpected", "changed")
WORKLOAD_KINDS = ("service", "job", "worker_pool")
MAX_BYTES = 16 * 1024 * 1024  # a plan of thousands of workloads is far smaller
REPLAN = "re-plan with `deploytool apply ENV --dry-run --plan-out FILE`"
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_SALT = re.compile(r"^[0-9a-f]{32,128}$")

T = TypeVar("T")


def to_document(plan: SavedPlan) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "environment": plan.environment,
        "created_at": plan.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "tool_version": plan.tool_version,
        "salt": plan.salt,
        "selection": sorted(plan.selection),
        "manifests": dict(sorted(plan.manifests)),
        "workloads": [
            {
                "kind": w.kind,
                "name": w.name,
                "project": w.project,
                "region": w.region,
                "container": w.container,
                "etag": w.etag,
                "changes": [
                    {"name": c.name, "kind": c.kind, "desired_digest": c.desired_digest}
                    for c in w.changes
                ],
                "new_env_digest": w.new_env_digest,
            }
            for w in sorted(plan.workloads, key=lambda w: w.key)
        ],
    }


def write_plan(path: Path, plan: SavedPlan) -> None:
    """Atomically (a temporary file in the same directory, then a rename), readable by the
    owner only: a plan names projects and etags, which are nobody else's business."""
    text = json.dumps(to_document(plan), indent=2, sort_keys=False) + "\n"
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(
            f"cannot write the plan to {path}: {exc.strerror or exc}",
            "pass a --plan-out path in a writable directory",
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UsageError(
            f"cannot write the plan to {path}: {exc.strerror or exc}",
            "pass a --plan-out path in a writable directory",
        ) from exc


def read_plan(path: Path) -> SavedPlan:
    """The plan in `path`; a UsageError (exit 2) naming the file and what is wrong when it is
    unreadable, not a deploytool plan, of a newer schema, or malformed."""

    def bad(what: str, hint: str = REPLAN) -> UsageError:
        return UsageError(f"{path}: {what}", hint)

    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise bad(f"cannot read the plan: {exc.strerror or exc}", "check the --plan path") from exc
    if len(raw) > MAX_BYTES:
        raise bad("too large to be a plan file")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad(f"not a plan file: not JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise bad(f'not a plan file: no "kind": "{KIND}"')
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise bad("schema_version must be a positive integer")
    if version > SCHEMA_VERSION:
        raise bad(
            f"schema_version {version} is newer than this deploytool reads ({SCHEMA_VERSION})",
            "apply it with the deploytool version that made it, or re-plan",
        )
    field = _Fields(bad)
    created = field.text(doc, "created_at")
    try:
        created_at = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        raise bad(f"created_at {created!r} is not an ISO-8601 time") from None
    if created_at.tzinfo is None:
        raise bad(f"created_at {created!r} has no time zone")
    salt = field.text(doc, "salt")
    if not _SALT.match(salt):
        raise bad("salt must be 32 to 128 lowercase hex digits")
    manifests = doc.get("manifests")
    if not isinstance(manifests, dict) or not manifests:
        raise bad("manifests must be a non-empty object of file name -> sha256")
    for name, digest in manifests.items():
        if not isinstance(digest, str) or not _DIGEST.match(digest):
            raise bad(f"manifests[{name!r}] is not a sha256 hex digest")
    selection = field.items(doc, "selection", lambda v, where: field.plain(v, where))
    workloads = field.items(doc, "workloads", field.workload)
    return SavedPlan(
        environment=field.text(doc, "environment"),
        created_at=created_at.astimezone(UTC),
        tool_version=field.text(doc, "tool_version"),
        salt=salt,
        manifests=tuple(sorted(manifests.items())),
        selection=tuple(selection),
        workloads=tuple(workloads),
    )


class _Fields:
    """Typed access to the document's fields; every mistake names the field."""

    def __init__(self, bad: Callable[[str], UsageError]) -> None:
        self.bad = bad

    def text(self, obj: dict[str, Any], key: str, where: str = "") -> str:
        value = obj.get(key)
        if not isinstance(value, str) or (not value and key != "etag"):
            raise self.bad(f"{where}{key} must be a non-empty string")
        return value

    def plain(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.bad(f"{where} must be a non-empty string")
        return value

    def items(self, obj: dict[str, Any], key: str, each: Callable[[Any, str], T]) -> list[T]:
        value = obj.get(key)
        if not isinstance(value, list):
            raise self.bad(f"{key} must be a list")
        return [each(item, f"{key}[{i}]") for i, item in enumerate(value)]

    def digest(self, obj: dict[str, Any], key: str, where: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not _DIGEST.match(value):
            raise self.bad(f"{where}.{key} must be a sha256 hex digest")
        return value

    def workload(self, value: Any, where: str) -> PlannedWorkload:
        if not isinstance(value, dict):
            raise self.bad(f"{where} must be an object")
        kind = self.text(value, "kind", f"{where}.")
        if kind not in WORKLOAD_KINDS:
            raise self.bad(f"{where}.kind {kind!r} is not one of {', '.join(WORKLOAD_KINDS)}")
        changes = value.get("changes")
        if not isinstance(changes, list):
            raise self.bad(f"{where}.changes must be a list")
        return PlannedWorkload(
            kind=kind,
            name=self.text(value, "name", f"{where}."),
            project=self.text(value, "project", f"{where}."),
            region=self.text(value, "region", f"{where}."),
            container=self.text(value, "container", f"{where}."),
            etag=self.text(value, "etag", f"{where}."),
            changes=tuple(self.change(c, f"{where}.changes[{i}]") for i, c in enumerate(changes)),
            new_env_digest=self.digest(value, "new_env_digest", where),
        )

    def change(self, value: Any, where: str) -> PlannedChange:
        if not isinstance(value, dict):
            raise self.bad(f"{where} must be an object")
        kind = self.text(value, "kind", f"{where}.")
        if kind not in CHANGE_KINDS:
            raise self.bad(f"{where}.kind {kind!r} is not one of {', '.join(CHANGE_KINDS)}")
        desired = value.get("desired_digest")
        if desired is not None:
            desired = self.digest(value, "desired_digest", where)
        if (desired is None) != (kind == "unexpected"):
            raise self.bad(f"{where}.desired_digest must be null exactly for kind unexpected")
        return PlannedChange(self.text(value, "name", f"{where}."), kind, desired)

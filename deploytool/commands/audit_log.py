"""The apply audit trail: one JSON line per service written, appended, never a value."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploytool.core.diff import EnvChange
from deploytool.core.fingerprint import kinds_summary
from deploytool.errors import UsageError
from deploytool.redaction import scrub, scrub_document

DEFAULT_AUDIT_LOG = Path(".deploytool") / "audit.jsonl"


@dataclass(frozen=True)
class AuditEntry:
    environment: str
    service: str
    project: str
    region: str
    who: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    before: str
    after: str | None
    revision: str | None
    outcome: str  # applied | failed | conflict | interrupted
    message: str | None = None


def entry_for(
    *,
    environment: str,
    service: str,
    project: str,
    region: str,
    who: str,
    changes: Sequence[EnvChange],
    before: str,
    after: str | None,
    revision: str | None,
    outcome: str,
    message: str | None,
) -> AuditEntry:
    """An entry naming what a plan added, removed and changed (names only)."""
    names = kinds_summary(changes)
    return AuditEntry(
        environment=environment,
        service=service,
        project=project,
        region=region,
        who=who,
        added=tuple(names["added"]),
        removed=tuple(names["removed"]),
        changed=tuple(names["changed"]),
        before=before,
        after=after,
        revision=revision,
        outcome=outcome,
        message=message,
    )


class AuditLog:
    """Appends whole lines under a lock, each flushed and fsynced, so a crash or Ctrl-C never
    leaves half a record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._closed = False

    def check_writable(self) -> None:
        """Fail before any write to Cloud Run if the trail cannot be kept."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8"):
                pass
        except OSError as exc:
            raise UsageError(
                f"cannot write the audit log {self.path}: {exc.strerror or exc}",
                "pass --audit-log FILE somewhere writable",
            ) from exc

    def append(self, entry: AuditEntry) -> None:
        record = {
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "environment": entry.environment,
            "service": entry.service,
            "project": entry.project,
            "region": entry.region,
            "who": entry.who,
            "added": list(entry.added),
            "removed": list(entry.removed),
            "changed": list(entry.changed),
            "before_fingerprint": entry.before,
            "after_fingerprint": entry.after,
            "revision": entry.revision,
            "outcome": entry.outcome,
            "message": entry.message,
        }
        self._write(record)

    def append_app(
        self,
        *,
        environment: str,
        service: str,
        project: str,
        region: str,
        who: str,
        revision: str | None,
        agrees: bool,
        message: str | None,
        app: Mapping[str, Any],
    ) -> None:
        """What the app said after a write (apply with `verify:`): its own line, after the
        write's, so the write is on record even if the probing never ends."""
        self._write(
            {
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
                "environment": environment,
                "service": service,
                "project": project,
                "region": region,
                "who": who,
                "revision": revision,
                "outcome": "app_verified" if agrees else "app_unverified",
                "message": message,
                "app": dict(app),
            }
        )

    def _write(self, record: Mapping[str, Any]) -> None:
        line = scrub(json.dumps(scrub_document(record), sort_keys=True, ensure_ascii=False))
        line += "\n"
        with self._lock:
            if self._closed:
                return
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)
                handle.flush()
                os.fsync(handle.fileno())

    def close(self) -> None:
        """After an abandoned run: no thread left behind may append once we have reported."""
        with self._lock:
            self._closed = True

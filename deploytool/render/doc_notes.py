"""What the document-driven reports (Markdown, the GitHub job summary and annotations, JUnit)
say about acknowledged drift and about who changed a workload, read from the JSON document
(render/ack_doc.py spells the keys)."""

from __future__ import annotations

from typing import Any

from deploytool.render.ack_doc import ACKNOWLEDGED, EXPIRED

Doc = dict[str, Any]


def every_change(service: Doc) -> list[Doc]:
    """The template's changes and those of the drifted revisions."""
    return [
        *service.get("changes", []),
        *(c for r in service.get("revisions", []) for c in r.get("changes", [])),
    ]


def gating(service: Doc) -> bool:
    """Drift that fails the gate: a missing workload, or a change no acknowledgement covers."""
    status = service.get("status")
    if status == "missing":
        return True
    if status != "drift":
        return False
    changes = every_change(service)
    return not changes or any(not c.get(ACKNOWLEDGED) for c in changes)


def acknowledged_only(service: Doc) -> bool:
    """Drift that is shown but does not fail: every change acknowledged."""
    return service.get("status") == "drift" and not gating(service)


def ack_note(change: Doc) -> str:
    """`acknowledged until 2026-12-31: reason`, `acknowledgement expired on ...`, or ""."""
    for key, word in (
        (ACKNOWLEDGED, "acknowledged until"),
        (EXPIRED, "acknowledgement expired on"),
    ):
        note = change.get(key)
        if isinstance(note, dict):
            return f"{word} {note.get('until')}: {note.get('reason')}"
    return ""


def changed_by(who: Any, when: Any) -> str:
    """`changed by alice@example.com at 2026-01-02T03:04:05Z`, or "" when neither is known."""
    if not who and not when:
        return ""
    return "changed by " + " at ".join(str(p) for p in (who or "(unknown)", when) if p)

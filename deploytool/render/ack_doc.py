"""How the JSON report spells acknowledgements and who changed a workload, written and read
back by the same definitions (json_doc.py writes, json_load.py reads: shard merges judge
acknowledged drift again from the documents)."""

from __future__ import annotations

from datetime import date
from typing import Any

from deploytool.core.ack_spec import AckNote

ACKNOWLEDGED = "acknowledged"  # CONTRACT "JSON (v2)": {"reason", "until"}
EXPIRED = "acknowledgement_expired"  # the same shape, once `until` has passed


def note_fields(note: AckNote | None) -> dict[str, Any]:
    """The keys a change gets: none, `acknowledged`, or `acknowledgement_expired`."""
    if note is None:
        return {}
    return {
        EXPIRED if note.expired else ACKNOWLEDGED: {
            "reason": note.reason,
            "until": note.until.isoformat(),
        }
    }


def load_note(doc: dict[str, Any]) -> AckNote | None:
    """The note of a change document; ValueError (with the key) when it is malformed."""
    for key, expired in ((ACKNOWLEDGED, False), (EXPIRED, True)):
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, dict):
            raise ValueError(key, "expected an object with reason and until")
        reason, until = value.get("reason"), value.get("until")
        if not isinstance(reason, str) or not isinstance(until, str):
            raise ValueError(key, "expected reason and until as strings")
        try:
            day = date.fromisoformat(until)
        except ValueError:
            raise ValueError(key, f"until {until!r} is not a date (YYYY-MM-DD)") from None
        return AckNote(reason, day, expired=expired)
    return None


def attribution_fields(last_modifier: str | None, update_time: str | None) -> dict[str, Any]:
    """Who changed the live workload last, and when (null when unknown)."""
    return {"last_modifier": last_modifier, "update_time": update_time}

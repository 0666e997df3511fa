"""The manifest's `acknowledge:` list: known drift, accepted until a date. Read as strictly as
the rest of the manifest; every problem names its line. What may not be acknowledged at all
(a leak, an unmanaged workload, a date more than a year away) is core/acknowledge.py's call."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from yaml.nodes import Node, SequenceNode

from deploytool.core.ack_spec import Acknowledgement
from deploytool.core.acknowledge import refusal
from deploytool.core.model import WorkloadSpec, workload_label
from deploytool.core.policy import Policy
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_value,
)
from deploytool.manifest.shape import ACKNOWLEDGE
from deploytool.manifest.yamlsafe import line_of

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_EXAMPLE = '{service: NAME, variable: NAME, reason: "ticket 412", until: "2026-12-31"}'


def read_acknowledge(
    entry: Entry | None,
    specs: Sequence[WorkloadSpec],
    environment: str,
    policy: Policy,
    today: date,
    problems: Problems,
) -> tuple[Acknowledgement, ...]:
    """The valid entries of `acknowledge:` (problems are collected for the others)."""
    if entry is None:
        return ()
    if not isinstance(entry.value, SequenceNode):
        problems.add(entry.line, f"acknowledge: expected a list of entries like {_EXAMPLE}")
        return ()
    managed = {(spec.kind, spec.name) for spec in specs}
    found: dict[tuple[str, str, str], int] = {}
    out: list[Acknowledgement] = []
    for item in entry.value.value:
        ack = _entry(item, problems)
        if ack is None:
            continue
        why = refusal(ack, environment, policy, today, managed)
        if why is not None:
            problems.add(ack.line, why)
            continue
        key = (ack.kind, ack.workload, ack.variable)
        if key in found:
            problems.add(
                ack.line,
                f"acknowledge: {ack.variable} on {workload_label(ack.kind, ack.workload)} is "
                f"acknowledged twice (first at line {found[key]}); keep one entry",
            )
            continue
        found[key] = ack.line or 0
        out.append(ack)
    return tuple(out)


def _entry(item: Node, problems: Problems) -> Acknowledgement | None:
    entries = mapping_entries(item, "acknowledge entry", f"a mapping like {_EXAMPLE}", problems)
    if entries is None:
        return None
    line = line_of(item)
    before = len(problems.items)
    keys = known_keys(entries, ACKNOWLEDGE.names, "in an acknowledge entry", problems)
    targets = [k for k in ACKNOWLEDGE.exactly_one if k in keys]
    if len(targets) != 1:
        given = ", ".join(f"{k}:" for k in targets) or "none"
        problems.add(
            line,
            "acknowledge: name exactly one of service:, job:, worker_pool: "
            f"(this entry has {given})",
        )
    for key in ACKNOWLEDGE.required:
        if key not in keys:
            problems.add(line, f"acknowledge: {key}: missing; write an entry like {_EXAMPLE}")
    texts = {
        key: _text(keys[key], problems)
        for key in (*targets, "variable", "reason", "until")
        if key in keys
    }
    until = _date(keys["until"], texts.get("until"), problems) if "until" in keys else None
    if len(problems.items) > before or until is None or len(targets) != 1:
        return None
    kind = targets[0]
    workload, variable, reason = texts[kind], texts["variable"], texts["reason"]
    if workload is None or variable is None or reason is None:
        return None
    return Acknowledgement(kind, workload, variable, reason, until, line=line)


def _text(entry: Entry, problems: Problems) -> str | None:
    text = string_value(entry.value, f"acknowledge {entry.key}", problems)
    if text is None:
        return None
    if not text.strip() or any(not ch.isprintable() for ch in text):
        problems.add(
            entry.line,
            f"acknowledge {entry.key}: {shown(text)} is empty or has control characters; "
            "write it out",
        )
        return None
    if entry.key != "reason" and any(ch.isspace() or ch == "/" for ch in text):
        problems.add(
            entry.line,
            f"acknowledge {entry.key}: {shown(text)} is not a name (it has a space or /); "
            "write the plain name",
        )
        return None
    return text


def _date(entry: Entry, text: str | None, problems: Problems) -> date | None:
    if text is None:
        return None
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        problems.add(
            entry.line,
            f"acknowledge until: {shown(text)} is not a date; write the last day it holds "
            'as "YYYY-MM-DD" (UTC), e.g. "2026-12-31"',
        )
        return None

"""Secrets never leave: the one redaction decision (core/redact.py) asked with this process's
context, and the scrub of any text leaving the process (reports, errors, logs, tracebacks).

The context and the registry are process-wide on purpose: an API error message or a traceback
can echo a value from anywhere, and the last line of defence must know them all.
- `configure(settings)`: the policy's `redact:` section, set when the policy is read;
- `declare(names)`: names a manifest declares under `secrets:` (a live plain value under such
  a name is masked), set when a manifest is read, before any of its values is looked at;
- `remember(variables)`: every plain value the decision masks, so `scrub` can find it in text.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable
from typing import Any

from deploytool.core.model import EnvVar
from deploytool.core.redact import MaskReason, RedactionSettings, mask_reason

MASK = "***"
_MIN_LEN = 4  # shorter values ("1", "on") would mangle ordinary text and are no secret
_MIN_LINE = 8  # lines of a multi-line secret (a PEM body) scrubbed on their own from this length

_lock = threading.Lock()
_values: set[str] = set()
_settings = RedactionSettings()
_declared: frozenset[str] = frozenset()


def configure(settings: RedactionSettings) -> None:
    """The policy's `redact:` settings for every later decision."""
    global _settings
    with _lock:
        _settings = settings


def declare(names: Iterable[str]) -> None:
    """Names declared under `secrets:` somewhere: their plain values are masked everywhere."""
    global _declared
    fresh = frozenset(names)
    if fresh:
        with _lock:
            _declared = _declared | fresh


def settings() -> RedactionSettings:
    return _settings


def why_masked(name: str, value: str | None) -> MaskReason | None:
    """The decision, with this process's context: why `value` under `name` prints as `***`."""
    return mask_reason(name, value, settings=_settings, declared=_declared)


def masks(name: str, value: str | None) -> bool:
    return why_masked(name, value) is not None


def _spellings(value: str) -> set[str]:
    """A value as it may appear in text: itself, JSON- and repr-escaped (a traceback quotes
    with repr), and each long line of a multi-line value (a PEM printed line by line)."""
    out = {value, json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]}
    out |= {line.strip() for line in value.splitlines() if len(line.strip()) >= _MIN_LINE}
    return {s for s in out if len(s) >= _MIN_LEN}


def remember(variables: Iterable[EnvVar]) -> None:
    """Note the plain values the decision masks so they can be scrubbed from any text."""
    fresh: set[str] = set()
    for v in variables:
        if v.value and v.secret is None and len(v.value) >= _MIN_LEN and masks(v.name, v.value):
            fresh |= _spellings(v.value)
    if fresh:
        with _lock:
            _values.update(fresh)


def remember_value(name: str, value: str) -> None:
    """`remember` for a value not yet an EnvVar (a manifest entry being read)."""
    remember([EnvVar(name, value=value)])


def scrub(text: str) -> str:
    with _lock:
        known = sorted(_values, key=len, reverse=True)
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    return text


def scrub_document(value: Any) -> Any:
    """A JSON-like document with `scrub` applied to every string, keys included. Done before
    encoding: JSON, XML or Markdown escaping would change a secret's spelling and hide it
    from a scrub of the encoded text."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {scrub_document(k): scrub_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_document(v) for v in value]
    return value


def forget_all() -> None:
    """For tests: no remembered value, no declared name, default settings."""
    global _settings, _declared
    with _lock:
        _values.clear()
        _settings = RedactionSettings()
        _declared = frozenset()


def shown_value(var: EnvVar, paired: EnvVar | None = None) -> str:
    """A plain value as it may be printed: `***` when the decision masks it, or masks the
    other side of the same change (`paired`): a changed credential's old value is one too."""
    if masks(var.name, var.value) or (
        paired is not None and paired.secret is None and masks(paired.name, paired.value)
    ):
        if var.value and len(var.value) >= _MIN_LEN:
            # Perhaps masked only for its pair's sake: scrub it from any echo as well.
            with _lock:
                _values.update(_spellings(var.value))
        return MASK
    return var.value or ""


class ScrubbingFilter(logging.Filter):
    """Attached to deploytool's log handler: no secret reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True

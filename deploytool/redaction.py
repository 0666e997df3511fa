"""Secrets never leave: the values of secret-looking variables print as `***`, and any text
leaving the process (reports, errors, logs, tracebacks) is scrubbed of every such value seen.

The registry is process-wide on purpose: an API error message or a traceback can echo a value
from anywhere, and the last line of defence must know them all.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

from deploytool.core.model import EnvVar, is_secret_like

MASK = "***"
_MIN_LEN = 4  # shorter values ("1", "on") would mangle ordinary text and are no secret

_lock = threading.Lock()
_values: set[str] = set()


def remember(variables: Iterable[EnvVar]) -> None:
    """Note the plaintext values of secret-looking variables so they can be scrubbed."""
    fresh = {
        v.value
        for v in variables
        if v.value and is_secret_like(v.name) and len(v.value) >= _MIN_LEN
    }
    if fresh:
        with _lock:
            _values.update(fresh)


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
    """For tests."""
    with _lock:
        _values.clear()


def shown_value(var: EnvVar) -> str:
    """A plain value as it may be printed: masked when the name looks secret."""
    if is_secret_like(var.name):
        return MASK
    return var.value or ""


class ScrubbingFilter(logging.Filter):
    """Attached to deploytool's log handler: no secret reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True

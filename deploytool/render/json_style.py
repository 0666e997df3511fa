"""How JSON documents go to stdout: pretty (`--output json`, the contract's default) or on
one line (`--output json-line`, for log collectors such as Cloud Logging, which make one
entry per line), and the `severity` a log collector files the document under.

A process-wide choice, set while the `--output` option is parsed, so every command that
takes `--output` gets `json-line` without code of its own (its `--output json` branch runs).
"""

from __future__ import annotations

_one_line = False

# Cloud Logging's LogSeverity names, by exit code. Leakage (exit 4) is ALERT: production is
# exposed and "a person must take an action immediately"; an invalid manifest or a bug
# (2, 1) and unreadable live state (5) are ERROR, drift (3) WARNING, in sync INFO.
_SEVERITY = {0: "INFO", 1: "ERROR", 2: "ERROR", 3: "WARNING", 4: "ALERT", 5: "ERROR"}


def set_one_line(value: bool) -> None:
    global _one_line
    _one_line = value


def one_line() -> bool:
    return _one_line


def severity(exit_code: int) -> str:
    """Cloud Logging's severity for a document with this exit code (an interrupt: WARNING)."""
    return _SEVERITY.get(exit_code, "WARNING")

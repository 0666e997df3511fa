"""Which variable names mark their value as secret (CONTRACT.md, "Secrets (v2)"). Pure."""

from __future__ import annotations

import re
from collections.abc import Iterable

# A name containing any of these, in any case, anywhere: MONKEY and KEYBOARD_LAYOUT too.
# Masking an ordinary value costs a `***`; showing a credential costs the credential.
ANYWHERE = (
    "KEY",
    "SECRET",
    "TOKEN",
    "PASSWORD",
    "CREDENTIAL",
    "PRIVATE",
    "PASSWD",
    "PWD",
    "AUTH",
    "DSN",
    "CERT",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
    "SALT",
)
# Too short to match inside other words (PASSTHROUGH, TASK, PATH): only as a whole word.
WHOLE_WORDS = frozenset({"PASS", "SK", "PAT"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^A-Z0-9]+")


def name_words(name: str) -> list[str]:
    """The words of a variable name: split at `_`, `-`, `.` and camelCase boundaries."""
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub("_", name).upper()) if w]


def is_secret_name(name: str, extra: Iterable[str] = ()) -> bool:
    """Whether a value under `name` is masked by its name alone. `extra` are the policy's
    `redact.names`, matched like ANYWHERE (any case, anywhere in the name)."""
    upper = name.upper()
    if any(word in upper for word in ANYWHERE):
        return True
    if any(word.upper() in upper for word in extra if word):
        return True
    return any(word in WHOLE_WORDS for word in name_words(name))

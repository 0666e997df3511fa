"""The policy's `redact:` section → `RedactionSettings`, strictly (CONTRACT.md, "Policy (v2)"):

redact:
  names: [STRIPE_SK]        # more words that mark a variable's value as secret
  plaintext_secrets: warn   # warn (default) | error
"""

from __future__ import annotations

import re

from deploytool.core.redact import PlaintextSecrets, RedactionSettings
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_list,
    string_value,
)
from deploytool.manifest.shape import REDACT

REDACT_KEYS = REDACT.names
# A word is matched inside variable names, so it is spelled like one (shape.py's "word").
_WORD = re.compile(r"^[A-Za-z0-9_]+$")
_MODES = ", ".join(mode.value for mode in PlaintextSecrets)


def read_redaction(entry: Entry | None, problems: Problems) -> RedactionSettings:
    """The `redact:` entry of policy.yaml (the defaults when absent); problems are reported."""
    if entry is None:
        return RedactionSettings()
    entries = mapping_entries(
        entry.value, "redact", "a mapping with names: and plaintext_secrets:", problems
    )
    keys = known_keys(entries or [], REDACT_KEYS, "in policy redact", problems)
    names: tuple[str, ...] = ()
    if "names" in keys:
        items = string_list(
            keys["names"].value, "redact.names", "a list of words such as STRIPE_SK", problems
        )
        for item in items or ():
            if not _WORD.match(item.key):
                problems.add(
                    item.line,
                    f"redact.names: {shown(item.key)} is not a word of a variable name "
                    "(letters, digits and _); fix it",
                )
        names = tuple(item.key for item in items or () if _WORD.match(item.key))
    mode = PlaintextSecrets.WARN
    if "plaintext_secrets" in keys:
        found = keys["plaintext_secrets"]
        text = string_value(found.value, "redact.plaintext_secrets", problems)
        if text is not None and text not in {m.value for m in PlaintextSecrets}:
            problems.add(
                found.line,
                f"redact.plaintext_secrets: {shown(text)} is not one of {_MODES}; write warn "
                "or error",
            )
        elif text is not None:
            mode = PlaintextSecrets(text)
    return RedactionSettings(names=names, plaintext_secrets=mode)

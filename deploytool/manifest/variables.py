"""`env:` and `secrets:` blocks: Cloud Run's rules for variable names, values and Secret
Manager references."""

from __future__ import annotations

import re

from yaml.nodes import Node, ScalarNode

from deploytool.core.model import (
    MAX_VALUE_BYTES,
    RESERVED_NAMES,
    RESERVED_PREFIX,
    EnvVar,
    SecretRef,
)
from deploytool.manifest.nodes import Problems, mapping_entries, shown, string_value
from deploytool.redaction import masks, remember

_SECRET_NAME = r"[A-Za-z0-9_-]{1,255}"
_SHORT_SECRET = re.compile(rf"^{_SECRET_NAME}$")
_FULL_SECRET = re.compile(rf"^projects/[A-Za-z0-9][A-Za-z0-9.:_-]*/secrets/{_SECRET_NAME}$")
_VERSION = re.compile(r"^(latest|[1-9][0-9]*)$")
_VERSIONS_PATH = re.compile(r"^projects/[^/]+/secrets/[^/]+/versions/[^/]+$")
# The whole reference as one pattern (the JSON Schema's); `_parse_ref` says what is wrong.
SECRET_REF = (
    rf"^(?:{_SECRET_NAME}|projects/[A-Za-z0-9][A-Za-z0-9.:_-]*/secrets/{_SECRET_NAME})"
    r":(?:latest|[1-9][0-9]*)$"
)
_FORMAT = "SECRET:VERSION, e.g. jwt-secret:latest or projects/PROJECT/secrets/NAME:3"


MAX_NAME_CHARS = 32768  # run_v2.EnvVar.name: "Must not exceed 32768 characters"


def read_plain_vars(node: Node, label: str, problems: Problems) -> list[EnvVar]:
    """The plain variables of an `env:` mapping, in declaration order."""
    entries = mapping_entries(node, label, 'a mapping of NAME: "value"', problems)
    found: list[EnvVar] = []
    for entry in entries or ():
        name_ok = check_name(entry.key, entry.line, problems)
        # The redaction decision sees the source text too: a non-string value that looks
        # like a credential (or sits under a secret name) is not echoed in the "quote it" advice.
        source = str(entry.value.value) if isinstance(entry.value, ScalarNode) else None
        value = string_value(
            entry.value, shown(entry.key), problems, redact=masks(entry.key, source)
        )
        if value is not None:
            # Noted even when the entry is invalid: a later message must not echo it.
            remember([EnvVar(entry.key, value=value)])
        if value is None or not name_ok or not _check_value(entry.key, entry.line, value, problems):
            continue
        found.append(EnvVar(entry.key, value=value, line=entry.line))
    return found


def read_secret_vars(node: Node, label: str, problems: Problems) -> list[EnvVar]:
    """The Secret Manager references of a `secrets:` mapping, in declaration order."""
    entries = mapping_entries(node, label, 'a mapping of NAME: "SECRET:VERSION"', problems)
    found: list[EnvVar] = []
    for entry in entries or ():
        name_ok = check_name(entry.key, entry.line, problems)
        # A malformed reference may be a secret value pasted in by mistake: never echo it.
        text = string_value(entry.value, shown(entry.key), problems, redact=True)
        if text is None:
            continue
        ref = _parse_ref(text)
        if isinstance(ref, str):
            problems.add(entry.line, f"{shown(entry.key)}: {ref}")
        elif name_ok:
            found.append(EnvVar(entry.key, secret=ref, line=entry.line))
    return found


def check_name(name: str, line: int, problems: Problems) -> bool:
    """Whether Cloud Run accepts `name` as a variable name; reports why not."""
    message = None
    if not name:
        message = 'variable name is empty ("": ...); write a name'
    elif len(name) > MAX_NAME_CHARS:
        message = (
            f"{shown(name)}: a variable name of {len(name)} characters is over Cloud Run's "
            f"limit of {MAX_NAME_CHARS}; shorten it"
        )
    elif "=" in name:
        message = f"{shown(name)}: a variable name cannot contain '='; rename it"
    elif not name.isprintable():
        message = f"{shown(name)}: the variable name contains a control character; rename it"
    elif name.startswith(RESERVED_PREFIX):
        message = (
            f"{name}: names starting with {RESERVED_PREFIX} are reserved by Cloud Run; rename it"
        )
    elif name in RESERVED_NAMES:
        message = (
            f"{name}: reserved by Cloud Run, which sets {', '.join(sorted(RESERVED_NAMES))} "
            "itself; remove it"
        )
    if message is not None:
        problems.add(line, message)
    return message is None


def _check_value(name: str, line: int, value: str, problems: Problems) -> bool:
    size = len(value.encode("utf-8", "surrogatepass"))
    if size > MAX_VALUE_BYTES:
        problems.add(
            line,
            f"{shown(name)}: value is {size} bytes, over Cloud Run's limit of {MAX_VALUE_BYTES}; "
            "shorten it or mount it from Secret Manager",
        )
        return False
    if "\x00" in value:
        problems.add(line, f"{shown(name)}: value contains a NUL character; remove it")
        return False
    return True


def _parse_ref(text: str) -> SecretRef | str:
    """A SecretRef, or the message saying what is wrong with `text` (without repeating it)."""
    if _VERSIONS_PATH.match(text):
        return (
            "secret reference is written as a .../versions/V path; write "
            "projects/PROJECT/secrets/NAME:V instead"
        )
    secret, colon, version = text.rpartition(":")
    if not colon:
        return f"secret reference has no version; write it as {_FORMAT}"
    if not version:
        return f"secret reference has an empty version; write it as {_FORMAT}"
    if not (_SHORT_SECRET.match(secret) or _FULL_SECRET.match(secret)):
        return (
            "secret reference does not name a secret (a name of letters, digits, - and _, or "
            f"projects/PROJECT/secrets/NAME); write it as {_FORMAT}"
        )
    if not _VERSION.match(version):
        return f"secret version must be a number or latest; write it as {_FORMAT}"
    return SecretRef(secret=secret, version=version)

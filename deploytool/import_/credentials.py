"""Which plain values import keeps out of a manifest that will be committed: whatever the one
redaction decision masks (deploytool/redaction.py: by name, by declaration, by value), so
import and every renderer agree on what a secret is."""

from __future__ import annotations

from deploytool import redaction
from deploytool.core.credentials import is_plain_endpoint


def must_not_be_written(name: str, value: str) -> bool:
    """A credential-looking value, or a value under a secret-looking name (KEY, SECRET,
    TOKEN, PASSWORD, ..., or a word of the policy's `redact.names`), unless it is a plain
    http(s) endpoint (`AUTH_SERVICE_URL`), which a manifest may carry."""
    return bool(value) and redaction.masks(name, value) and not is_plain_endpoint(value)

"""Which plain values look like credentials, so that import never writes one into a file
that will be committed. The one place for this check: when deploytool.redaction gains
value detectors, this delegates to them."""

from __future__ import annotations

import math
import re
from collections import Counter

from deploytool.core.model import is_secret_like

_SHAPES = tuple(
    re.compile(pattern)
    for pattern in (
        r"^[a-z][a-z0-9+.-]*://[^/\s:@]*:[^/\s@]+@",  # a URL with a password
        r"^(?i:bearer|basic)\s+\S{8,}",  # an Authorization value
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
        r"^eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.",  # a JWT
        r"^(?:AKIA|ASIA)[0-9A-Z]{16}$",  # AWS access key id
        r"^gh[pousr]_[A-Za-z0-9]{30,}$",  # GitHub token
        r"^xox[abposr]-[A-Za-z0-9-]{10,}",  # Slack token
        r"^(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}",  # Stripe key
        r"^AIza[0-9A-Za-z_-]{35}$",  # Google API key
        r'"type"\s*:\s*"service_account"',  # a service-account JSON key
    )
)
# A long random-looking token: at least this long, and at least this many bits per char.
_MIN_RANDOM_LENGTH = 32
_MIN_ENTROPY = 4.0


def looks_like_credential(value: str) -> bool:
    """A value shaped like a password, key or token (shapes above, or a long high-entropy
    string without spaces)."""
    if any(shape.search(value) for shape in _SHAPES):
        return True
    if len(value) >= _MIN_RANDOM_LENGTH and not any(ch.isspace() for ch in value):
        if value.startswith(("http://", "https://", "/")):
            return False  # URLs and paths are long without being secret
        counts = Counter(value)
        entropy = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())
        return entropy >= _MIN_ENTROPY
    return False


def must_not_be_written(name: str, value: str) -> bool:
    """A plain value import keeps out of the manifest: a credential-looking value, or any
    non-trivial value under a secret-looking name (KEY, SECRET, TOKEN, PASSWORD, ...)."""
    return looks_like_credential(value) or (is_secret_like(name) and len(value) >= 4)

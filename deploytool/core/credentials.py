"""Values that look like credentials, whatever the variable is called. Pure.

`credential_kind(value)` names the shape found ("URL with a password", "GitHub token", ...) or
returns None. It never returns any part of the value, so its answer can go in a message.

The shapes (CONTRACT.md, "Secrets (v2)"), each matched anywhere in the value:
- a URL whose user info carries a password (`postgres://u:p@h`, `redis://:p@h`, `amqps://…`),
  or a query/keyword parameter that does (`?password=…`, `password=… host=…`, JSON `"token": …`);
- an Authorization value: `Bearer <token>`, `Basic <base64 of user:password>`;
- a PEM private key, a JWT, service-account JSON;
- known token formats: AWS access key ids, GitHub, GitLab, Slack (tokens and webhook URLs),
  Stripe secret/restricted/webhook keys, Google API keys, npm, PyPI, SendGrid, OpenAI and
  Anthropic keys;
- a long high-entropy string (see `is_high_entropy` for the exact threshold).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from functools import lru_cache
from urllib.parse import urlsplit

# -- the threshold of "long high-entropy string" (README, "Secrets never leave") ----------------
TOKEN_MIN_CHARS = 20  # base64/base64url-like strings shorter than this are ids, not keys
TOKEN_MIN_ENTROPY = 4.0  # bits per character (Shannon, over the string's own characters)
HEX_MIN_CHARS = 32  # hex strings: 128 bits and up (API keys of many providers)
HEX_MIN_ENTROPY = 3.0  # bits per character; hex can carry at most 4
# Hex of exactly these lengths is what a git commit SHA (40) and a SHA-256 digest (64) look
# like: GIT_SHA and image digests are set on most services and are public ids.
HEX_ID_LENGTHS = frozenset({40, 64})
# A string that is mostly long runs of one-case letters is words (CamelCase config names),
# however many distinct letters it uses.
WORDY_RUN = re.compile(r"[a-z]{4,}|[A-Z]{4,}")
WORDY_SHARE = 0.5

_TOKEN = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")

# -- known formats ---------------------------------------------------------------------------
_FORMATS: tuple[tuple[str, str], ...] = (
    ("service-account JSON", r"\"type\"\s*:\s*\"service_account\""),
    ("PEM private key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----"),
    ("JWT", r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    ("AWS access key id", r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b"),
    ("GitHub token", r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}"),
    ("GitHub token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
    ("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}"),
    ("Slack token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    ("Slack token", r"\bxapp-\d-[A-Za-z0-9-]{10,}"),
    (
        "Slack webhook URL",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{8,}",
    ),
    ("Stripe key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"),
    ("Stripe key", r"\bwhsec_[A-Za-z0-9+/]{20,}"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}"),
    ("npm token", r"\bnpm_[A-Za-z0-9]{36}"),
    ("PyPI token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    ("SendGrid key", r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
    ("OpenAI or Anthropic key", r"\bsk-(?:proj-|ant-|svcacct-)?[A-Za-z0-9_-]{20,}"),
)
# `password=...` in a query string, a libpq keyword string or JSON/YAML-ish text.
_CREDENTIAL_FIELD = re.compile(
    r"""(?ix)
    (?:^|[\s?&;,{"'])
    [\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|access[_-]?key)["']?
    \s*[:=]\s*["']?
    (?!["'\s]|null\b|none\b|true\b|false\b|\$\{|\$\()[^\s"',;&}]{4,}
    """
)
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#]+")
_AUTH_HEADER = re.compile(r"(?i)(?:^|[\s:])(bearer|basic|token)\s+([A-Za-z0-9._~+/-]{8,}=*)")


def entropy(text: str) -> float:
    """Shannon entropy in bits per character of `text` over its own characters."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def is_high_entropy(value: str) -> bool:
    """A bare token that random bytes produced: one word of base64/base64url characters of
    TOKEN_MIN_CHARS+ characters with letters and digits and TOKEN_MIN_ENTROPY+ bits per
    character, not mostly words; or hex of HEX_MIN_CHARS+ characters with HEX_MIN_ENTROPY+
    bits per character, except commit-SHA and SHA-256 lengths. UUIDs are ids."""
    text = value.strip()
    if _HEX.fullmatch(text):
        return (
            len(text) >= HEX_MIN_CHARS
            and len(text) not in HEX_ID_LENGTHS
            and entropy(text) >= HEX_MIN_ENTROPY
        )
    if len(text) < TOKEN_MIN_CHARS or not _TOKEN.fullmatch(text) or _UUID.fullmatch(text):
        return False
    if not (any(c.isdigit() for c in text) and any(c.isalpha() for c in text)):
        return False
    wordy = sum(len(run) for run in WORDY_RUN.findall(text))
    if wordy >= WORDY_SHARE * len(text):
        return False
    return entropy(text.rstrip("=")) >= TOKEN_MIN_ENTROPY


def _url_with_password(value: str) -> bool:
    for match in _URL.finditer(value):
        netloc = match.group(0).split("://", 1)[1]
        if "@" not in netloc:
            continue
        try:
            password = urlsplit(match.group(0)).password
        except ValueError:
            password = None
        userinfo = netloc.rsplit("@", 1)[0]
        if password or (":" in userinfo and userinfo.split(":", 1)[1]):
            return True
    return False


def _authorization(value: str) -> bool:
    for match in _AUTH_HEADER.finditer(value):
        scheme, token = match.group(1).lower(), match.group(2)
        if scheme == "basic":
            try:
                decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
            except (binascii.Error, ValueError):
                continue
            if b":" in decoded:
                return True
        elif any(c.isdigit() or c in "._~+/-" for c in token):
            # "Bearer authentication is required" is prose, not a header value.
            return True
    return False


@lru_cache(maxsize=1)
def _formats() -> tuple[tuple[str, re.Pattern[str]], ...]:
    # Compiled on first use, not on import: `deploytool --help` never decides a value.
    return tuple((kind, re.compile(pattern)) for kind, pattern in _FORMATS)


@lru_cache(maxsize=8192)
def credential_kind(value: str) -> str | None:
    """The credential shape `value` has, in words, or None. Cached: every renderer asks."""
    if len(value) < 8:
        return None
    for kind, pattern in _formats():
        if pattern.search(value):
            return kind
    if _url_with_password(value):
        return "URL with a password"
    if _authorization(value):
        return "Authorization header value"
    if _CREDENTIAL_FIELD.search(value):
        return "password or token parameter"
    if is_high_entropy(value):
        return "high-entropy string"
    return None


def looks_like_credential(value: str | None) -> bool:
    return bool(value) and credential_kind(value or "") is not None


def is_plain_endpoint(value: str) -> bool:
    """An http(s) URL with no user info and no credential shape (`AUTH_SERVICE_URL`): an
    address, not a secret. Its value is still masked when its name looks secret; what this
    spares is the advice to move it to Secret Manager, and import leaving it out."""
    parts = urlsplit(value)
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and credential_kind(value) is None
    )

"""A corpus of credential shapes for the canary tests: every call makes fresh, unique values.

Each `Shape` builds a value around random material (its `marks`): a leak is any 8-character
slice of a mark found in any output, so a truncated, wrapped or re-encoded value is caught as
surely as the whole one. Fixed parts (`postgres://admin:`, `-----BEGIN`) are not marks: they
are in every such value and say nothing about which secret it was.
"""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass

UPPER, LOWER, DIGITS = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UPPER + LOWER + DIGITS
B64 = ALNUM + "+/"
SLICE = 8  # the length of a leaked slice that counts


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def token(n: int) -> str:
    """Random material that is sure to read as high-entropy: upper, lower, digit in turn (no
    run of one case, many distinct characters), shuffled per run."""
    classes = (UPPER, LOWER, DIGITS)
    return "".join(secrets.choice(classes[i % 3]) for i in range(n))


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@dataclass(frozen=True)
class Canary:
    shape: str
    value: str
    marks: tuple[str, ...]  # the random parts: no slice of any may appear in output

    def slices(self) -> set[str]:
        return {m[i : i + SLICE] for m in self.marks for i in range(len(m) - SLICE + 1)}


def _url(scheme: str, user: str, host: str) -> Canary:
    pw = token(20)
    return Canary(f"{scheme} URL", f"{scheme}://{user}:{pw}@{host}", (pw,))


def _pem(kind: str) -> Canary:
    lines = [rand(64, B64) for _ in range(3)]
    label = f"{kind} PRIVATE KEY".strip()
    value = f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"
    return Canary(f"PEM {label}", value, tuple(lines))


def _jwt() -> Canary:
    head = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps({"sub": token(16), "iat": 1700000000}).encode())
    signature = b64url(secrets.token_bytes(32))
    return Canary("JWT", f"{head}.{payload}.{signature}", (payload[:-12], signature))


def _basic() -> Canary:
    pw = token(16)
    encoded = base64.b64encode(f"deploy:{pw}".encode()).decode()
    return Canary("Basic authorization", f"Basic {encoded}", (encoded[8:],))


def _bearer() -> Canary:
    t = token(32)
    return Canary("Bearer authorization", f"Bearer {t}", (t,))


def _service_account() -> Canary:
    body, key_id = rand(64, B64), rand(40, "0123456789abcdef")
    doc = {
        "type": "service_account",
        "project_id": "p-prod",
        "private_key_id": key_id,
        "private_key": f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n",
        "client_email": "app@p-prod.iam.gserviceaccount.com",
    }
    return Canary("service-account JSON", json.dumps(doc), (body, key_id))


def _prefixed(shape: str, prefix: str, n: int, suffix: str = "", alphabet: str = "") -> Canary:
    t = rand(n, alphabet) if alphabet else token(n)
    return Canary(shape, f"{prefix}{t}{suffix}", (t,))


def _slack_webhook() -> Canary:
    t = token(24)
    return Canary(
        "Slack webhook URL", f"https://hooks.slack.com/services/T0{rand(8, UPPER)}/B0{t}", (t,)
    )


def _keyword_string() -> Canary:
    pw = token(18)
    return Canary(
        "libpq keyword string", f"host=db.internal user=app password={pw} dbname=app", (pw,)
    )


def _jdbc() -> Canary:
    pw = token(18)
    return Canary(
        "JDBC URL with a password parameter",
        f"jdbc:postgresql://db.internal:5432/app?user=app&password={pw}",
        (pw,),
    )


def _config_json() -> Canary:
    pw = token(18)
    return Canary("JSON config with a password", json.dumps({"db": {"password": pw}}), (pw,))


def _hex() -> Canary:
    t = rand(48, "0123456789abcdef")
    return Canary("high-entropy hex", t, (t,))


SHAPES: tuple[Callable[[], Canary], ...] = (
    lambda: _url("postgres", "admin", "db.internal:5432/app"),
    lambda: _url("redis", "", "cache.internal:6379/0"),
    lambda: _url("amqps", "worker", "mq.internal/vhost"),
    lambda: _url("mongodb+srv", "app", "cluster0.example.net/app?retryWrites=true"),
    _bearer,
    _basic,
    lambda: _pem("RSA"),
    lambda: _pem("OPENSSH"),
    lambda: _pem(""),
    _jwt,
    lambda: _prefixed("AWS access key id", "AKIA", 16, alphabet=UPPER + DIGITS),
    lambda: _prefixed("GitHub token ghp_", "ghp_", 36),
    lambda: _prefixed("GitHub token gho_", "gho_", 36),
    lambda: _prefixed("GitHub fine-grained token", "github_pat_11A", 70),
    lambda: _prefixed("GitLab token", "glpat-", 20),
    lambda: _prefixed("Slack bot token", "xoxb-123456789012-", 24),
    _slack_webhook,
    lambda: _prefixed("Stripe secret key", "sk_live_", 24),
    lambda: _prefixed("Stripe restricted key", "rk_live_", 24),
    lambda: _prefixed("Stripe webhook secret", "whsec_", 32),
    lambda: _prefixed("Google API key", "AIza", 35),
    _service_account,
    lambda: _prefixed("npm token", "npm_", 36),
    lambda: _prefixed("OpenAI key", "sk-proj-", 40),
    lambda: _prefixed("SendGrid key", "SG.", 22, "." + token(43)),
    _keyword_string,
    _jdbc,
    _config_json,
    lambda: _prefixed("high-entropy base64", "", 40),
    _hex,
)


def corpus() -> list[Canary]:
    """One fresh canary of every shape."""
    return [make() for make in SHAPES]

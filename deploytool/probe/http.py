"""GET the app's health endpoint and parse its JSON, with a deadline and brief retries.
Every failure becomes an answer with an error, never an exception."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from deploytool.probe.retry import TRANSIENT_STATUSES, TransientAnswer, refused, with_retries

MAX_BODY_BYTES = 1 << 20  # a health answer is small; never buffer an unbounded body
AUTH_HINT = (
    "Cloud Run wants an ID token whose audience is the service URL, from a caller with "
    "roles/run.invoker on the service: run as that service account, or pass "
    "--impersonate-service-account SA"
)
EMULATOR_AUTH_HINT = (
    "no token is sent through the emulator (CLOUD_RUN_EMULATOR_HOST): point the service's "
    "uri at an app that needs no authentication"
)


@dataclass(frozen=True)
class HealthAnswer:
    url: str
    status: int | None = None
    body: Any = None
    error: str | None = None
    hint: str | None = None


def get_json(url: str, token: str | None, deadline: float) -> HealthAnswer:
    """GET `url` (bearer `token` when given) until the monotonic `deadline`."""
    headers = {"Accept": "application/json", "User-Agent": "deploytool-verify"}
    if token:
        headers["Authorization"] = f"Bearer {token}"

    def attempt(seconds_left: float) -> HealthAnswer:
        with requests.get(url, headers=headers, timeout=seconds_left, stream=True) as response:
            if response.status_code in TRANSIENT_STATUSES:
                raise TransientAnswer(f"answered HTTP {response.status_code}", response.status_code)
            return _answer(url, response, token is not None)

    try:
        return with_retries(attempt, deadline, _transient)
    except TransientAnswer as exc:
        return HealthAnswer(
            url, exc.status, error=f"GET {url} {exc} (after retries)", hint="try again later"
        )
    except (requests.Timeout, TimeoutError):
        return HealthAnswer(
            url, error=f"GET {url}: no answer within the timeout", hint="raise --timeout"
        )
    except requests.ConnectionError as exc:
        what = "connection refused" if refused(exc) else "connection failed"
        return HealthAnswer(
            url,
            error=f"GET {url}: {what}",
            hint="check that the service is up and that its URL is reachable from here",
        )
    except requests.RequestException as exc:
        return HealthAnswer(url, error=f"GET {url} failed: {type(exc).__name__}")


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientAnswer | requests.exceptions.ChunkedEncodingError):
        return True
    return (
        isinstance(exc, requests.ConnectionError)
        and not isinstance(exc, requests.Timeout)
        and not refused(exc)
    )


def _answer(url: str, response: requests.Response, sent_token: bool) -> HealthAnswer:
    code = response.status_code
    if code in (401, 403):
        return HealthAnswer(
            url,
            code,
            error=f"GET {url} answered HTTP {code}: the app refused the caller",
            hint=AUTH_HINT if sent_token else EMULATOR_AUTH_HINT,
        )
    if not 200 <= code < 300:
        return HealthAnswer(
            url,
            code,
            error=f"GET {url} answered HTTP {code}",
            hint="check verify.path in the manifest" if code == 404 else None,
        )
    raw = response.raw.read(MAX_BODY_BYTES + 1, decode_content=True)
    if len(raw) > MAX_BODY_BYTES:
        return HealthAnswer(url, code, error=f"GET {url}: the answer is over 1 MiB")
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        kind = response.headers.get("Content-Type", "no content type").split(";")[0]
        kind = "".join(ch for ch in kind[:60] if ch.isprintable())
        return HealthAnswer(
            url,
            code,
            error=f"GET {url} answered HTTP {code} but not JSON ({kind})",
            hint="the health endpoint must answer a JSON object",
        )
    return HealthAnswer(url, code, body=body)

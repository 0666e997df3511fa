"""Does the running app see its configuration? The manifest's `verify:` block, what a probe
observed (health answer, WebSocket), and the pure judgement of one against the other.

Pure: the probes (HTTP, WebSocket, ID tokens) live in deploytool/probe and hand back an
`Observation`; `judge` turns it into checks and a status, `verify_verdict` into an exit code.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from deploytool.core.model import SERVICE, Manifest, is_secret_like
from deploytool.core.verdict import Status, Verdict, verdict_for
from deploytool.core.verify_spec import VerifySpec

NORMAL_CLOSE = 1000
MASK = "***"


class VerifyStatus(StrEnum):
    OK = "ok"
    DISAGREES = "disagrees"
    LEAKAGE = "leakage"
    ERROR = "error"


_AS_STATUS = {
    VerifyStatus.OK: Status.IN_SYNC,
    VerifyStatus.DISAGREES: Status.DRIFT,
    VerifyStatus.LEAKAGE: Status.LEAKAGE,
    VerifyStatus.ERROR: Status.ERROR,
}


@dataclass(frozen=True)
class SocketOutcome:
    """What the WebSocket did: opened and held (`held`), closed by the app (`close_code`,
    `close_reason`), or could not be opened (`error`, with the handshake's HTTP code)."""

    held: bool = False
    close_code: int | None = None
    close_reason: str = ""
    error: str | None = None
    http_status: int | None = None
    hint: str | None = None


@dataclass(frozen=True)
class Observation:
    """One service probed: the health answer (`body`, already parsed JSON) or why there is
    none (`error`), and the socket's outcome when one was asked for."""

    url: str
    http_status: int | None = None
    body: Any = None
    error: str | None = None
    hint: str | None = None
    socket: SocketOutcome | None = None


@dataclass(frozen=True)
class Check:
    """One comparison; `expected`/`seen` are what may be printed (strings, masked as needed)."""

    check: str
    expected: str | None
    seen: str | None
    ok: bool
    leak: bool = False
    unreadable: bool = False
    close_code: int | None = None
    close_reason: str | None = None
    http_status: int | None = None
    message: str | None = None
    hint: str | None = None


@dataclass(frozen=True)
class ServiceVerification:
    service: str
    url: str
    status: VerifyStatus
    checks: tuple[Check, ...]
    http_status: int | None = None
    message: str | None = None  # why nothing could be checked (no URL, no tag, unreachable)
    hint: str | None = None


@dataclass(frozen=True)
class Expectation:
    """What the app must say about the E2E bypass for one service."""

    flag_should_be: bool
    protected: bool


def expectation_for(manifest: Manifest, service: str, protected: bool) -> Expectation:
    """Where the manifest's e2e set applies, the app must report the bypass enabled."""
    block = manifest.e2e
    applies = block is not None and block.applies_to(SERVICE, service)
    return Expectation(flag_should_be=applies and not protected, protected=protected)


_MISSING = object()


def lookup(document: Any, dotted: str) -> Any:
    """`a.b.0.c` in a JSON document; `_MISSING` when any step is absent."""
    node = document
    for step in dotted.split("."):
        if isinstance(node, Mapping) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def as_text(value: Any) -> str | None:
    """A JSON value compared as a string: strings as they are, the rest in JSON spelling."""
    if value is _MISSING:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def flag_value(value: Any) -> bool | None:
    """The flag as a boolean. Apps write it as JSON true/false, sometimes as a string; any
    other value (absent, null, "yes") answers nothing and never passes."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def _looks_secret(dotted: str) -> bool:
    return is_secret_like(dotted.rsplit(".", 1)[-1])


def _shown(dotted: str, text: str | None) -> str | None:
    return MASK if text is not None and _looks_secret(dotted) else text


def judge_flag(spec: VerifySpec, body: Any, expectation: Expectation) -> Check:
    raw = lookup(body, spec.e2e_flag)
    seen = flag_value(raw)
    want = expectation.flag_should_be and not expectation.protected
    shown = "true" if seen else "false" if seen is False else as_text(raw)
    if seen is True and expectation.protected:
        leak = "the app reports the E2E bypass enabled in a protected environment"
        return Check(spec.e2e_flag, "false", shown, ok=False, leak=True, message=leak)
    message: str | None = None
    if seen is None:
        message = f"the app's answer has no boolean at {spec.e2e_flag}"
    elif seen != want:
        message = (
            "the app reports the E2E bypass disabled where the manifest's e2e set applies"
            if want
            else "the app reports the E2E bypass enabled where the e2e set does not apply"
        )
    return Check(
        spec.e2e_flag, "true" if want else "false", shown, ok=seen == want, message=message
    )


def judge_expect(spec: VerifySpec, body: Any) -> list[Check]:
    checks = []
    for dotted, expected in spec.expect:
        seen = as_text(lookup(body, dotted))
        ok = seen == expected
        checks.append(
            Check(
                dotted,
                _shown(dotted, expected),
                _shown(dotted, seen),
                ok=ok,
                message=None if ok else f"the app reports another value at {dotted}",
            )
        )
    return checks


def judge_socket(spec: VerifySpec, outcome: SocketOutcome) -> Check:
    name = f"websocket {spec.websocket}"
    if outcome.error is not None:
        return Check(
            name,
            "open",
            None,
            ok=False,
            unreadable=True,
            http_status=outcome.http_status,
            message=outcome.error,
            hint=outcome.hint,
        )
    if outcome.held or outcome.close_code == NORMAL_CLOSE:
        seen = "open" if outcome.held else f"closed {NORMAL_CLOSE} (normal)"
        return Check(name, "open", seen, ok=True, close_code=outcome.close_code)
    code = "no code" if outcome.close_code is None else str(outcome.close_code)
    reason = outcome.close_reason
    return Check(
        name,
        "open",
        f"closed {code}" + (f" {reason!r}" if reason else ""),
        ok=False,
        close_code=outcome.close_code,
        close_reason=reason,
        message=f"the app closed the WebSocket with {code}" + (f": {reason}" if reason else ""),
    )


def judge(
    service: str, spec: VerifySpec, expectation: Expectation, seen: Observation
) -> ServiceVerification:
    """Checks and status of one service; leakage > error > disagrees > ok."""
    checks: list[Check] = []
    if seen.error is not None:
        checks.append(
            Check(
                f"GET {spec.path}",
                "a JSON answer",
                None,
                ok=False,
                unreadable=True,
                http_status=seen.http_status,
                message=seen.error,
                hint=seen.hint,
            )
        )
    else:
        checks.append(judge_flag(spec, seen.body, expectation))
        checks.extend(judge_expect(spec, seen.body))
    if seen.socket is not None:
        checks.append(judge_socket(spec, seen.socket))
    failed = [c for c in checks if not c.ok]
    if any(c.leak for c in failed):
        status = VerifyStatus.LEAKAGE
    elif any(c.unreadable for c in failed):
        status = VerifyStatus.ERROR
    elif failed:
        status = VerifyStatus.DISAGREES
    else:
        status = VerifyStatus.OK
    first = next((c for c in failed if c.unreadable), None)
    return ServiceVerification(
        service=service,
        url=seen.url,
        status=status,
        checks=tuple(checks),
        http_status=seen.http_status,
        message=first.message if first else None,
        hint=first.hint if first else None,
    )


def unverifiable(
    service: str, url: str, message: str, hint: str | None = None
) -> ServiceVerification:
    """A service that could not even be probed (not live, no URL, no such tag): exit 5."""
    return ServiceVerification(service, url, VerifyStatus.ERROR, (), message=message, hint=hint)


def verify_verdict(results: Iterable[ServiceVerification]) -> Verdict:
    """4 > 5 > 3 > 0 over the services; no service at all is never green."""
    order = [VerifyStatus.LEAKAGE, VerifyStatus.ERROR, VerifyStatus.DISAGREES, VerifyStatus.OK]
    statuses = [r.status for r in results]
    if not statuses:
        return verdict_for(Status.ERROR)
    worst = min(statuses, key=order.index)
    return verdict_for(_AS_STATUS[worst])


def status_word(verdict: Verdict) -> str:
    """The verdict in verify's own words (`ok|disagrees|leakage|error`)."""
    return {v: k for k, v in _AS_STATUS.items()}[verdict.status].value

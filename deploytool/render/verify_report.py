"""`deploytool verify` as text (one line per check) and as the JSON envelope of CONTRACT.md.
Only the checked fields of the app's answer are ever shown."""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text

from deploytool.commands.verify import VerifyResult
from deploytool.core.verify import Check, ServiceVerification, VerifyStatus, status_word
from deploytool.render.json_doc import SCHEMA_VERSION
from deploytool.render.text import STATUS_STYLE, emit, make_console

_STYLE = {
    VerifyStatus.OK: "green",
    VerifyStatus.DISAGREES: "yellow",
    VerifyStatus.LEAKAGE: "bold red",
    VerifyStatus.ERROR: "red",
}


def verify_doc(result: VerifyResult) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "command": "verify",
        "environment": result.environment,
        "status": status_word(result.verdict),
        "exit_code": int(result.verdict.exit_code),
        "services": [_service_doc(s) for s in result.services],
    }
    if result.tag is not None:
        doc["tag"] = result.tag
    return doc


def _service_doc(service: ServiceVerification) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "service": service.service,
        "url": service.url,
        "status": service.status.value,
        "checks": [_check_doc(c) for c in service.checks],
        "http_status": service.http_status,
    }
    if service.message is not None:
        doc["message"] = service.message
    if service.hint is not None:
        doc["hint"] = service.hint
    return doc


def app_doc(result: ServiceVerification, probes: int) -> dict[str, Any]:
    """What `apply` shows of a written service's app: verify's entry plus the probes it took."""
    return {**_service_doc(result), "probes": probes}


def app_lines(service: str, result: ServiceVerification, probes: int) -> list[object]:
    """`apply`'s text of a written service's app: one head line, then each check."""
    head = Text(f"{service}: app ")
    head.append(result.status.value.upper(), _STYLE[result.status])
    head.append(f" after {probes} probe(s)")
    if result.url:
        head.append(f"  {_safe(result.url)}")
    lines: list[object] = [head, *(_check_line(c) for c in result.checks)]
    if not result.checks and result.message:
        lines.append(Text(f"  error: {_safe(result.message)}", "red"))
    if result.hint and not any(c.hint for c in result.checks):
        lines.append(Text(f"  hint: {_safe(result.hint)}"))
    return lines


def _check_doc(check: Check) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "check": check.check,
        "expected": check.expected,
        "seen": check.seen,
        "ok": check.ok,
    }
    extra = {
        "close_code": check.close_code,
        "close_reason": check.close_reason,
        "http_status": check.http_status,
        "message": check.message,
        "hint": check.hint,
    }
    doc.update({key: value for key, value in extra.items() if value is not None})
    return doc


def render_verify(result: VerifyResult) -> None:
    lines: list[object] = []
    where = f" (tag {result.tag})" if result.tag else ""
    for service in result.services:
        head = Text(f"{service.service}{where}: ")
        head.append(service.status.value.upper(), _STYLE[service.status])
        if service.url:
            head.append(f"  {_safe(service.url)}")
        lines.append(head)
        for check in service.checks:
            lines.append(_check_line(check))
        if not service.checks and service.message:
            lines.append(Text(f"  error: {_safe(service.message)}", "red"))
        if service.hint and not any(c.hint for c in service.checks):
            lines.append(Text(f"  hint: {_safe(service.hint)}"))
    verdict = result.verdict
    tail = Text(f"verify {result.environment}: ")
    tail.append(status_word(verdict).upper(), STATUS_STYLE[verdict.status])
    tail.append(f" (exit {int(verdict.exit_code)})")
    lines.append(tail)
    emit(make_console(), lines)


def _check_line(check: Check) -> Text:
    line = Text("  ")
    line.append("ok  " if check.ok else "FAIL", "green" if check.ok else "red")
    line.append(
        f" {_safe(check.check)}: expected {_safe(check.expected)}, seen {_safe(check.seen)}"
    )
    if check.http_status is not None:
        line.append(f" (HTTP {check.http_status})")
    if check.message and not check.ok:
        line.append(f" - {_safe(check.message)}")
    if check.hint:
        line.append(f"\n    hint: {_safe(check.hint)}")
    return line


def _safe(text: str | None) -> str:
    """Values from the app or the URL, printed so they cannot forge a line or a sequence."""
    if text is None:
        return "-"
    return text if text.isprintable() else json.dumps(text, ensure_ascii=False)

"""The manifest's `verify:` block: what the running app must report (see `deploytool verify`).
Read as strictly as the rest of the manifest; every problem names its line."""

from __future__ import annotations

import re
from collections.abc import Sequence

from deploytool.core.model import ServiceSpec, is_secret_like
from deploytool.core.verify_spec import VerifySpec
from deploytool.manifest.nodes import (
    Entry,
    Problems,
    known_keys,
    mapping_entries,
    shown,
    string_list,
    string_value,
)
from deploytool.manifest.shape import VERIFY

VERIFY_KEYS = VERIFY.names
# A dotted path into the JSON answer: `e2e_testing.enabled`, `checks.0.status`.
DOTTED_PATH = re.compile(r"^[^.\s]+(?:\.[^.\s]+)*$")


def read_verify(
    entry: Entry | None, specs: Sequence[ServiceSpec], problems: Problems
) -> VerifySpec | None:
    """The `verify:` block (None when absent or invalid; problems are collected)."""
    if entry is None:
        return None
    before = len(problems.items)
    entries = mapping_entries(
        entry.value, "verify", "a mapping with path:, e2e_flag:, expect:, websocket:", problems
    )
    if entries is None:
        return None
    keys = known_keys(entries, VERIFY_KEYS, "in verify", problems)
    path = _url_path(keys.get("path"), "path", problems)
    if "path" not in keys:
        problems.add(entry.line, "verify: path: missing; add path: /health (the app's health URL)")
    flag = _dotted(keys.get("e2e_flag"), "e2e_flag", problems)
    if "e2e_flag" not in keys:
        problems.add(
            entry.line,
            "verify: e2e_flag: missing; add the dotted path of the app's E2E flag in its "
            "answer, e.g. e2e_flag: e2e_testing.enabled",
        )
    expect = _expect(keys.get("expect"), problems)
    websocket = _url_path(keys.get("websocket"), "websocket", problems)
    services = _services(keys.get("services"), specs, problems)
    if len(problems.items) > before or path is None or flag is None:
        return None
    return VerifySpec(
        path=path,
        e2e_flag=flag,
        expect=expect,
        websocket=websocket,
        services=services,
        line=entry.line,
    )


def _url_path(entry: Entry | None, key: str, problems: Problems) -> str | None:
    if entry is None:
        return None
    text = string_value(entry.value, f"verify {key}", problems)
    if text is None:
        return None
    if (
        not text.startswith("/")
        or text.startswith("//")
        or any(ch.isspace() or not ch.isprintable() for ch in text)
    ):
        problems.add(
            entry.line,
            f"verify {key}: {shown(text)} is not a path on the service's URL; write one that "
            "starts with / and has no spaces, e.g. /health",
        )
        return None
    return text


def _dotted(entry: Entry | None, key: str, problems: Problems) -> str | None:
    if entry is None:
        return None
    text = string_value(entry.value, f"verify {key}", problems)
    if text is None:
        return None
    if not DOTTED_PATH.match(text):
        problems.add(
            entry.line,
            f"verify {key}: {shown(text)} is not a dotted path into the JSON answer; write "
            "names joined by dots, e.g. e2e_testing.enabled",
        )
        return None
    return text


def _expect(entry: Entry | None, problems: Problems) -> tuple[tuple[str, str], ...]:
    if entry is None:
        return ()
    entries = mapping_entries(
        entry.value,
        "verify expect",
        'a mapping of dotted path to expected value, e.g. {"database.status": "ok"}',
        problems,
    )
    out = []
    for item in entries or []:
        if not DOTTED_PATH.match(item.key):
            problems.add(
                item.line,
                f"verify expect: {shown(item.key)} is not a dotted path into the JSON answer; "
                "write names joined by dots, e.g. database.status",
            )
            continue
        leaf = item.key.rsplit(".", 1)[-1]
        value = string_value(
            item.value, f"verify expect {item.key}", problems, redact=is_secret_like(leaf)
        )
        if value is not None:
            out.append((item.key, value))
    return tuple(sorted(out))


def _services(
    entry: Entry | None, specs: Sequence[ServiceSpec], problems: Problems
) -> tuple[str, ...] | None:
    if entry is None:
        return None
    items = string_list(entry.value, "verify services", "a list of service names", problems)
    if items is None:
        return None
    known = {spec.name for spec in specs}
    for item in items:
        if item.key not in known:
            problems.add(
                item.line,
                f"verify services: {shown(item.key)} is not a service of this manifest; use one "
                f"of: {', '.join(sorted(known)) or '(none)'}",
            )
    if not items:
        problems.add(
            entry.line,
            "verify services: is empty; list the services to verify, or remove the key to "
            "verify all of them",
        )
    return tuple(item.key for item in items)

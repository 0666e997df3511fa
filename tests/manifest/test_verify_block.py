"""The manifest's `verify:` block: the contract's example reads into a VerifySpec; everything
else is exit 2 naming file:line, as strictly as the rest of the manifest."""

from __future__ import annotations

import pytest

from deploytool.core.verify_spec import VerifySpec
from deploytool.manifest import load_manifest
from tests.manifest.conftest import manifest_problems, marked_line, write

HEAD = "project: p\nregion: r\nservices:\n  api: {}\n  web: {}\n"


def test_contract_example_reads_into_a_spec(configs):
    write(
        configs,
        "staging.yaml",
        HEAD
        + "verify:\n"
        + "  path: /health\n"
        + "  e2e_flag: e2e_testing.enabled\n"
        + '  expect: {"database.status": "ok", version: "12"}\n'
        + "  websocket: /ws\n"
        + "  services: [api]\n",
    )
    manifest = load_manifest(configs, "staging")
    assert manifest.verify == VerifySpec(
        path="/health",
        e2e_flag="e2e_testing.enabled",
        expect=(("database.status", "ok"), ("version", "12")),
        websocket="/ws",
        services=("api",),
    )
    assert manifest.verify.line == 6
    assert manifest.verify.covers("api") and not manifest.verify.covers("web")


def test_no_block_means_no_verify(configs):
    write(configs, "staging.yaml", HEAD)
    assert load_manifest(configs, "staging").verify is None


def test_minimal_block_covers_every_service(configs):
    write(configs, "staging.yaml", HEAD + "verify: {path: /health, e2e_flag: e2e.on}\n")
    spec = load_manifest(configs, "staging").verify
    assert spec is not None and spec.services is None and spec.websocket is None
    assert spec.covers("web")


def block(*lines: str) -> str:
    return HEAD + "verify:\n" + "".join(f"  {line}\n" for line in lines)


CASES = [
    (
        "unknown-key",
        block("path: /health", "e2e_flag: a.b", "websockets: /ws  # <-"),
        ["websockets: unknown key in verify", "did you mean websocket:?"],
    ),
    (
        "path-list",
        block("path: [/health]  # <-", "e2e_flag: a.b"),
        ["verify path:", "is a list"],
    ),
    (
        "path-relative",
        block("path: health  # <-", "e2e_flag: a.b"),
        ["verify path:", "starts with /"],
    ),
    (
        "flag-bool",
        block("path: /health", "e2e_flag: true  # <-"),
        ["verify e2e_flag:", "is a boolean"],
    ),
    (
        "flag-not-dotted",
        block("path: /health", 'e2e_flag: "a..b"  # <-'),
        ["verify e2e_flag:", "not a dotted path"],
    ),
    (
        "flag-missing",
        HEAD + "verify:  # <-\n  path: /health\n",
        ["e2e_flag: missing"],
    ),
    (
        "path-missing",
        HEAD + "verify:  # <-\n  e2e_flag: a.b\n",
        ["path: missing"],
    ),
    (
        "expect-number",
        block("path: /health", "e2e_flag: a.b", "expect:", "  version: 12  # <-"),
        ["verify expect version:", "is a number", 'quote it: "12"'],
    ),
    (
        "expect-list",
        block("path: /health", "e2e_flag: a.b", "expect: [a]  # <-"),
        ["verify expect:", "expected a mapping"],
    ),
    (
        "websocket-bool",
        block("path: /health", "e2e_flag: a.b", "websocket: yes  # <-"),
        ["verify websocket:", "is a boolean"],
    ),
    (
        "unknown-service",
        block("path: /health", "e2e_flag: a.b", "services:", "  - api", "  - worker  # <-"),
        ["verify services: worker is not a service of this manifest", "api, web"],
    ),
    (
        "services-string",
        block("path: /health", "e2e_flag: a.b", "services: api  # <-"),
        ["verify services:", "a list of service names"],
    ),
    (
        "block-list",
        HEAD + "verify: [/health]  # <-\n",
        ["verify:", "expected a mapping"],
    ),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_block_names_file_and_line(configs, text, fragments):
    write(configs, "staging.yaml", text)
    problems = manifest_problems(configs, "staging")
    line = marked_line(text)
    at_line = [p for p in problems if p.line == line]
    assert at_line, problems
    message = " ".join(p.message for p in at_line)
    for fragment in fragments:
        assert fragment in message, message
    assert all(p.path.endswith("staging.yaml") for p in problems)


def test_secret_looking_expected_value_is_never_echoed(configs):
    write(
        configs,
        "staging.yaml",
        block("path: /health", "e2e_flag: a.b", "expect:", "  auth.api_key: 12345678"),
    )
    problems = manifest_problems(configs, "staging")
    assert problems and all("12345678" not in p.message for p in problems)

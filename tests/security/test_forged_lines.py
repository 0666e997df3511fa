"""A forged line in every output format: a live value (and a live variable name) carrying a
fake verdict line, carriage returns, a terminal sequence, Unicode line separators, GitHub
workflow commands (both syntaxes) and rich markup. Through the CLI, the real client and the
emulator; no output line but the tool's own may start with any of it."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import service_message

FAKE_VERDICT = "diff production: IN SYNC (exit 0)"
FORGED = (
    f"hello\n{FAKE_VERDICT}\n::error::forged\r\x1b[2K\u2028::error::forged%0A::error::forged"
    "\x85::warning::forged\u202e [bold red]loud[/bold red] ##[error]legacy\x9b2K"
)
MARKUP = "[bold red]loud[/bold red]"
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend: {env: {GREETING: hello}}
"""
STAGING = """
    project: p-staging
    region: us-central1
    services:
      web: {env: {GREETING: hello}}
"""
# Raw characters that must never reach a text output (JSON and XML escape what they keep).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# GitHub's runner: a line is a command if it starts with `::` once leading blanks are trimmed,
# or if it holds `##[` anywhere (the legacy syntax).
OWN_ANNOTATION = re.compile(
    r"^::(error|warning) (file=[^,:]+,line=\d+,)?title=deploytool [^:]*(%3A[^:]*)*::"
)
SGR = re.compile(r"\x1b\[[0-9;]*m")


def forged_lines(text: str, *, annotations: bool = False, stream: bool = True) -> list[str]:
    """The lines of `text` that a value forged: a fake verdict, a workflow command that is not
    one of the tool's own annotations, a raw control character, and on a stream the runner
    reads (stdout, stderr; not a report file) a legacy `##[` command."""
    bad = []
    for line in text.split("\n"):
        start = line.lstrip()
        own = annotations and OWN_ANNOTATION.match(line) is not None
        if (
            start.startswith(FAKE_VERDICT)
            or (start.startswith("::") and not own)
            or (stream and "##[" in line and not own)
            or RAW.search(line)
        ):
            bad.append(line)
    return bad


@pytest.fixture
def cfg(configs):
    return configs(production=PRODUCTION, staging=STAGING)


@pytest.fixture
def seeded(emulator):
    def put(project, name, env):
        emulator.state.put_service(service_message(project, "us-central1", name, env))

    # changed (GREETING), unexpected (NOTE), and an unexpected variable whose name is forged
    put("p-prod", "backend", {"GREETING": FORGED, "NOTE": FORGED, f"X_{FORGED}": "1"})
    # an unmanaged service: a leaking name (a violation) and a look-alike one (a warning)
    put("p-prod", "legacy", {f"E2E_NOTE{FORGED}": "1", f"\u04152E_NOTE{FORGED}": "1"})
    put("p-staging", "web", {"GREETING": FORGED})
    return emulator


def test_text_report_and_stderr_warnings(seeded, cli, cfg):
    result = cli("diff", "production", "--config-dir", str(cfg), emulator=seeded)
    assert result.exit_code == 4, result.output
    assert result.stdout.startswith("diff production: LEAKAGE (exit 4)\n")
    assert forged_lines(result.stdout) == []
    assert forged_lines(result.stderr) == []
    # Every piece is shown, escaped, on the line of the fact it belongs to.
    greeting = next(line for line in result.stdout.splitlines() if "~ GREETING:" in line)
    assert (
        "hello\\ndiff production: IN SYNC (exit 0)\\n::error::forged\\r\\x1b[2K\\u2028" in greeting
    )
    assert "\\x85::warning::forged\\u202e " + MARKUP + " ##\\x5b" in greeting  # markup is inert
    assert "- X_hello\\ndiff production" in result.stdout  # the forged name, escaped
    warning = next(line for line in result.stderr.splitlines() if "looks like" in line)
    assert warning.startswith("warning: ") and "(EXIT 0)\\n::ERROR::FORGED" in warning


def test_rich_tables_do_not_read_values_as_markup(seeded, cli, cfg):
    result = cli(
        "diff", "production", "--config-dir", str(cfg), emulator=seeded, env={"FORCE_COLOR": "1"}
    )
    assert result.exit_code == 4, result.output
    assert "\x1b[" in result.stdout  # really the rich mode: styled
    # What the runner sees: no command (a styled line starts with its SGR code, not `::`).
    assert [line for line in result.stdout.split("\n") if line.lstrip().startswith("::")] == []
    assert "##[" not in result.stdout
    plain = SGR.sub("", result.stdout)
    assert RAW.search(plain) is None
    # What a reader sees: the tool's own lines start at column 0; a value wrapped inside a
    # table column starts behind the columns before it.
    assert [line for line in plain.split("\n") if line.startswith((FAKE_VERDICT, "::"))] == []
    assert MARKUP in plain


def test_json_keeps_the_real_value(seeded, cli, cfg):
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=seeded)
    assert result.exit_code == 4, result.output
    doc = result.json()
    changes = {c["name"]: c for c in doc["services"][0]["changes"]}
    assert changes["GREETING"]["live"] == FORGED
    assert changes["NOTE"]["live"] == FORGED
    assert f"X_{FORGED}" in changes
    assert forged_lines(result.stdout) == []  # JSON escaped them: \u2028, \u0085, ##\u005b
    assert "##\\u005b" in result.stdout


def test_reports_junit_markdown_annotations_and_summary(seeded, cli, cfg, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    summary = tmp_path / "summary.md"
    report, junit, markdown = out / "a.json", out / "a.xml", out / "a.md"
    result = cli(
        "audit",
        "production",
        "--config-dir",
        str(cfg),
        "--report",
        str(report),
        "--junit",
        str(junit),
        "--markdown",
        str(markdown),
        emulator=seeded,
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.exit_code == 4, result.output
    assert forged_lines(result.stdout) == []

    doc = json.loads(report.read_text(encoding="utf-8"))
    backend = next(s for s in doc["environments"][0]["services"] if s["service"] == "backend")
    assert {c["name"]: c["live"] for c in backend["changes"]}["GREETING"] == FORGED

    xml = junit.read_text(encoding="utf-8")
    root = ET.fromstring(xml)
    assert forged_lines(xml, stream=False) == []
    failure = root.find(".//testcase[@name='backend']/failure")
    assert failure is not None and "hello\\ndiff production" in (failure.text or "")
    assert any("E2E_NOTEhello\\n" in (c.get("name") or "") for c in root.iter("testcase"))

    for md in (markdown.read_text(encoding="utf-8"), summary.read_text(encoding="utf-8")):
        assert forged_lines(md, stream=False) == []
        assert md.startswith("## deploytool audit: ⛔ LEAKAGE (exit 4)")
        assert "hello\\ndiff production" in md

    commands = [line for line in result.stderr.split("\n") if line.lstrip().startswith("::")]
    assert commands and all(OWN_ANNOTATION.match(line) for line in commands), commands
    assert forged_lines(result.stderr, annotations=True) == []
    for line in commands:
        data = line.split("::", 2)[2]
        # What the runner shows after unescaping: still one line, the `%0A` of the value literal.
        shown = data.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")
        assert "\n" not in shown and "\r" not in shown
    leak = next(line for line in commands if "E2E_NOTE" in line)
    assert "%250A::error::forged" in leak


def test_apply_plan_and_outcome(seeded, cli, cfg):
    result = cli("apply", "staging", "--config-dir", str(cfg), "--yes", emulator=seeded)
    assert result.exit_code == 0, result.output
    assert forged_lines(result.stdout) == [] and forged_lines(result.stderr) == []
    assert "hello\\ndiff production: IN SYNC (exit 0)" in result.output
    assert result.stdout.rstrip().endswith("apply staging: IN SYNC (exit 0)")

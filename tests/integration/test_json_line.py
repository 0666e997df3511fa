"""`--output json-line`: the `--output json` document on one line, for log collectors, with
the `severity` Cloud Logging files it under."""

from __future__ import annotations

import json

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    services:
      api:
        env: {ENVIRONMENT: staging, NOTE: "two\\nlines"}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      web:
        env: {ENVIRONMENT: production}
"""


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


def seed(emulator, staging_env, production_env):
    emulator.state.put_service(service_message("p-staging", "us-central1", "api", staging_env))
    emulator.state.put_service(service_message("p-prod", "us-central1", "web", production_env))


def one_line_doc(stdout: str):
    assert stdout.endswith("\n") and stdout.count("\n") == 1, stdout
    return json.loads(stdout)


@pytest.mark.parametrize(
    ("command", "args"),
    [("diff", ["staging"]), ("validate", []), ("diff", ["nowhere"])],
    ids=["diff", "validate", "failure-document"],
)
def test_one_line_is_the_pretty_document(emulator, cli, cfg, command, args):
    seed(emulator, {"ENVIRONMENT": "staging", "NOTE": "other\nvalue"}, {"ENVIRONMENT": "x"})
    pretty = cli(command, *args, "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    compact = cli(command, *args, "--config-dir", str(cfg), "-o", "json-line", emulator=emulator)
    assert pretty.stdout.count("\n") > 1
    assert compact.exit_code == pretty.exit_code
    assert one_line_doc(compact.stdout) == pretty.json()


def test_audit_one_line_equals_pretty_and_report_file_stays_pretty(emulator, cli, cfg, tmp_path):
    seed(emulator, {"ENVIRONMENT": "staging", "NOTE": "two\nlines"}, {"ENVIRONMENT": "production"})
    report = tmp_path / "report.json"
    first = cli(
        "audit",
        "--config-dir",
        str(cfg),
        "-o",
        "json-line",
        "--report",
        str(report),
        emulator=emulator,
    )
    assert first.exit_code == 0, first.output
    assert report.read_text(encoding="utf-8").count("\n") > 1
    assert one_line_doc(first.stdout) == json.loads(report.read_text(encoding="utf-8"))
    # The same run (a merge of its report) printed both ways: nothing differs.
    pretty = cli("audit", "--config-dir", str(cfg), "--merge", str(report), "-o", "json")
    compact = cli("audit", "--config-dir", str(cfg), "--merge", str(report), "-o", "json-line")
    assert one_line_doc(compact.stdout) == pretty.json()
    assert pretty.json()["severity"] == "INFO"


@pytest.mark.parametrize(
    ("production_env", "exit_code", "severity"),
    [
        ({"ENVIRONMENT": "production"}, 0, "INFO"),
        ({"ENVIRONMENT": "changed"}, 3, "WARNING"),
        ({"ENVIRONMENT": "production", "E2E_TESTING": "1"}, 4, "ALERT"),
    ],
    ids=["in-sync", "drift", "leakage"],
)
def test_audit_severity_follows_the_verdict(
    emulator, cli, cfg, production_env, exit_code, severity
):
    seed(emulator, {"ENVIRONMENT": "staging", "NOTE": "two\nlines"}, production_env)
    result = cli("audit", "--config-dir", str(cfg), "-o", "json-line", emulator=emulator)
    doc = one_line_doc(result.stdout)
    assert (result.exit_code, doc["exit_code"], doc["severity"]) == (exit_code, exit_code, severity)


def test_unreadable_live_state_is_error_severity(emulator, cli, cfg):
    emulator.faults.deny("projects/p-prod")
    seed(emulator, {"ENVIRONMENT": "staging", "NOTE": "two\nlines"}, {"ENVIRONMENT": "production"})
    result = cli("audit", "--config-dir", str(cfg), "-o", "json-line", emulator=emulator)
    assert result.exit_code == 5
    assert one_line_doc(result.stdout)["severity"] == "ERROR"

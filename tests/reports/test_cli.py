"""`deploytool audit --report/--junit/--markdown` on GitHub Actions, end to end: the CLI, the
real Cloud Run client, the emulator."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      api:
        env: {ENVIRONMENT: staging, LOG_LEVEL: info}
        secrets: {DB_PASSWORD: "db-password:3"}
      worker: {env: {ENVIRONMENT: staging}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend: {env: {ENVIRONMENT: production}}
"""
CANARY = "canary-live-Plaintext-77aa"


def put(emulator, project, name, env):
    emulator.state.put_service(service_message(project, "us-central1", name, env))


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


@pytest.fixture
def seeded(emulator):
    put(
        emulator,
        "p-staging",
        "api",
        {
            "ENVIRONMENT": "staging",
            "LOG_LEVEL": "debug",  # drift
            "DB_PASSWORD": ("db-password", "3"),
            "E2E_TESTING": "1",
            "API_KEY": CANARY,  # unexpected, plaintext under a secret-like name
        },
    )
    # worker is missing
    put(emulator, "p-prod", "backend", {"ENVIRONMENT": "production"})
    put(emulator, "p-prod", "legacy-admin", {"E2E_TESTING": "1"})  # unmanaged, leaking
    return emulator


def test_audit_writes_every_report_and_annotates_on_github(seeded, cli, cfg, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    summary = tmp_path / "step-summary.md"
    report, junit, markdown = out / "audit.json", out / "audit.xml", out / "audit.md"
    args = ["--report", str(report), "--junit", str(junit), "--markdown", str(markdown)]
    github = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    result = cli(
        "audit", "--config-dir", str(cfg), "-o", "json", *args, emulator=seeded, env=github
    )
    assert result.exit_code == 4, result.output

    # The JSON report is the stdout document, byte for byte; annotations stay off stdout.
    assert result.stdout == report.read_text(encoding="utf-8") + "\n"
    doc = json.loads(report.read_text(encoding="utf-8"))
    envs = {e["environment"]: e for e in doc["environments"]}
    assert (doc["status"], envs["production"]["status"], envs["staging"]["status"]) == (
        "leakage",
        "leakage",
        "drift",
    )

    suites = {s.get("name"): s for s in ET.parse(junit).getroot().findall("testsuite")}
    staging_cases = {c.get("name"): c for c in suites["staging"].iter("testcase")}
    assert staging_cases["api"].find("failure") is not None
    assert "does not exist live" in staging_cases["worker"].find("failure").get("message")
    assert suites["staging"].get("failures") == "2"
    production_cases = list(suites["production"].iter("testcase"))
    policy = [c for c in production_cases if c.get("classname").endswith(".policy")]
    assert [c.get("name") for c in policy] == ["e2e-leakage E2E_TESTING on legacy-admin (live)"]
    unmanaged = [c for c in production_cases if c.get("classname").endswith(".unmanaged")]
    assert [c.get("name") for c in unmanaged] == ["legacy-admin"]
    assert suites["production"].get("failures") == "1"

    md = markdown.read_text(encoding="utf-8")
    assert md.startswith("## deploytool audit: ⛔ LEAKAGE (exit 4)")
    assert "| `api` | p-staging/us-central1 | `LOG_LEVEL` | changed | `debug` | `info` |" in md
    assert "| `api` | p-staging/us-central1 | `API_KEY` | unexpected" in md
    assert "- `legacy-admin` (p-prod/us-central1)" in md

    assert "::error title=deploytool production%3A e2e-leakage::E2E_TESTING" in result.stderr
    assert "::warning title=deploytool staging%3A api drift::" in result.stderr
    assert "::warning title=deploytool staging%3A worker missing::" in result.stderr
    assert summary.read_text(encoding="utf-8") == md

    for text in (result.stdout, result.stderr, md, junit.read_text(encoding="utf-8")):
        assert CANARY not in text


def test_text_output_keeps_stdout_for_the_report(seeded, cli, cfg, tmp_path):
    github = {"GITHUB_ACTIONS": "true"}
    result = cli("audit", "--config-dir", str(cfg), emulator=seeded, env=github)
    assert result.exit_code == 4
    assert "::error" not in result.stdout and "::error" in result.stderr
    assert "LEAKAGE" in result.stdout


def test_report_into_a_missing_directory_exits_2(seeded, cli, cfg, tmp_path):
    target = tmp_path / "nowhere" / "audit.xml"
    result = cli(
        "audit", "--config-dir", str(cfg), "-o", "json", "--junit", str(target), emulator=seeded
    )
    assert result.exit_code == 2, result.output
    assert str(target) in result.stderr and "does not exist" in result.stderr
    assert "Traceback" not in result.output
    assert result.json()["exit_code"] == 2
    assert not target.parent.exists()


def test_shard_reports_merge_into_the_whole_audit(seeded, cli, cfg, tmp_path):
    for i in range(12):
        put(seeded, "p-prod", f"extra-{i:02d}", {"N": str(i)})
    whole = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=seeded).json()
    paths = [tmp_path / f"shard-{i}.json" for i in range(3)]
    for index, path in enumerate(paths):
        shard = cli(
            "audit",
            "--config-dir",
            str(cfg),
            "--shard",
            f"{index}/3",
            "--report",
            str(path),
            emulator=seeded,
            env={"CLOUD_RUN_EXECUTION": "audit-x7k2p"},  # one Cloud Run job execution
        )
        assert shard.exit_code in (0, 3, 4), shard.output
    merge = [arg for path in paths for arg in ("--merge", str(path))]
    merged = cli("audit", *merge, "-o", "json")
    assert merged.exit_code == 4, merged.output
    doc = merged.json()
    assert (doc["status"], doc["exit_code"]) == (whole["status"], whole["exit_code"])
    for got, want in zip(doc["environments"], whole["environments"], strict=True):
        assert got["environment"] == want["environment"]
        assert (got["status"], got["exit_code"]) == (want["status"], want["exit_code"])
        assert got["services"] == want["services"]
        assert got["unmanaged"] == want["unmanaged"]
        key = json.dumps
        assert sorted(map(key, got["violations"])) == sorted(map(key, want["violations"]))
        assert sorted(map(key, got["errors"])) == sorted(map(key, want["errors"]))


def test_merge_rejects_a_diff_report(cli, tmp_path):
    path = tmp_path / "diff.json"
    path.write_text(json.dumps({"schema_version": 1, "command": "diff"}), encoding="utf-8")
    result = cli("audit", "--merge", str(path))
    assert result.exit_code == 2
    assert str(path) in result.stderr and "not an audit report" in result.stderr

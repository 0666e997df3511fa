"""Acknowledgements end to end: the CLI, the real google-cloud-run client, the emulator.
Dates are written relative to the real date, and one test moves the clock seam."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from deploytool import clock
from tests.conftest import service_message
from tests.integration.workloads_seed import put_job

TODAY = clock.today_utc()
SOON = (TODAY + timedelta(days=30)).isoformat()
YESTERDAY = (TODAY - timedelta(days=1)).isoformat()
FAR = (TODAY + timedelta(days=400)).isoformat()

MANIFEST = """
project: p-prod
region: us-central1
services:
  api: {{env: {{ENVIRONMENT: production, FEATURE_X: "on"}}}}
jobs:
  migrate: {{env: {{ENVIRONMENT: production}}}}
acknowledge:
{entries}
"""
# Valid whatever the date (a past `until` is expired, not invalid): the schema agreement test
# collects it.
VALID = """
project: p-prod
region: us-central1
services:
  api: {env: {ENVIRONMENT: production}}
acknowledge:
  - {service: api, variable: FEATURE_X, reason: "rollout ticket 412", until: "2025-01-01"}
"""
ENTRY = '  - {{{target}, variable: {variable}, reason: "ticket 412", until: "{until}"}}'


def manifest(*entries: tuple[str, str, str]) -> str:
    lines = [ENTRY.format(target=t, variable=v, until=u) for t, v, u in entries]
    return MANIFEST.format(entries="\n".join(lines))


@pytest.fixture
def live(emulator):
    """api runs FEATURE_X=off (drift); the job has an extra variable (drift)."""
    emulator.state.put_service(
        service_message(
            "p-prod", "us-central1", "api", {"ENVIRONMENT": "production", "FEATURE_X": "off"}
        )
    )
    put_job(emulator, "p-prod", "migrate", {"ENVIRONMENT": "production", "DEBUG": "1"})
    return emulator


def diff(cli, configs, text, emulator, *more):
    cfg = configs(production=text)
    return cli("diff", "production", "--config-dir", str(cfg), *more, emulator=emulator)


def test_acknowledged_drift_passes_the_gate_and_is_shown(cli, configs, live):
    text = manifest(("service: api", "FEATURE_X", SOON), ("job: migrate", "DEBUG", SOON))
    result = diff(cli, configs, text, live)
    assert result.exit_code == 0, result.output
    assert f"acknowledged until {SOON}: ticket 412" in result.stdout
    assert "FEATURE_X" in result.stdout and "DEBUG" in result.stdout


def test_json_carries_acknowledged(cli, configs, live):
    text = manifest(("service: api", "FEATURE_X", SOON), ("job: migrate", "DEBUG", SOON))
    doc = diff(cli, configs, text, live, "--output", "json").json()
    assert doc["exit_code"] == 0 and doc["status"] == "in_sync"
    [api] = doc["services"]
    [change] = api["changes"]
    assert change["name"] == "FEATURE_X"
    assert change["acknowledged"] == {"reason": "ticket 412", "until": SOON}
    [job] = doc["jobs"]
    assert job["changes"][0]["acknowledged"]["until"] == SOON


def test_expired_acknowledgement_fails_again_and_says_so(cli, configs, live):
    text = manifest(("service: api", "FEATURE_X", YESTERDAY), ("job: migrate", "DEBUG", SOON))
    result = diff(cli, configs, text, live)
    assert result.exit_code == 3, result.output
    assert f"acknowledgement expired on {YESTERDAY}" in result.stdout
    doc = diff(cli, configs, text, live, "--output", "json").json()
    change = doc["services"][0]["changes"][0]
    assert "acknowledged" not in change
    assert change["acknowledgement_expired"]["until"] == YESTERDAY


def test_before_and_after_expiry_with_the_clock_moved(cli, configs, live, mocker):
    last = "2026-12-31"
    text = manifest(("service: api", "FEATURE_X", last), ("job: migrate", "DEBUG", last))
    mocker.patch.object(clock, "today_utc", return_value=date(2026, 12, 31))
    assert diff(cli, configs, text, live).exit_code == 0
    mocker.patch.object(clock, "today_utc", return_value=date(2027, 1, 1))
    after = diff(cli, configs, text, live)
    assert after.exit_code == 3
    assert "acknowledgement expired on 2026-12-31" in after.stdout


def test_an_unacknowledged_kind_still_fails(cli, configs, live):
    # The job's drift has no entry: acknowledging the service's does not cover it.
    result = diff(cli, configs, manifest(("service: api", "FEATURE_X", SOON)), live)
    assert result.exit_code == 3
    assert "DEBUG" in result.stdout


def test_stale_acknowledgement_is_a_warning(cli, configs, live):
    text = manifest(
        ("service: api", "FEATURE_X", SOON),
        ("job: migrate", "DEBUG", SOON),
        ("service: api", "GONE", SOON),
    )
    result = diff(cli, configs, text, live)
    assert result.exit_code == 0, result.output
    assert "acknowledgement of GONE on api is stale" in result.stderr


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (("service: api", "E2E_TESTING", SOON), "a leak can't be acknowledged"),
        (("service: api", "FEATURE_X", FAR), "more than a year away"),
        (("job: api", "FEATURE_X", SOON), "is not a job of this manifest"),
        (("worker_pool: api", "FEATURE_X", SOON), "is not a worker pool of this manifest"),
        (("service: api, job: migrate", "FEATURE_X", SOON), "exactly one of"),
        (("service: api", "FEATURE_X", "2026-02-30"), "is not a date"),
    ],
    ids=["leak", "far", "unmanaged-job", "unmanaged-pool", "two-targets", "bad-date"],
)
def test_refused_entries_are_exit_2_naming_the_line(cli, configs, live, entry, expected):
    result = diff(cli, configs, manifest(entry), live)
    assert result.exit_code == 2, result.output
    assert expected in result.stderr
    assert "production.yaml:8" in result.stderr  # the entry's own line
    cfg = configs(production=manifest(entry))
    assert cli("validate", "--config-dir", str(cfg)).exit_code == 2


def test_leakage_is_never_hidden(cli, configs, live):
    from google.cloud import run_v2

    env = {"ENVIRONMENT": "production", "FEATURE_X": "off", "E2E_TESTING": "1"}
    live.state.set_env(
        "projects/p-prod/locations/us-central1/services/api",
        [run_v2.EnvVar(name=k, value=v) for k, v in env.items()],
    )
    text = manifest(("service: api", "FEATURE_X", SOON), ("job: migrate", "DEBUG", SOON))
    result = diff(cli, configs, text, live)
    assert result.exit_code == 4, result.output


def test_sarif_suppresses_acknowledged_results(cli, configs, live, tmp_path):
    text = manifest(("service: api", "FEATURE_X", SOON), ("job: migrate", "DEBUG", YESTERDAY))
    out = tmp_path / "diff.sarif"
    result = diff(cli, configs, text, live, "--sarif", str(out))
    assert result.exit_code == 3
    results = json.loads(out.read_text())["runs"][0]["results"]
    by_variable = {r["properties"]["variable"]: r for r in results}
    assert by_variable["FEATURE_X"]["suppressions"] == [
        {"kind": "external", "justification": "ticket 412"}
    ]
    assert "suppressions" not in by_variable["DEBUG"]  # expired: drift again
    assert "expired" in by_variable["DEBUG"]["message"]["text"]


def test_audit_merges_shards_keeping_acknowledgements(cli, configs, live, tmp_path):
    text = manifest(("service: api", "FEATURE_X", SOON), ("job: migrate", "DEBUG", SOON))
    cfg = configs(production=text)
    report = tmp_path / "audit.json"
    result = cli(
        "audit", "production", "--config-dir", str(cfg), "--report", str(report), emulator=live
    )
    assert result.exit_code == 0, result.output
    merged = cli("audit", "--merge", str(report), "--config-dir", str(cfg))
    assert merged.exit_code == 0, merged.output

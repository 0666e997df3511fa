"""Who changed it: the emulator records the writer and the time of every update, and diff and
audit report them (text, JSON, Markdown) for drifted workloads and drifted revisions."""

from __future__ import annotations

import re

import pytest
from google.cloud import run_v2

from tests.conftest import service_message
from tests.integration.workloads_seed import put_job

SERVICE = "projects/p-prod/locations/us-central1/services/api"
JOB = "projects/p-prod/locations/us-central1/jobs/migrate"
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: production}}
    jobs:
      migrate: {env: {ENVIRONMENT: production}}
"""
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")


def env(**values: str) -> list[run_v2.EnvVar]:
    return [run_v2.EnvVar(name=k, value=v) for k, v in values.items()]


@pytest.fixture
def drifted(emulator):
    """Both workloads seeded in sync, then changed out of band by someone else."""
    emulator.state.put_service(
        service_message("p-prod", "us-central1", "api", {"ENVIRONMENT": "production"})
    )
    put_job(emulator, "p-prod", "migrate", {"ENVIRONMENT": "production"})
    emulator.state.set_env(
        SERVICE, env(ENVIRONMENT="production", DEBUG="1"), modifier="alice@example.com"
    )
    emulator.state.jobs.set_env(
        JOB, env(ENVIRONMENT="production", DEBUG="1"), modifier="bob@example.com"
    )
    return emulator


def test_json_names_the_modifier_and_time_of_every_workload(cli, configs, drifted):
    cfg = configs(production=PRODUCTION)
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=drifted)
    assert result.exit_code == 3, result.output
    doc = result.json()
    [api], [job] = doc["services"], doc["jobs"]
    assert api["last_modifier"] == "alice@example.com"
    assert job["last_modifier"] == "bob@example.com"
    for entry in (api, job):
        assert ISO_UTC.match(entry["update_time"]), entry["update_time"]


def test_in_sync_workloads_carry_the_fields_too(cli, configs, emulator):
    emulator.state.put_service(
        service_message("p-prod", "us-central1", "api", {"ENVIRONMENT": "production"})
    )
    put_job(emulator, "p-prod", "migrate", {"ENVIRONMENT": "production"})
    cfg = configs(production=PRODUCTION)
    doc = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    [api] = doc.json()["services"]
    assert api["status"] == "in_sync"
    assert api["last_modifier"] == "emulator@deploytool.local"  # the seed's creator
    assert ISO_UTC.match(api["update_time"])


def test_text_says_who_changed_each_drifted_workload(cli, configs, drifted):
    cfg = configs(production=PRODUCTION)
    result = cli("diff", "production", "--config-dir", str(cfg), emulator=drifted)
    assert result.exit_code == 3
    assert re.search(r"changed by alice@example\.com at \d{4}-\d{2}-\d{2}T", result.stdout)
    assert "changed by bob@example.com at " in result.stdout


def test_a_patch_records_the_writer(cli, configs, drifted):
    cfg = configs(production=PRODUCTION)
    assert (
        cli("apply", "production", "--yes", "--config-dir", str(cfg), emulator=drifted).exit_code
        == 0
    )
    assert drifted.state.get_service(SERVICE).last_modifier == "emulator@deploytool.local"
    assert drifted.state.jobs.get_job(JOB).last_modifier == "emulator@deploytool.local"


def test_serving_revision_drift_names_its_creator_and_time(cli, configs, emulator):
    emulator.state.put_service(
        service_message("p-prod", "us-central1", "api", {"ENVIRONMENT": "production"})
    )
    put_job(emulator, "p-prod", "migrate", {"ENVIRONMENT": "production"})
    [old] = emulator.state.revision_names(SERVICE)
    emulator.state.set_env(
        SERVICE, env(ENVIRONMENT="production", DEBUG="1"), modifier="carol@example.com"
    )
    emulator.state.set_env(SERVICE, env(ENVIRONMENT="production"), modifier="dave@example.com")
    # The old revision (seeded in sync) keeps 0%; pin 10% to the drifted middle one.
    names = emulator.state.revision_names(SERVICE)
    latest = emulator.state.get_service(SERVICE).latest_created_revision
    middle = next(n for n in names if n not in (old, latest))
    emulator.state.set_traffic(
        SERVICE,
        [
            run_v2.TrafficTarget(
                type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION,
                revision=middle.rsplit("/", 1)[-1],
                percent=10,
            ),
            run_v2.TrafficTarget(
                type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
                percent=90,
            ),
        ],
    )
    cfg = configs(production=PRODUCTION)
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3, result.output
    [api] = result.json()["services"]
    [revision] = api["revisions"]
    assert revision["creator"] == "carol@example.com"
    assert ISO_UTC.match(revision["create_time"])
    text = cli("diff", "production", "--config-dir", str(cfg), emulator=emulator).stdout
    assert "changed by carol@example.com at " in text


def test_audit_markdown_has_a_changed_by_column(cli, configs, drifted, tmp_path):
    cfg = configs(production=PRODUCTION)
    report = tmp_path / "audit.md"
    result = cli(
        "audit",
        "production",
        "--config-dir",
        str(cfg),
        "--markdown",
        str(report),
        emulator=drifted,
    )
    assert result.exit_code == 3, result.output
    markdown = report.read_text()
    assert "| changed by |" in markdown
    row = next(line for line in markdown.splitlines() if "`DEBUG`" in line and "`api`" in line)
    assert "changed by alice@example.com at " in row


def test_a_state_file_seeds_the_modifier(tmp_path):
    from deploytool.emulator import EmulatorState

    state = tmp_path / "state.yaml"
    state.write_text(
        "services:\n"
        f"  - name: {SERVICE}\n"
        "    lastModifier: erin@example.com\n"
        "    template: {containers: [{image: gcr.io/x/y, env: [{name: A, value: b}]}]}\n",
        encoding="utf-8",
    )
    loaded = EmulatorState.from_file(state)
    assert loaded.get_service(SERVICE).last_modifier == "erin@example.com"

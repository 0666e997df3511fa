"""`--live-from` for jobs, executions and worker pools: hand-written fixtures in each format
(a v1 job export with a secret through an alias and a sidecar, a v1 job list, a v1 execution
with an E2E override, v2 jobs and worker pools with a split revision), fail-closed rules for
what the files do not hold, and what is said when executions were not exported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.livefiles.test_live_from import FIXTURES, files

PRODUCTION = """
    project: netra-prod
    project_number: "123456789012"
    region: us-central1
    jobs:
      netra-migrate:
        container: migrate
        env: {ENVIRONMENT: production}
        secrets:
          DB_PASSWORD: "db-password:2"
          SHARED_KEY: "projects/987654321098/secrets/shared-key:latest"
      netra-report:
        env: {ENVIRONMENT: production, REPORT_BUCKET: netra-prod-reports}
    worker_pools:
      netra-consumer:
        env: {ENVIRONMENT: production}
        secrets: {QUEUE_TOKEN: "queue-token:3"}
"""
EVERYTHING = (
    "migrate-job-export.yaml",
    "jobs-list.json",
    "v2-worker-pools.json",
    "v2-consumer-revision.json",
    "v2-executions-none.json",
)


@pytest.fixture
def prod(configs):
    return configs(production=PRODUCTION)


@pytest.fixture(autouse=True)
def _no_cloud_run_client(mocker):
    mocker.patch(
        "deploytool.cloudrun.connect.build_clients",
        side_effect=AssertionError("a Cloud Run client was built"),
    )


def diff(cli, cfg, *args):
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", *args)
    return result, result.json() if result.stdout.startswith("{") else None


@pytest.mark.parametrize("report_file", ["jobs-list.json", "v2-jobs.json"])
def test_jobs_and_pools_from_files_are_in_sync(cli, prod, report_file):
    names = [report_file if n == "jobs-list.json" else n for n in EVERYTHING]
    result, doc = diff(cli, prod, *files(*names))
    assert result.exit_code == 0, result.output
    assert [(j["name"], j["status"], j["source"]) for j in doc["jobs"]] == [
        ("netra-migrate", "in_sync", "file"),
        ("netra-report", "in_sync", "file"),
    ]
    (pool,) = doc["worker_pools"]
    assert (pool["name"], pool["status"], pool["source"]) == ("netra-consumer", "in_sync", "file")
    assert not any("not exported" in w for w in doc["warnings"])


def test_the_job_sidecar_is_not_the_managed_container(cli, prod, tmp_path):
    # Without container: migrate, two containers and no port: the managed one is unknown.
    cfg = prod
    text = (cfg / "production.yaml").read_text()
    assert "container: migrate\n" in text
    lines = [line for line in text.splitlines() if "container: migrate" not in line]
    (cfg / "production.yaml").write_text("\n".join(lines) + "\n")
    result, doc = diff(cli, cfg, *files(*EVERYTHING))
    assert result.exit_code != 0
    migrate = next(j for j in doc["jobs"] if j["name"] == "netra-migrate")
    assert migrate["status"] != "in_sync"


def test_executions_not_exported_are_unread_never_green(cli, prod):
    # Fail closed: a protected environment's job runs that nobody exported were not read.
    result, doc = diff(cli, prod, *files(*EVERYTHING[:-1]))
    assert result.exit_code == 5, result.output
    (error,) = [e for e in doc["errors"] if "executions were not exported" in e["message"]]
    assert "netra-prod/us-central1" in error["message"]
    command = "gcloud run jobs executions list --project netra-prod --region us-central1"
    assert command in error["message"]
    text = cli("diff", "production", "--config-dir", str(prod), *files(*EVERYTHING[:-1]))
    assert text.exit_code == 5
    assert "executions were not exported, so they could not be checked" in text.output


def test_an_execution_with_an_e2e_override_is_leakage_within_the_window(cli, prod):
    given = files(*EVERYTHING[:-1], "report-execution-e2e.json")
    result, doc = diff(cli, prod, *given, "--executions-since", "36500d")
    assert result.exit_code == 4, result.output
    (leak,) = [v for v in doc["violations"] if v["rule"] == "e2e-leakage"]
    assert (leak["kind"], leak["service"], leak["execution"], leak["variable"]) == (
        "job",
        "netra-report",
        "netra-report-7xk2p",
        "E2E_TESTING",
    )
    assert not any("not exported" in w for w in doc["warnings"])
    # The default window (24 h) leaves that finished 2025 run out, as the live path does.
    old, _ = diff(cli, prod, *given)
    assert old.exit_code == 0, old.output


def _job_with_running_execution(tmp_path: Path, *, completed: bool) -> Path:
    doc = json.loads((FIXTURES / "v2-jobs.json").read_text())
    latest = doc["jobs"][0]["latestCreatedExecution"]
    latest["createTime"] = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    if not completed:
        del latest["completionTime"]
    path = tmp_path / "jobs.json"
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("completed", [False, True])
def test_a_recent_run_named_by_the_job_but_not_given_is_exit_5(cli, prod, tmp_path, completed):
    jobs = _job_with_running_execution(tmp_path, completed=completed)
    others = [n for n in EVERYTHING if n not in ("v2-executions-none.json", "jobs-list.json")]
    for extra in ([], files("v2-executions-none.json")):
        result, doc = diff(cli, prod, *files(*others), "--live-from", str(jobs), *extra)
        assert result.exit_code == 5, result.output
        (error,) = [e for e in doc["errors"] if "netra-report-7xk2p" in e["message"]]
        assert ("created 20" if completed else "still running") in error["message"]
        assert (
            "gcloud run jobs executions list --job netra-report --project netra-prod "
            "--region us-central1 --format json"
        ) in error["message"]


def test_a_staging_gate_does_not_ask_for_executions(cli, configs, tmp_path):
    cfg = configs(staging=PRODUCTION.replace('    project_number: "123456789012"\n', ""))
    jobs = _job_with_running_execution(tmp_path, completed=False)
    doc = json.loads(jobs.read_text())
    doc["jobs"][0]["name"] = doc["jobs"][0]["name"].replace("netra-prod", "netra-staging")
    jobs.write_text(json.dumps(doc))
    result = cli("diff", "staging", "--config-dir", str(cfg), "--live-from", str(jobs))
    # Only what a staging manifest manages is asked for; no executions, no warning.
    assert "executions" not in result.output
    assert result.exit_code == 5  # the other workloads are not in the files


@pytest.mark.parametrize(
    ("missing", "words"),
    [
        (
            "jobs-list.json",
            "gcloud run jobs describe netra-report --project netra-prod --region us-central1 "
            "--format export",
        ),
        (
            "v2-worker-pools.json",
            "GET https://run.googleapis.com/v2/projects/netra-prod/locations/us-central1/"
            "workerPools/netra-consumer",
        ),
        (
            "v2-consumer-revision.json",
            "workerPools/netra-consumer/revisions/netra-consumer-00004-old",
        ),
    ],
)
def test_what_the_files_do_not_hold_is_exit_5_with_the_export_for_its_kind(
    cli, prod, missing, words
):
    result, doc = diff(cli, prod, *files(*(n for n in EVERYTHING if n != missing)))
    assert result.exit_code == 5, result.output
    entries = [*doc["jobs"], *doc["worker_pools"]]
    (broken,) = [e for e in entries if e["status"] == "error"]
    assert words in broken["error"]


def test_a_split_revision_with_other_env_is_drift_and_with_e2e_leakage(cli, prod, tmp_path):
    revision = json.loads((FIXTURES / "v2-consumer-revision.json").read_text())
    revision["containers"][0]["env"][0]["value"] = "prod"
    path = tmp_path / "revision.json"
    path.write_text(json.dumps(revision))
    others = [n for n in EVERYTHING if n != "v2-consumer-revision.json"]
    result, doc = diff(cli, prod, *files(*others), "--live-from", str(path))
    assert result.exit_code == 3, result.output
    (pool,) = doc["worker_pools"]
    (split,) = pool["revisions"]
    assert (split["revision"], split["percent"]) == ("netra-consumer-00004-old", 10)
    revision["containers"][0]["env"].append({"name": "E2E_TESTING", "value": "1"})
    path.write_text(json.dumps(revision))
    result, doc = diff(cli, prod, *files(*others), "--live-from", str(path))
    assert result.exit_code == 4, result.output
    (leak,) = [v for v in doc["violations"] if v["rule"] == "e2e-leakage"]
    assert (leak["kind"], leak["revision"]) == ("worker_pool", "netra-consumer-00004-old")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (
            '{"apiVersion": "run.googleapis.com/v1", "kind": "Execution",\n'
            ' "metadata": {"name": "e", "namespace": "netra-prod",\n'
            '  "labels": {"cloud.googleapis.com/location": "us-central1"}},\n'
            ' "spec": {"template": {"spec": {"containers": []}}}}\n',
            2,
            "run.googleapis.com/job",
        ),
        (
            "apiVersion: run.googleapis.com/v1\nkind: Job\nmetadata:\n  name: j\n"
            "  namespace: netra-prod\n  labels: {cloud.googleapis.com/location: us-central1}\n"
            "spec:\n  template:\n    spec: {taskCount: 1}\n",
            9,
            "template is missing",
        ),
    ],
)
def test_a_bad_job_file_is_exit_2_with_file_and_line(cli, prod, tmp_path, text, line, words):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    result = cli("diff", "production", "--config-dir", str(prod), "--live-from", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}:{line}:" in result.stderr
    assert words in result.stderr

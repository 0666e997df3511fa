"""Jobs, executions and worker pools through the CLI and the real clients, against the
emulator: leakage, drift, the executions window, read errors per kind, request counts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.workloads_seed import (
    PRODUCTION,
    STAGING,
    put_execution,
    put_job,
    put_pool,
    put_pool_revision,
    seed_in_sync,
    split,
)


@pytest.fixture
def cfg(configs):
    return configs(production=PRODUCTION, staging=STAGING)


def diff_json(cli, cfg, emulator, env, *extra):
    result = cli("diff", env, "--config-dir", str(cfg), "-o", "json", *extra, emulator=emulator)
    return result, result.json() if result.stdout.startswith("{") else None


def audit_json(cli, cfg, emulator, *extra):
    result = cli("audit", "--config-dir", str(cfg), "-o", "json", *extra, emulator=emulator)
    return result, result.json()


def leaks(doc):
    return [v for v in doc["violations"] if v["rule"] == "e2e-leakage"]


def test_everything_in_sync_is_exit_0_and_each_kind_has_its_array(emulator, cli, cfg):
    seed_in_sync(emulator)
    result, doc = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 0, result.output
    assert [(s["kind"], s["name"], s["status"]) for s in doc["services"]] == [
        ("service", "backend", "in_sync")
    ]
    (job,) = doc["jobs"]
    assert (job["kind"], job["name"], job["job"], job["service"]) == (
        "job",
        "migrate",
        "migrate",
        "migrate",
    )
    (pool,) = doc["worker_pools"]
    assert (pool["kind"], pool["worker_pool"], pool["status"]) == (
        "worker_pool",
        "consumer",
        "in_sync",
    )
    staging, _ = diff_json(cli, cfg, emulator, "staging")
    assert staging.exit_code == 0, "e2e.jobs: only the job gets the set in staging"


def test_a_managed_production_job_leak_is_exit_4(emulator, cli, cfg):
    seed_in_sync(emulator)
    put_job(emulator, "p-prod", "migrate", {"ENVIRONMENT": "production", "E2E_TESTING": "1"})
    result, doc = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4
    (leak,) = leaks(doc)
    assert (leak["kind"], leak["service"], leak["variable"], leak["source"]) == (
        "job",
        "migrate",
        "E2E_TESTING",
        "live",
    )
    assert "job migrate" in leak["message"]
    assert doc["jobs"][0]["status"] == "drift"
    text = cli("diff", "production", "--config-dir", str(cfg), emulator=emulator)
    assert text.exit_code == 4
    assert "job migrate" in text.stdout


def test_an_unmanaged_production_job_leak_is_exit_4_and_listed_unmanaged(emulator, cli, cfg):
    seed_in_sync(emulator)
    put_job(emulator, "p-prod", "backfill", {"PYTEST_RUNNING": "1"})
    result, doc = audit_json(cli, cfg, emulator)
    assert result.exit_code == 4
    prod = next(e for e in doc["environments"] if e["environment"] == "production")
    assert {
        "kind": "job",
        "name": "backfill",
        "service": "backfill",
        "project": "p-prod",
        "region": "us-central1",
    } in prod["unmanaged"]
    assert [(v["kind"], v["service"]) for v in leaks(prod)] == [("job", "backfill")]


def test_a_recent_execution_override_is_caught_and_an_old_one_is_not(emulator, cli, cfg):
    seed_in_sync(emulator)
    clean = {"ENVIRONMENT": "production"}
    put_execution(
        emulator, "p-prod", "migrate", "migrate-recent", {**clean, "E2E_TESTING": "1"},
        age=timedelta(hours=2),
    )  # fmt: skip
    put_execution(
        emulator, "p-prod", "migrate", "migrate-old", {**clean, "E2E_TEST_ENV": "x"},
        age=timedelta(days=3),
    )  # fmt: skip
    put_execution(
        emulator, "p-prod", "other", "other-running", {"STAGING_E2E_TEST": "1"},
        age=timedelta(days=9), running=True,
    )  # fmt: skip
    emulator.reset_requests()
    result, doc = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4
    found = sorted((v["execution"], v["variable"]) for v in leaks(doc))
    assert found == [("migrate-recent", "E2E_TESTING"), ("other-running", "STAGING_E2E_TEST")]
    recent = next(v for v in leaks(doc) if v["execution"] == "migrate-recent")
    assert recent["kind"] == "job" and recent["service"] == "migrate"
    assert "execution migrate-recent of job migrate (started 20" in recent["message"]
    assert doc["jobs"][0]["status"] == "in_sync", "the job itself stays clean"
    executions = [r.path for r in emulator.requests if r.path.endswith("/executions")]
    assert executions == ["/v2/projects/p-prod/locations/us-central1/jobs/-/executions"]
    # A wider window reaches the old run; a narrower one drops the recent one.
    _, wide = diff_json(cli, cfg, emulator, "production", "--executions-since", "4d")
    assert "migrate-old" in {v["execution"] for v in leaks(wide)}
    _, narrow = diff_json(cli, cfg, emulator, "production", "--executions-since", "30m")
    assert {v["execution"] for v in leaks(narrow)} == {"other-running"}


@pytest.mark.parametrize("window", ["24", "1w", "-2h", "0h", "h"])
def test_a_malformed_executions_window_is_exit_2(emulator, cli, cfg, window):
    result = cli(
        "audit", "--config-dir", str(cfg), "--executions-since", window, emulator=emulator
    )
    assert result.exit_code == 2
    assert "--executions-since" in result.output


def test_staging_executions_are_not_read_or_reported(emulator, cli, cfg):
    seed_in_sync(emulator)
    put_execution(
        emulator, "p-staging", "migrate", "m-1", {"E2E_TESTING": "1"}, age=timedelta(hours=1)
    )
    emulator.reset_requests()
    result, _ = diff_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 0
    assert not [r for r in emulator.requests if r.path.endswith("/executions")]


def test_a_worker_pool_revision_with_a_split_leaks(emulator, cli, cfg):
    seed_in_sync(emulator)
    put_pool_revision(
        emulator, "p-prod", "consumer", "consumer-00000-old",
        {"ENVIRONMENT": "production", "E2E_TESTING": "1"},
    )  # fmt: skip
    split(emulator, "p-prod", "consumer", "consumer-00000-old", 10)
    emulator.reset_requests()
    result, doc = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4
    (leak,) = leaks(doc)
    assert (leak["kind"], leak["service"], leak["revision"]) == (
        "worker_pool",
        "consumer",
        "consumer-00000-old",
    )
    (pool,) = doc["worker_pools"]
    assert pool["status"] == "drift"
    assert pool["revisions"][0]["percent"] == 10
    gets = [r.path for r in emulator.requests if "/revisions/" in r.path]
    assert gets == [
        "/v2/projects/p-prod/locations/us-central1/workerPools/consumer/revisions/"
        "consumer-00000-old"
    ], "one get for the split revision, none for the template's"


def test_drift_on_a_managed_job_and_a_worker_pool_is_exit_3(emulator, cli, cfg):
    seed_in_sync(emulator)
    put_job(emulator, "p-staging", "migrate", {"ENVIRONMENT": "staging"})  # E2E set missing
    put_pool(emulator, "p-staging", "consumer", {"ENVIRONMENT": "staging", "EXTRA": "1"})
    result, doc = diff_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 3
    assert [(c["name"], c["kind"]) for c in doc["jobs"][0]["changes"]] == [
        ("E2E_TESTING", "missing")
    ]
    assert [(c["name"], c["kind"]) for c in doc["worker_pools"][0]["changes"]] == [
        ("EXTRA", "unexpected")
    ]
    text = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert "worker pool consumer" in text.stdout and "job migrate" in text.stdout
    assert "1 services, 1 jobs, 1 worker pools" in text.stdout


def test_a_missing_managed_job_is_status_missing(emulator, cli, cfg):
    seed_in_sync(emulator)
    emulator.state.jobs._jobs.clear()
    result, doc = diff_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 3
    assert doc["jobs"][0]["status"] == "missing"


def test_an_unreadable_kind_in_one_region_is_exit_5_while_the_rest_is_reported(
    emulator, cli, cfg
):
    seed_in_sync(emulator)
    put_pool(emulator, "p-prod", "consumer", {"ENVIRONMENT": "production", "EXTRA": "1"})
    emulator.faults.inject_error("jobs.list", 403)
    result, doc = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 5
    assert doc["jobs"][0]["status"] == "error"
    assert doc["worker_pools"][0]["status"] == "drift", "the readable kinds are still reported"
    assert doc["services"][0]["status"] == "in_sync"
    assert {e["kind"] for e in doc["errors"]} == {"job"}


def test_an_unreadable_executions_list_is_exit_5_in_production(emulator, cli, cfg):
    seed_in_sync(emulator)
    emulator.faults.inject_error("executions.list", 403)
    result, doc = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 5
    assert [e["kind"] for e in doc["errors"]] == ["execution"]


def test_an_unreadable_kind_with_a_leak_elsewhere_is_exit_4(emulator, cli, cfg):
    seed_in_sync(emulator)
    emulator.faults.inject_error("workerPools.list", 403)
    put_job(emulator, "p-prod", "migrate", {"E2E_TESTING": "1"})
    result, _ = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4


@pytest.mark.parametrize("route", ["jobs.list", "executions.list", "workerPools.list"])
def test_a_repeated_page_token_on_any_list_is_exit_5(emulator, cli, cfg, route):
    seed_in_sync(emulator)
    put_execution(emulator, "p-prod", "migrate", "m-1", {"A": "1"}, age=timedelta(hours=1))
    emulator.faults.repeat_page_token(route)
    result, _ = diff_json(cli, cfg, emulator, "production")
    assert result.exit_code == 5


def test_each_list_is_paginated_and_requests_grow_with_pages_not_workloads(emulator, cli, cfg):
    seed_in_sync(emulator)
    for i in range(510):
        put_job(emulator, "p-prod", f"batch-{i:04d}", {"N": str(i)})
        put_execution(emulator, "p-prod", "batch", f"b-{i:04d}", {"N": "1"}, age=timedelta(0))
    for i in range(505):
        put_pool(emulator, "p-prod", f"pool-{i:04d}", {"N": str(i)})
    emulator.reset_requests()
    result, doc = audit_json(cli, cfg, emulator, "production")
    assert result.exit_code == 0, result.output
    prod = doc["environments"][0]
    assert len(prod["unmanaged"]) == 510 + 505
    counts: dict[str, int] = {}
    for request in emulator.requests:
        counts[request.path.split("/locations/us-central1/")[1]] = (
            counts.get(request.path.split("/locations/us-central1/")[1], 0) + 1
        )
    assert counts == {"services": 1, "jobs": 2, "jobs/-/executions": 2, "workerPools": 2}


def _apply(cli, cfg, emulator, env):
    return cli(
        "apply", env, "--config-dir", str(cfg), "--yes", "-o", "json", emulator=emulator
    )


def test_apply_writes_a_job_env_only_and_survives_an_etag_race(emulator, cli, cfg):
    seed_in_sync(emulator)
    name = "projects/p-staging/locations/us-central1/jobs/migrate"
    put_job(emulator, "p-staging", "migrate", {"ENVIRONMENT": "old", "STRAY": "1"})
    before = emulator.state.jobs.get_job(name)
    emulator.faults.race_etag(name, times=2)  # the preflight meets one, the write the other
    emulator.reset_requests()
    result = _apply(cli, cfg, emulator, "staging")
    assert result.exit_code == 0, result.output
    doc = result.json()
    assert doc["jobs"][0]["outcome"] == "applied"
    after = emulator.state.jobs.get_job(name)
    (container,) = after.template.template.containers
    assert [(e.name, e.value) for e in container.env] == [
        ("ENVIRONMENT", "staging"),
        ("E2E_TESTING", "1"),
    ]
    # Every other field went back exactly as read: the job is replaced by what was sent.
    assert container.image == "gcr.io/x/app:1" and list(container.args) == ["--serve"]
    assert after.template.task_count == 3 and after.template.template.max_retries == 2
    assert dict(after.labels) == {"team": "data"}
    assert after.etag != before.etag
    updates = [r for r in emulator.requests if r.method == "PATCH"]
    validate = [r for r in updates if r.query.get("validateOnly") in ("true", "True")]
    assert len(validate) == 1, "one validate_only preflight"
    assert len(updates) == 3, "preflight, the write that met the race, the retried write"
    assert cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator).exit_code == 0


def test_apply_writes_a_worker_pool_env_only_with_a_new_revision(emulator, cli, cfg):
    seed_in_sync(emulator)
    name = "projects/p-prod/locations/us-central1/workerPools/consumer"
    put_pool(emulator, "p-prod", "consumer", {"ENVIRONMENT": "production", "E2E_TESTING": "1"})
    before = emulator.state.worker_pools.get_worker_pool(name)
    emulator.faults.race_etag(name, times=2)  # the preflight meets one, the write the other
    result = _apply(cli, cfg, emulator, "production")
    assert result.exit_code == 0, result.output
    pool_doc = result.json()["worker_pools"][0]
    assert pool_doc["outcome"] == "applied"
    assert pool_doc["removed_leaks"] == ["E2E_TESTING"]
    after = emulator.state.worker_pools.get_worker_pool(name)
    (container,) = after.template.containers
    assert [(e.name, e.value) for e in container.env] == [("ENVIRONMENT", "production")]
    assert container.image == "gcr.io/x/app:1" and dict(after.labels) == {"team": "queue"}
    assert after.latest_created_revision != before.latest_created_revision
    assert [s.revision for s in after.instance_split_statuses] == [
        after.latest_ready_revision.rsplit("/", 1)[-1]
    ]
    assert cli("diff", "production", "--config-dir", str(cfg), emulator=emulator).exit_code == 0

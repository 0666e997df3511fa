"""`deploytool audit` end to end: every environment, unmanaged services, serving revisions."""

from __future__ import annotations

import pytest
from google.cloud import run_v2

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1", STAGING_E2E_TEST: "1"}
    services:
      backend: {env: {ENVIRONMENT: staging}}
      auth: {env: {ENVIRONMENT: staging}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend: {env: {ENVIRONMENT: production}}
      eu-backend: {region: europe-west1, env: {ENVIRONMENT: production}}
"""
STAGING_ENV = {"ENVIRONMENT": "staging", "E2E_TESTING": "1", "STAGING_E2E_TEST": "1"}


def name(project, region, service):
    return f"projects/{project}/locations/{region}/services/{service}"


def put(emulator, project, region, service, env):
    emulator.state.put_service(service_message(project, region, service, env))


def seed_in_sync(emulator):
    put(emulator, "p-staging", "us-central1", "backend", STAGING_ENV)
    put(emulator, "p-staging", "us-central1", "auth", STAGING_ENV)
    put(emulator, "p-prod", "us-central1", "backend", {"ENVIRONMENT": "production"})
    put(emulator, "p-prod", "europe-west1", "eu-backend", {"ENVIRONMENT": "production"})


def failed_rollout(emulator, full_name, new_env):
    """The template gets `new_env`, but its revision never becomes ready: the old revision
    keeps serving 100% of the traffic."""
    emulator.state.set_fail_rollout(full_name, "Container failed to start")
    emulator.state.set_env(full_name, [run_v2.EnvVar(name=k, value=v) for k, v in new_env.items()])
    emulator.state.set_fail_rollout(full_name, None)


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


def audit_json(cli, cfg, emulator, *args):
    result = cli("audit", *args, "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    return result, result.json()


def test_all_in_sync_is_green_and_follows_the_contract(emulator, cli, cfg):
    seed_in_sync(emulator)
    result, doc = audit_json(cli, cfg, emulator)
    assert result.exit_code == 0, result.output
    assert set(doc) >= {"schema_version", "command", "status", "exit_code", "environments"}
    assert (doc["schema_version"], doc["command"], doc["status"]) == (1, "audit", "in_sync")
    assert [e["environment"] for e in doc["environments"]] == ["production", "staging"]
    for env in doc["environments"]:
        assert set(env) >= {
            "environment",
            "status",
            "services",
            "violations",
            "unmanaged",
            "errors",
        }
        for service in env["services"]:
            assert set(service) >= {"service", "project", "region", "status", "changes"}


def test_unmanaged_service_with_leakage_in_production(emulator, cli, cfg):
    seed_in_sync(emulator)
    put(emulator, "p-prod", "us-central1", "legacy-admin", {"E2E_OAUTH_SIMULATION_KEY": "k"})
    put(emulator, "p-staging", "us-central1", "scratch", {"E2E_TESTING": "1"})
    result, doc = audit_json(cli, cfg, emulator)
    assert result.exit_code == 4
    envs = {e["environment"]: e for e in doc["environments"]}
    assert envs["production"]["unmanaged"] == [
        {
            "kind": "service",
            "name": "legacy-admin",
            "service": "legacy-admin",
            "project": "p-prod",
            "region": "us-central1",
        }
    ]
    assert [(v["service"], v["variable"]) for v in envs["production"]["violations"]] == [
        ("legacy-admin", "E2E_OAUTH_SIMULATION_KEY")
    ]
    assert envs["staging"]["violations"] == [], "staging allows E2E variables"
    assert [u["service"] for u in envs["staging"]["unmanaged"]] == ["scratch"]


def test_old_serving_revision_without_the_e2e_set_is_drift_named_by_revision(emulator, cli, cfg):
    seed_in_sync(emulator)
    backend = name("p-staging", "us-central1", "backend")
    emulator.state.set_env(backend, [run_v2.EnvVar(name="ENVIRONMENT", value="staging")])
    serving = emulator.state.get_service(backend).latest_ready_revision.rsplit("/", 1)[-1]
    failed_rollout(emulator, backend, STAGING_ENV)  # the template is right again, but fails
    result, doc = audit_json(cli, cfg, emulator)
    assert result.exit_code == 3, result.output
    staging = next(e for e in doc["environments"] if e["environment"] == "staging")
    svc = next(s for s in staging["services"] if s["service"] == "backend")
    assert svc["status"] == "drift"
    assert svc["changes"] == [], "the template itself matches the manifest"
    (revision,) = svc["revisions"]
    assert (revision["revision"], revision["percent"]) == (serving, 100)
    assert {c["name"] for c in revision["changes"]} == {"E2E_TESTING", "STAGING_E2E_TEST"}
    assert "not ready" in svc["not_ready"]
    text = cli("audit", "staging", "--config-dir", str(cfg), emulator=emulator).stdout
    assert f"serving revision {serving} (100% of traffic)" in text


def test_serving_revision_with_an_e2e_variable_in_production_is_leakage(emulator, cli, cfg):
    seed_in_sync(emulator)
    backend = name("p-prod", "us-central1", "backend")
    emulator.state.set_env(
        backend,
        [
            run_v2.EnvVar(name="ENVIRONMENT", value="production"),
            run_v2.EnvVar(name="E2E_TESTING", value="1"),
        ],
    )
    serving = emulator.state.get_service(backend).latest_ready_revision.rsplit("/", 1)[-1]
    failed_rollout(emulator, backend, {"ENVIRONMENT": "production"})
    result, doc = audit_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4
    (violation,) = doc["environments"][0]["violations"]
    assert (violation["variable"], violation["revision"], violation["source"]) == (
        "E2E_TESTING",
        serving,
        "live",
    )
    # The gate sees what runs too, not only the audit.
    diff = cli("diff", "production", "--config-dir", str(cfg), emulator=emulator)
    assert diff.exit_code == 4


def test_an_unreadable_region_is_exit_5_while_the_rest_is_reported(emulator, cli, cfg):
    seed_in_sync(emulator)
    put(emulator, "p-staging", "us-central1", "auth", {"ENVIRONMENT": "staging"})  # drift
    emulator.faults.deny("projects/p-prod/locations/europe-west1")
    result, doc = audit_json(cli, cfg, emulator)
    assert result.exit_code == 5
    envs = {e["environment"]: e for e in doc["environments"]}
    assert envs["production"]["status"] == "error"
    statuses = {s["service"]: s["status"] for s in envs["production"]["services"]}
    assert statuses == {"backend": "in_sync", "eu-backend": "error"}
    assert envs["staging"]["status"] == "drift", "the readable environment is still reported"


def test_extra_regions_are_listed_for_unmanaged_services(emulator, cli, cfg):
    seed_in_sync(emulator)
    put(emulator, "p-prod", "asia-east1", "forgotten", {"PYTEST_RUNNING": "1"})
    result, _ = audit_json(cli, cfg, emulator)
    assert result.exit_code == 0, "asia-east1 is not audited unless asked"
    result, doc = audit_json(cli, cfg, emulator, "--region", "asia-east1")
    assert result.exit_code == 4
    prod = next(e for e in doc["environments"] if e["environment"] == "production")
    assert {
        "kind": "service",
        "name": "forgotten",
        "service": "forgotten",
        "project": "p-prod",
        "region": "asia-east1",
    } in prod["unmanaged"]


def test_requests_grow_with_pages_not_services(emulator, cli, cfg):
    seed_in_sync(emulator)
    for i in range(40):
        put(emulator, "p-prod", "us-central1", f"batch-{i:03d}", {"N": str(i)})
    emulator.reset_requests()
    result, _ = audit_json(cli, cfg, emulator)
    assert result.exit_code == 0
    paths = sorted(r.path for r in emulator.requests)
    # One list per kind per location (and the executions wildcard, read because production
    # is protected): never one request per service.
    lists = ("services", "jobs", "workerPools", "jobs/-/executions")
    assert paths == sorted(
        f"/v2/projects/{where}/{what}"
        for where in (
            "p-prod/locations/europe-west1",
            "p-prod/locations/us-central1",
            "p-staging/locations/us-central1",
        )
        for what in lists
    )


def test_shards_cover_every_service_exactly_once(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    for i in range(30):
        put(emulator, "p-prod", "us-central1", f"extra-{i:02d}", {"N": str(i)})
        put(emulator, "p-staging", "us-central1", f"extra-{i:02d}", {"N": str(i)})
    _, whole = audit_json(cli, cfg, emulator)

    def seen(doc):
        out = []
        for env in doc["environments"]:
            out += [(env["environment"], s["service"]) for s in env["services"]]
            out += [(env["environment"], u["service"]) for u in env["unmanaged"]]
        return out

    shards = []
    for index in range(3):
        result, doc = audit_json(
            cli,
            cfg,
            emulator,
            "--shard",
            f"{index}/3",
            "--report",
            str(tmp_path / f"shard-{index}.json"),
        )
        assert result.exit_code == 0, result.output
        shards.append(doc)
    covered = [item for doc in shards for item in seen(doc)]
    assert sorted(covered) == sorted(seen(whole))
    assert len(covered) == len(set(covered)) == 2 * 32
    assert all(seen(doc) for doc in shards), "every shard got work"


def test_shard_defaults_come_from_cloud_run_job_variables(emulator, cli, cfg):
    seed_in_sync(emulator)
    run = {"CLOUD_RUN_EXECUTION": "audit-x7k2p"}
    env = {"CLOUD_RUN_TASK_INDEX": "1", "CLOUD_RUN_TASK_COUNT": "2", **run}
    a = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator, env=env).json()
    b = cli(
        "audit", "--shard", "1/2", "--config-dir", str(cfg), "-o", "json", emulator=emulator,
        env=run,
    ).json()
    assert a.pop("started_at") and b.pop("started_at")
    assert a == b


@pytest.mark.parametrize("bad", ["3/3", "x/2", "1", "-1/2"])
def test_bad_shard_is_a_usage_error(cli, cfg, bad):
    assert cli("audit", "--shard", bad, "--config-dir", str(cfg)).exit_code == 2


def test_merge_takes_globbed_files_and_refuses_a_missing_shard(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    put(emulator, "p-prod", "us-central1", "legacy", {"E2E_TESTING": "1"})
    paths = []
    for index in range(3):
        path = tmp_path / f"shard-{index}.json"
        cli("audit", "--shard", f"{index}/3", "--report", str(path), "--config-dir", str(cfg),
            "-o", "json", "--run-id", "nightly-42", emulator=emulator)
        paths.append(str(path))
    whole = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    merged = cli("audit", "--merge", *paths, "-o", "json")  # as `--merge shard-*.json` expands
    assert merged.exit_code == whole.exit_code == 4
    assert merged.json()["status"] == "leakage"
    partial = cli("audit", "--merge", paths[0], "--merge", paths[2])
    assert partial.exit_code == 5
    assert "1/3 missing" in partial.stderr
    twice = cli("audit", "--merge", paths[0], paths[1], paths[2], "--merge", paths[1])
    assert twice.exit_code == 4, "the same file given twice is read once"

"""One state with jobs, executions and worker pools, run through the emulator and through
files exported from it (each format): the same verdict, workload by workload."""

from __future__ import annotations

from datetime import timedelta

import pytest
from google.cloud import run_v2

from tests.integration.workloads_seed import (
    PRODUCTION,
    STAGING,
    put_execution,
    put_job,
    put_pool_revision,
    seed_in_sync,
    split,
)
from tests.livefiles.exporter import export_state

CLEAN = {"ENVIRONMENT": "production"}


def _job_drift(e):
    seed_in_sync(e)
    e.state.jobs.set_env(
        "projects/p-prod/locations/us-central1/jobs/migrate",
        [run_v2.EnvVar(name="ENVIRONMENT", value="prod")],
    )


def _pool_split(env):
    def scenario(e):
        seed_in_sync(e)
        put_pool_revision(e, "p-prod", "consumer", "consumer-00000-old", env)
        split(e, "p-prod", "consumer", "consumer-00000-old", 10)

    return scenario


def _execution_leak(e):
    seed_in_sync(e)
    put_execution(
        e, "p-prod", "migrate", "migrate-x1", {**CLEAN, "E2E_TESTING": "1"}, age=timedelta(hours=1)
    )
    put_execution(
        e, "p-prod", "migrate", "migrate-old", {"E2E_TESTING": "1"}, age=timedelta(days=5)
    )


def _unmanaged_job_leak(e):
    seed_in_sync(e)
    put_job(e, "p-prod", "backfill", {"E2E_TEST_ENV": "x"})


SCENARIOS = {  # name -> (seed, the exit code both paths must give)
    "in-sync": (seed_in_sync, 0),
    "job-drift": (_job_drift, 3),
    "pool-split-drift": (_pool_split({"ENVIRONMENT": "prod"}), 3),
    "pool-split-leak": (_pool_split({**CLEAN, "E2E_TESTING": "1"}), 4),
    "execution-leak": (_execution_leak, 4),
    "unmanaged-job-leak": (_unmanaged_job_leak, 4),
}


def _verdicts(doc):
    def entries(env):
        return [
            (s["kind"], s["name"], s["status"], s["changes"], s["revisions"])
            for section in ("services", "jobs", "worker_pools")
            for s in env[section]
        ]

    return (
        doc["exit_code"],
        [
            (
                e["environment"],
                e["status"],
                entries(e),
                sorted(
                    (
                        v["rule"],
                        v["kind"],
                        v["service"],
                        v["variable"],
                        v["revision"] or "",
                        v.get("execution") or "",
                    )
                    for v in e["violations"]
                ),
                sorted((u["kind"], u["name"]) for u in e["unmanaged"]),
            )
            for e in doc["environments"]
        ],
    )


@pytest.mark.parametrize("fmt", ["export", "list-json", "v2"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_verdict_for_jobs_and_pools(emulator, cli, configs, tmp_path, fmt, scenario):
    cfg = configs(staging=STAGING, production=PRODUCTION)
    seed, expected = SCENARIOS[scenario]
    seed(emulator)
    live = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert live.exit_code == expected, live.output
    paths = export_state(emulator.state, tmp_path / fmt, fmt)
    args = [arg for path in paths for arg in ("--live-from", str(path))]
    offline = cli("audit", "--config-dir", str(cfg), "-o", "json", *args)
    assert offline.exit_code == live.exit_code, offline.output
    assert _verdicts(offline.json()) == _verdicts(live.json())
    assert {s["source"] for e in offline.json()["environments"] for s in e["jobs"]} == {"file"}

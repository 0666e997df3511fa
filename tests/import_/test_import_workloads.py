"""`deploytool import` of jobs and worker pools against the emulator: the same rules as
services (secret refs, the managed container, E2E into `e2e.jobs`, leaks refused in a
protected environment, credentials never written), `--service` across kinds, and the round
trip property with jobs."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from google.cloud import run_v2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.import_.test_import import POLICY, REGION, do_import, seed
from tests.integration.workloads_seed import put_execution, put_pool, put_pool_revision, split


def put_job(emulator, project, name, containers):
    """containers: [(name, env)], env values plain strings or (secret, version)."""

    def env_list(values):
        out = []
        for key, value in values.items():
            if isinstance(value, tuple):
                ref = run_v2.SecretKeySelector(secret=value[0], version=value[1])
                source = run_v2.EnvVarSource(secret_key_ref=ref)
                out.append(run_v2.EnvVar(name=key, value_source=source))
            else:
                out.append(run_v2.EnvVar(name=key, value=value))
        return out

    job = run_v2.Job(
        name=f"projects/{project}/locations/{REGION}/jobs/{name}",
        template=run_v2.ExecutionTemplate(
            template=run_v2.TaskTemplate(
                containers=[
                    run_v2.Container(name=c, image="gcr.io/x/job:1", env=env_list(env))
                    for c, env in containers
                ]
            )
        ),
    )
    return emulator.state.jobs.put_job(job)


def test_jobs_and_pools_are_imported_and_diff_is_in_sync(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging", "E2E_TESTING": "1"})
    put_job(
        emulator,
        "p-staging",
        "migrate",
        [("migrate", {"ENVIRONMENT": "staging", "DB_PASSWORD": ("db-password", "2"),
                      "E2E_TESTING": "1"})],
    )  # fmt: skip
    put_job(emulator, "p-staging", "api", [("app", {"ENVIRONMENT": "staging"})])  # same name
    put_pool(emulator, "p-staging", "consumer", {"ENVIRONMENT": "staging"})
    result = do_import(cli, emulator, cfg, "staging", "p-staging")
    assert result.exit_code == 0, result.output
    text = (cfg / "staging.yaml").read_text()
    assert "\njobs:\n" in text and "\nworker_pools:\n" in text
    assert 'DB_PASSWORD: "db-password:2"' in text
    assert 'jobs:\n    - "migrate"' in text and 'services:\n    - "api"' in text
    assert "api, job api, job migrate, worker pool consumer" in result.output
    assert cli("validate", "--config-dir", str(cfg)).exit_code == 0
    diff = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert diff.exit_code == 0, text + diff.output


def test_a_job_with_a_sidecar_gets_container_or_is_skipped(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    put_job(emulator, "p-prod", "migrate", [("migrate", {"A": "1"}), ("otel", {"B": "2"})])
    put_job(emulator, "p-prod", "report", [("report", {"ENVIRONMENT": "production"})])
    result = do_import(cli, emulator, cfg, "production", "p-prod", "--stdout")
    assert result.exit_code == 0, result.output
    # No port on job containers: the managed one cannot be chosen, so it is not guessed.
    assert "job migrate: several containers (migrate, otel)" in result.stderr
    assert "report:" in result.stdout and "migrate:" not in result.stdout


def test_service_filter_applies_to_every_kind(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production"})
    put_job(emulator, "p-prod", "migrate", [("m", {"ENVIRONMENT": "production"})])
    put_pool(emulator, "p-prod", "consumer", {"ENVIRONMENT": "production"})
    result = do_import(cli, emulator, cfg, "production", "p-prod", "--service", "migrate",
                       "--stdout")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "migrate:" in result.stdout
    assert "api:" not in result.stdout and "consumer:" not in result.stdout


def test_protected_leaks_in_jobs_pools_and_executions_are_refused(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    put_job(emulator, "p-prod", "migrate", [("m", {"ENVIRONMENT": "production"})])
    put_execution(
        emulator, "p-prod", "migrate", "migrate-x1", {"E2E_TESTING": "1"}, age=timedelta(hours=1)
    )
    put_pool(emulator, "p-prod", "consumer", {"ENVIRONMENT": "production"})
    put_pool_revision(emulator, "p-prod", "consumer", "consumer-00000-old", {"E2E_TEST_ENV": "x"})
    split(emulator, "p-prod", "consumer", "consumer-00000-old", 10)
    result = do_import(cli, emulator, cfg, "production", "p-prod")
    assert result.exit_code == 4, result.output
    assert "E2E_TESTING on job migrate execution migrate-x1" in result.stderr
    assert "E2E_TEST_ENV on worker pool consumer revision consumer-00000-old" in result.stderr
    assert not (cfg / "production.yaml").exists()


def test_a_job_credential_is_never_written(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    secret = "postgres://app:hunter2-Secret@db.internal/app"
    put_job(emulator, "p-prod", "migrate", [("m", {"DATABASE_URL": secret, "X": "1"})])
    result = do_import(cli, emulator, cfg, "production", "p-prod")
    assert result.exit_code == 0, result.output
    text = (cfg / "production.yaml").read_text()
    assert secret not in text and secret not in result.output
    assert '- "DATABASE_URL"  # secret-looking plain value' in text
    assert cli("diff", "production", "--config-dir", str(cfg), emulator=emulator).exit_code == 0


# -- the round trip with jobs, as a property ---------------------------------------------

NAMES = ["ENVIRONMENT", "LOG_LEVEL", "GIT_SHA", "DB_PASSWORD", "E2E_TESTING", "STAGING_E2E_TEST"]
VALUES = st.sampled_from(["1", "staging", "", "a b"])
SECRETS = st.tuples(
    st.sampled_from(["s1", "projects/p-staging/secrets/s2", "projects/p-other/secrets/s3"]),
    st.sampled_from(["1", "latest"]),
)
ENV = st.dictionaries(st.sampled_from(NAMES), st.one_of(VALUES, SECRETS), max_size=5)
JOBS = st.dictionaries(st.sampled_from(["migrate", "report", "api"]), ENV, min_size=1)
SERVICES = st.dictionaries(st.sampled_from(["api", "web"]), ENV, max_size=2)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(jobs=JOBS, services=SERVICES, extra=ENV)
def test_import_then_diff_is_in_sync_with_jobs(emulator, cli, jobs, services, extra):
    for name in emulator.state.service_names():
        emulator.state.delete_service(name)
    for name in emulator.state.jobs.names():
        emulator.state.jobs._jobs.pop(name)  # no delete route in the store: clear it
    for name, env in services.items():
        seed(emulator, "p-staging", name, containers=[("app", env, True)])
    for name, env in jobs.items():
        put_job(emulator, "p-staging", name, [("task", env)])
    with tempfile.TemporaryDirectory() as scratch:
        cfg = Path(scratch)
        (cfg / "policy.yaml").write_text(POLICY)
        first = do_import(cli, emulator, cfg, "staging", "p-staging")
        assert first.exit_code == 0, first.output
        text = (cfg / "staging.yaml").read_text()
        assert cli("validate", "--config-dir", str(cfg)).exit_code == 0, text
        diff = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
        assert diff.exit_code == 0, text + diff.output
        put_job(emulator, "p-staging", "zz-new", [("task", extra)])
        assert do_import(cli, emulator, cfg, "staging", "p-staging", "--merge").exit_code == 0
        merged = (cfg / "staging.yaml").read_text()
        assert "zz-new:" in merged
        assert do_import(cli, emulator, cfg, "staging", "p-staging", "--merge").exit_code == 0
        assert (cfg / "staging.yaml").read_text() == merged
        diff = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
        assert diff.exit_code == 0, merged + diff.output

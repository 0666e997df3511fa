"""`deploytool import` against the emulator: what it writes passes validate and diff exits 0
right after; protected leaks refused; credentials never written; --merge, --force, --stdout."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from google.cloud import run_v2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import service_message

POLICY = "environments:\n  staging: {projects: [p-staging]}\n  production: {projects: [p-prod]}\n"
REGION = "us-central1"


def seed(emulator, project, name, env=None, **kw):
    emulator.state.put_service(service_message(project, REGION, name, env, **kw))


def do_import(cli, emulator, cfg, env, project, *more):
    return cli(
        "import",
        env,
        "--project",
        project,
        "--region",
        REGION,
        "--config-dir",
        str(cfg),
        *more,
        emulator=emulator,
    )


def test_protected_leak_is_refused_and_nothing_written(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production"})
    seed(
        emulator,
        "p-prod",
        "web",
        containers=[("app", {"X": "1"}, True), ("sidecar", {"e2e_testing": "1"}, False)],
    )
    result = do_import(cli, emulator, cfg, "production", "p-prod")
    assert result.exit_code == 4, result.output
    assert "e2e_testing on web" in result.stderr
    assert not (cfg / "production.yaml").exists()


def test_protected_leak_on_a_tagged_revision_is_refused(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(emulator, "p-prod", "api", {"E2E_TESTING": "1"})
    name = f"projects/p-prod/locations/{REGION}/services/api"
    old = emulator.state.get_service(name).latest_ready_revision.rsplit("/", 1)[-1]
    emulator.state.set_env(name, [run_v2.EnvVar(name="ENVIRONMENT", value="production")])
    latest = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    pinned = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
    emulator.state.set_traffic(
        name,
        [
            run_v2.TrafficTarget(type_=latest, percent=100),
            run_v2.TrafficTarget(type_=pinned, revision=old, tag="canary"),
        ],
    )
    result = do_import(cli, emulator, cfg, "production", "p-prod")
    assert result.exit_code == 4, result.output
    assert f"revision {old}" in result.stderr
    assert not (cfg / "production.yaml").exists()


CREDENTIALS = {
    "DATABASE_URL": "postgres://app:hunter2-Secret@db.internal/app",
    "GH": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "API_TOKEN": "plain-token-value",
    "AUTHZ": "Bearer abcdefghijklmnop",
}


def test_credentials_are_never_written(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production", **CREDENTIALS})
    result = do_import(cli, emulator, cfg, "production", "p-prod")
    assert result.exit_code == 0, result.output
    text = (cfg / "production.yaml").read_text()
    for name, value in CREDENTIALS.items():
        assert value not in text and value not in result.output
        assert re.search(rf'- "{name}" +# secret-looking plain value', text)
    assert "Secret Manager" in text
    assert cli("diff", "production", "--config-dir", str(cfg), emulator=emulator).exit_code == 0


def test_build_stamps_ignored_only_when_they_differ(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(emulator, "p-prod", "a", {"GIT_SHA": "abc", "BUILD_ID": "7", "REGION_NAME": "x"})
    seed(emulator, "p-prod", "b", {"GIT_SHA": "def", "BUILD_ID": "7"})
    result = do_import(cli, emulator, cfg, "production", "p-prod", "--stdout")
    assert result.exit_code == 0, result.output
    assert '- "GIT_SHA"' in result.stdout and "GIT_SHA:" not in result.stdout
    assert 'BUILD_ID: "7"' in result.stdout  # the same on both: an ordinary variable
    assert not (cfg / "production.yaml").exists()  # --stdout writes nothing


def test_header_sidecar_container_and_secret_short_form(emulator, cli, configs):
    cfg = configs(policy=POLICY)
    seed(
        emulator,
        "p-prod",
        "api",
        containers=[
            (
                "backend",
                {
                    "S1": ("projects/p-prod/secrets/s1", "2"),
                    "S2": ("projects/other/secrets/s2", "1"),
                },
                True,
            ),
            ("otel", {"OTEL": "1"}, False),
        ],
    )
    result = do_import(cli, emulator, cfg, "production", "p-prod")
    assert result.exit_code == 0, result.output
    text = (cfg / "production.yaml").read_text()
    assert text.startswith("# Imported by deploytool import from live Cloud Run on ")
    assert "# project: p-prod; regions: us-central1" in text
    assert 'container: "backend"' in text
    assert 'S1: "s1:2"' in text and 'S2: "projects/other/secrets/s2:1"' in text
    assert "OTEL" not in text
    assert cli("validate", "--config-dir", str(cfg)).exit_code == 0
    assert cli("diff", "production", "--config-dir", str(cfg), emulator=emulator).exit_code == 0


def test_existing_file_needs_merge_or_force_and_merge_keeps_comments(emulator, cli, configs):
    cfg = configs(
        policy=POLICY,
        production="# hand-written: keep me\nproject: p-prod\nregion: us-central1\nservices:\n"
        "  api:\n    env: {ENVIRONMENT: production}  # the api\n",
    )
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "changed-live"})
    seed(emulator, "p-prod", "worker", {"ENVIRONMENT": "production"})
    before = (cfg / "production.yaml").read_text()
    assert do_import(cli, emulator, cfg, "production", "p-prod").exit_code == 2
    assert (cfg / "production.yaml").read_text() == before
    merged = do_import(cli, emulator, cfg, "production", "p-prod", "--merge")
    assert merged.exit_code == 0, merged.output
    text = (cfg / "production.yaml").read_text()
    assert "# hand-written: keep me" in text and "# the api" in text
    assert "ENVIRONMENT: production}" in text  # the existing entry is unchanged
    assert "worker:" in text
    again = do_import(cli, emulator, cfg, "production", "p-prod", "--merge")
    assert again.exit_code == 0 and (cfg / "production.yaml").read_text() == text
    forced = do_import(cli, emulator, cfg, "production", "p-prod", "--force")
    assert forced.exit_code == 0
    assert '"changed-live"' in (cfg / "production.yaml").read_text()


# -- the round trip, as a property ----------------------------------------------------

NAMES = [
    "ENVIRONMENT",
    "LOG_LEVEL",
    "FEATURE_X",
    "GIT_SHA",
    "DB_PASSWORD",
    "URL",
    "E2E_TESTING",
    "STAGING_E2E_TEST",
    "E2E_OAUTH_SIMULATION_KEY",
    "OTHER_E2E_FLAG",
]
VALUES = st.sampled_from(["1", "staging", "info", "", "https://x.example", "a b"])
SECRETS = st.tuples(
    st.sampled_from(["s1", "projects/p-staging/secrets/s2", "projects/p-other/secrets/s3"]),
    st.sampled_from(["1", "latest"]),
)
ENV = st.dictionaries(st.sampled_from(NAMES), st.one_of(VALUES, SECRETS), max_size=6)
SERVICE = st.tuples(ENV, st.booleans())  # (env, with a sidecar)
STATES = st.dictionaries(st.sampled_from(["api", "auth", "web"]), SERVICE, min_size=1)


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(state=STATES, extra=SERVICE)
def test_import_then_diff_is_in_sync(emulator, cli, state, extra):
    for name in emulator.state.service_names():
        emulator.state.delete_service(name)
    for name, (env, sidecar) in state.items():
        containers = [("app", env, True)] + (
            [("sidecar", {"E2E_TESTING": "1"}, False)] if sidecar else []
        )
        seed(emulator, "p-staging", name, containers=containers)
    with tempfile.TemporaryDirectory() as scratch:
        cfg = Path(scratch)
        (cfg / "policy.yaml").write_text(POLICY)
        first = do_import(cli, emulator, cfg, "staging", "p-staging")
        assert first.exit_code == 0, first.output
        assert cli("validate", "--config-dir", str(cfg)).exit_code == 0
        diff = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
        assert diff.exit_code == 0, (cfg / "staging.yaml").read_text() + diff.output
        # A new service appears: --merge adds it, and a second --merge changes nothing.
        env, sidecar = extra
        seed(emulator, "p-staging", "zz-new", containers=[("app", env, True)])
        assert do_import(cli, emulator, cfg, "staging", "p-staging", "--merge").exit_code == 0
        text = (cfg / "staging.yaml").read_text()
        assert "zz-new:" in text
        assert do_import(cli, emulator, cfg, "staging", "p-staging", "--merge").exit_code == 0
        assert (cfg / "staging.yaml").read_text() == text
        diff = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
        assert diff.exit_code == 0, text + diff.output


def test_a_plain_endpoint_under_a_secret_looking_name_is_imported(emulator, cli, configs):
    # AUTH marks the name (its value prints as ***), but an address is configuration, not a
    # secret: leaving it out of the manifest would make the next diff report it unexpected.
    cfg = configs()
    emulator.state.put_service(
        service_message(
            "p-staging",
            "us-central1",
            "api",
            {"AUTH_SERVICE_URL": "https://auth.example.com/v1", "AUTH_TOKEN": "x" * 12},
        )
    )
    result = cli(
        "import", "staging", "--project", "p-staging", "--region", "us-central1", "--stdout",
        "--config-dir", str(cfg), emulator=emulator,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert 'AUTH_SERVICE_URL: "https://auth.example.com/v1"' in result.stdout
    assert '- "AUTH_TOKEN"' in result.stdout and "x" * 12 not in result.stdout

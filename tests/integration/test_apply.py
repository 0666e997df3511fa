"""`deploytool apply` end to end through the real client against the emulator."""

from __future__ import annotations

import json

import pytest
from google.cloud import run_v2

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    ignore: [GIT_SHA]
    e2e:
      env: {E2E_TESTING: "1", STAGING_E2E_TEST: "1", E2E_TEST_ENV: staging}
      secrets: {E2E_OAUTH_SIMULATION_KEY: "e2e-oauth-simulation-key:latest"}
      services: [backend]
    services:
      backend:
        container: app
        env: {ENVIRONMENT: staging, LOG_LEVEL: info}
        secrets: {JWT_SECRET_KEY: "jwt:3"}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend:
        env: {ENVIRONMENT: production, LOG_LEVEL: warning}
"""
E2E_NAMES = {"E2E_TESTING", "STAGING_E2E_TEST", "E2E_TEST_ENV", "E2E_OAUTH_SIMULATION_KEY"}
BACKEND = "projects/p-staging/locations/us-central1/services/backend"

# Fields Cloud Run owns (they change on every deploy) and deploytool's own annotations.
SERVER_OWNED = (
    "etag",
    "generation",
    "observed_generation",
    "latest_created_revision",
    "latest_ready_revision",
    "traffic_statuses",
    "terminal_condition",
    "conditions",
    "update_time",
    "reconciling",
    "uid",
    "create_time",
    "last_modifier",
)


def rich_backend() -> run_v2.Service:
    """A service with much more than env, all of which apply must leave alone."""
    service = service_message(
        "p-staging",
        "us-central1",
        "backend",
        None,
        containers=[
            (
                "app",
                {
                    "ENVIRONMENT": "staging",
                    "LOG_LEVEL": "debug",
                    "GIT_SHA": "abc",
                    "JWT_SECRET_KEY": ("jwt", "3"),
                    "OLD_FLAG": "1",
                },
                True,
            ),
            ("otel", {"OTEL_EXPORTER": "gcp"}, False),
        ],
        labels={"team": "chat"},
        annotations={"run.googleapis.com/launch-stage": "BETA", "owner": "someone-else"},
        traffic=[
            run_v2.TrafficTarget(
                type_=run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST,
                percent=100,
            )
        ],
        ingress=run_v2.IngressTraffic.INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER,
    )
    template = service.template
    template.service_account = "backend@p-staging.iam.gserviceaccount.com"
    template.max_instance_request_concurrency = 40
    template.scaling = run_v2.RevisionScaling(min_instance_count=1, max_instance_count=7)
    # Not autoscaling.knative.dev/maxScale: v2 refuses template annotations in that namespace
    # (the v2 field is scaling.max_instance_count, set above).
    template.annotations["example.com/rollout-note"] = "7"
    template.volumes.append(
        run_v2.Volume(name="cfg", secret=run_v2.SecretVolumeSource(secret="app-config"))
    )
    app = template.containers[0]
    app.volume_mounts.append(run_v2.VolumeMount(name="cfg", mount_path="/etc/cfg"))
    app.resources = run_v2.ResourceRequirements(limits={"cpu": "2", "memory": "1Gi"})
    app.startup_probe = run_v2.Probe(
        http_get=run_v2.HTTPGetAction(path="/healthz"), period_seconds=5
    )
    app.args.extend(["--workers", "4"])
    return service


def comparable(service: run_v2.Service) -> run_v2.Service:
    copy = run_v2.Service.deserialize(run_v2.Service.serialize(service))
    for name in SERVER_OWNED:
        copy._pb.ClearField(name)
    copy.template._pb.ClearField("revision")
    for key in [k for k in copy.annotations if k.startswith("deploytool.dev/")]:
        del copy.annotations[key]
    del copy.template.containers[0].env[:]
    return copy


def env_of(service: run_v2.Service, container: int = 0) -> dict[str, object]:
    out: dict[str, object] = {}
    for var in service.template.containers[container].env:
        ref = var.value_source.secret_key_ref
        out[var.name] = (ref.secret, ref.version) if ref.secret else var.value
    return out


def writes(emulator) -> list:
    return [r for r in emulator.requests if r.method == "PATCH"]


def real_writes(emulator) -> list:
    return [r for r in writes(emulator) if r.query.get("validateOnly") not in ("true", "True")]


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


def test_staging_apply_adds_the_e2e_set_and_leaves_everything_else_equal(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    before = emulator.state.get_service(BACKEND)
    result = cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0, result.output
    after = emulator.state.get_service(BACKEND)
    env = env_of(after)
    assert env.keys() >= E2E_NAMES
    assert env["E2E_OAUTH_SIMULATION_KEY"] == ("e2e-oauth-simulation-key", "latest")
    assert env["LOG_LEVEL"] == "info"
    assert "OLD_FLAG" not in env
    assert env["GIT_SHA"] == "abc", "ignored variables stay untouched"
    assert list(env)[:3] == ["ENVIRONMENT", "LOG_LEVEL", "GIT_SHA"], "live order kept"
    assert env_of(after, 1) == env_of(before, 1), "the sidecar is not the managed container"
    assert comparable(after) == comparable(before)
    assert after.latest_ready_revision == after.latest_created_revision
    assert after.latest_created_revision != before.latest_created_revision
    assert len(real_writes(emulator)) == 1


def test_apply_refuses_production_leakage_in_the_manifest_with_zero_writes(emulator, cli, configs):
    cfg = configs(
        production=PRODUCTION.replace("LOG_LEVEL: warning", 'LOG_LEVEL: warning, E2E_TESTING: "1"')
    )
    emulator.state.put_service(
        service_message("p-prod", "us-central1", "backend", {"ENVIRONMENT": "production"})
    )
    result = cli("apply", "production", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 4, result.output
    assert writes(emulator) == []
    assert "E2E_TESTING" in result.stdout


def test_apply_removes_an_e2e_variable_production_carries_live(emulator, cli, cfg):
    """Contract v2: removing a leak is allowed (it used to be refused with exit 4). The
    cases apply must still refuse are in test_apply_truth.py."""
    emulator.state.put_service(
        service_message(
            "p-prod", "us-central1", "backend", {"ENVIRONMENT": "production", "E2E_TESTING": "1"}
        )
    )
    result = cli(
        "apply", "production", "--yes", "-o", "json", "--config-dir", str(cfg), emulator=emulator
    )
    assert result.exit_code == 0, result.output
    assert result.json()["violations"][0]["source"] == "live", "the plan saw the leak"
    assert result.json()["services"][0]["removed_leaks"] == ["E2E_TESTING"]
    live = emulator.state.get_service("projects/p-prod/locations/us-central1/services/backend")
    assert "E2E_TESTING" not in env_of(live)


def test_without_yes_and_without_a_terminal_it_refuses_with_exit_2(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    result = cli("apply", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 2
    assert "--yes" in result.stderr
    assert writes(emulator) == []


@pytest.mark.parametrize(("answer", "code", "written"), [("y\n", 0, 1), ("n\n", 3, 0)])
def test_on_a_terminal_it_asks(emulator, cli, cfg, mocker, answer, code, written):
    mocker.patch("deploytool.cli.stdin_is_terminal", return_value=True)
    emulator.state.put_service(rich_backend())
    result = cli("apply", "staging", "--config-dir", str(cfg), input=answer, emulator=emulator)
    assert result.exit_code == code, result.output
    assert len(real_writes(emulator)) == written


def test_dry_run_preflights_and_writes_nothing(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    before = emulator.state.get_service(BACKEND)
    result = cli("apply", "staging", "--dry-run", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 3, result.output
    assert real_writes(emulator) == []
    assert len(writes(emulator)) == 1, "one validateOnly preflight"
    assert emulator.state.get_service(BACKEND) == before


def test_dry_run_with_nothing_to_do_exits_0(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    assert (
        cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator).exit_code == 0
    )
    emulator.reset_requests()
    result = cli("apply", "staging", "--dry-run", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0
    assert writes(emulator) == []


def test_second_apply_does_nothing(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    assert (
        cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator).exit_code == 0
    )
    emulator.reset_requests()
    result = cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0
    assert "nothing to do" in result.stdout
    assert writes(emulator) == []


def test_a_harmless_concurrent_redeploy_is_retried(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    # The validate-only preflight takes the first race (harmlessly: it sends no etag); the
    # second meets the real write, which must re-read, re-plan and retry.
    emulator.faults.race_etag(BACKEND, times=2)
    result = cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0, result.output
    assert env_of(emulator.state.get_service(BACKEND)).keys() >= E2E_NAMES
    assert len(real_writes(emulator)) == 2, "one 409, then the retried write"


def test_a_concurrent_env_change_is_never_overwritten(emulator, cli, cfg, mocker):
    """Someone changes the service while the engineer reads the plan."""
    emulator.state.put_service(rich_backend())
    mocker.patch("deploytool.cli.stdin_is_terminal", return_value=True)

    def someone_else_deploys(*_args, **_kwargs):
        live = emulator.state.get_service(BACKEND)
        env = list(live.template.containers[0].env)
        env.append(run_v2.EnvVar(name="HOTFIX", value="on"))
        emulator.state.set_env(BACKEND, env, container="app")
        return True

    mocker.patch("typer.confirm", side_effect=someone_else_deploys)
    result = cli("apply", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 5, result.output
    assert real_writes(emulator) == []
    assert env_of(emulator.state.get_service(BACKEND))["HOTFIX"] == "on", "not lost"
    service = result.json()["services"][0]
    assert service["outcome"] == "conflict"
    assert "HOTFIX" in [c["name"] for c in service["new_changes"]]


def test_a_failing_revision_exits_5_and_names_the_cause(emulator, cli, cfg):
    emulator.state.put_service(rich_backend())
    before = emulator.state.get_service(BACKEND)
    emulator.state.set_fail_rollout(BACKEND, "Container failed to start: missing DB_HOST")
    result = cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 5, result.output
    assert "Container failed to start: missing DB_HOST" in result.stdout
    assert "previous revision keeps serving" in result.stdout
    after = emulator.state.get_service(BACKEND)
    assert after.latest_ready_revision == before.latest_ready_revision
    # The default trail lives under .deploytool/ in the working directory (the test's tmp).
    with open(".deploytool/audit.jsonl", encoding="utf-8") as trail:
        log = [json.loads(line) for line in trail]
    assert log[-1]["outcome"] == "failed"


def test_parallel_apply_of_many_services(emulator, cli, configs):
    names = [f"svc-{i:02d}" for i in range(12)]
    cfg = configs(
        staging="project: p-staging\nregion: us-central1\nservices:\n"
        + "".join(
            f'  {n}: {{env: {{ENVIRONMENT: staging, N: "{i}"}}}}\n' for i, n in enumerate(names)
        )
    )
    for name in names:
        emulator.state.put_service(
            service_message("p-staging", "us-central1", name, {"ENVIRONMENT": "dev"})
        )
    emulator.operation_delay = 0.2
    result = cli(
        "apply",
        "staging",
        "--yes",
        "--parallel",
        "6",
        "-o",
        "json",
        "--config-dir",
        str(cfg),
        emulator=emulator,
    )
    assert result.exit_code == 0, result.output
    assert [s["outcome"] for s in result.json()["services"]] == ["applied"] * 12
    for i, name in enumerate(names):
        live = emulator.state.get_service(
            f"projects/p-staging/locations/us-central1/services/{name}"
        )
        assert env_of(live) == {"ENVIRONMENT": "staging", "N": str(i)}


def test_one_failure_does_not_hide_the_others(emulator, cli, configs):
    cfg = configs(
        staging="""
        project: p-staging
        region: us-central1
        services:
          a: {env: {X: "1"}}
          b: {env: {X: "1"}}
    """
    )
    for name in "ab":
        emulator.state.put_service(service_message("p-staging", "us-central1", name, {"X": "0"}))
    emulator.state.set_fail_rollout("projects/p-staging/locations/us-central1/services/a", "boom")
    result = cli(
        "apply", "staging", "--yes", "-o", "json", "--config-dir", str(cfg), emulator=emulator
    )
    assert result.exit_code == 5
    outcomes = {s["service"]: s["outcome"] for s in result.json()["services"]}
    assert outcomes == {"a": "failed", "b": "applied"}


def test_origin_tells_drift_from_pending(emulator, cli, configs):
    manifest = """
        project: p-staging
        region: us-central1
        services:
          api: {env: {A: "1", B: "1"}}
    """
    cfg = configs(staging=manifest)
    name = "projects/p-staging/locations/us-central1/services/api"
    emulator.state.put_service(service_message("p-staging", "us-central1", "api", {"A": "0"}))
    assert (
        cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator).exit_code == 0
    )
    # Out of band: someone changes A live. In the manifest: B changes.
    emulator.state.set_env(
        name, [run_v2.EnvVar(name="A", value="hand-edited"), run_v2.EnvVar(name="B", value="1")]
    )
    configs(staging=manifest.replace('B: "1"', 'B: "2"'))
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3
    origins = {c["name"]: c["origin"] for c in result.json()["services"][0]["changes"]}
    assert origins == {"A": "drift", "B": "pending"}
    text = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator).stdout
    assert "changed live since deploytool applied" in text
    assert "manifest changed since deploytool applied" in text


def test_audit_log_records_names_never_values(emulator, cli, cfg, tmp_path):
    service = rich_backend()
    emulator.state.put_service(service)
    log_path = tmp_path / "trail.jsonl"
    result = cli(
        "apply",
        "staging",
        "--yes",
        "--audit-log",
        str(log_path),
        "--config-dir",
        str(cfg),
        emulator=emulator,
    )
    assert result.exit_code == 0
    (entry,) = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert entry["environment"] == "staging" and entry["service"] == "backend"
    assert entry["outcome"] == "applied"
    assert sorted(entry["added"]) == sorted(E2E_NAMES)
    assert entry["removed"] == ["OLD_FLAG"] and entry["changed"] == ["LOG_LEVEL"]
    assert entry["before_fingerprint"] != entry["after_fingerprint"]
    assert (
        BACKEND + "/revisions/" + entry["revision"]
        == emulator.state.get_service(BACKEND).latest_ready_revision
    )
    assert entry["who"] == "anonymous (emulator)"
    assert '"info"' not in log_path.read_text() and "debug" not in log_path.read_text()

"""`apply` tells the truth (CONTRACT.md "apply (v2)"): after the writes the gate read back from
live decides the exit code, a written revision that does not serve is not in sync, and in a
protected environment apply removes leaks it can remove and refuses, writing nothing, over any
it cannot. Real google-cloud-run client against the emulator, through the CLI."""

from __future__ import annotations

import pytest
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2

from tests.conftest import service_message
from tests.integration.test_apply import env_of, real_writes, writes

REGION = "us-central1"
LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
PINNED = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION

STAGING = """
    project: p-staging
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: staging, LOG_LEVEL: info}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend:
        env: {ENVIRONMENT: production, LOG_LEVEL: warning}
"""
API = f"projects/p-staging/locations/{REGION}/services/api"
BACKEND = f"projects/p-prod/locations/{REGION}/services/backend"


def seed_with_old_revision(
    emulator, project, name, env, old_env, traffic, *, containers=None, **fields
) -> str:
    """A service whose template is `env`, with an older revision `name-00001-old` of
    `old_env`; `traffic` is [(revision or None for LATEST, percent)]."""
    old = f"{name}-00001-old"
    emulator.state.add_revision(
        run_v2.Revision(
            name=f"projects/{project}/locations/{REGION}/services/{name}/revisions/{old}",
            containers=list(service_message(project, REGION, name, old_env).template.containers),
        )
    )
    targets = [
        run_v2.TrafficTarget(type_=LATEST, percent=percent)
        if revision is None
        else run_v2.TrafficTarget(type_=PINNED, revision=revision, percent=percent)
        for revision, percent in traffic
    ]
    emulator.state.put_service(
        service_message(
            project, REGION, name, env, containers=containers, traffic=targets, **fields
        )
    )
    return old


def apply_json(cli, cfg, emulator, environment, *extra):
    return cli(
        "apply", environment, "--yes", "-o", "json", *extra, "--config-dir", str(cfg),
        emulator=emulator,
    )  # fmt: skip


def diff_code(cli, cfg, emulator, environment) -> int:
    return cli("diff", environment, "--config-dir", str(cfg), emulator=emulator).exit_code


# -- verify is the gate -------------------------------------------------------------------------


def test_apply_on_traffic_pinned_to_an_older_revision_is_not_serving_exit_3(emulator, cli, configs):
    cfg = configs(staging=STAGING)
    old = seed_with_old_revision(
        emulator,
        "p-staging",
        "api",
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
        [("api-00001-old", 100)],
    )
    result = apply_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 3, result.output
    assert len(real_writes(emulator)) == 1, "the template was written"
    (service,) = result.json()["services"]
    assert service["outcome"] == "not_serving"
    command = "gcloud run services update-traffic api --project p-staging --region us-central1"
    assert service["traffic_command"] == command + " --to-latest"
    assert command in service["message"] and "--to-revisions" in service["message"]
    assert old in service["message"]
    assert result.json()["status"] == "drift"
    assert result.json()["verify"]["status"] == "drift"
    assert service["verified"]["revisions"][0]["revision"] == old
    assert diff_code(cli, cfg, emulator, "staging") == 3, "apply and diff agree"

    # Nothing left to write, and still not green: a second apply says the same.
    emulator.reset_requests()
    again = cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert again.exit_code == 3, again.output
    assert "api: not_serving" in again.stdout and command in again.stdout
    assert writes(emulator) == []

    # Routing the traffic as told (what `update-traffic --to-latest` sends) makes it green.
    client = run_v2.ServicesClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://{emulator.host_port}"),
    )
    live = client.get_service(name=API)
    live.traffic = [run_v2.TrafficTarget(type_=LATEST, percent=100)]
    client.update_service(service=live).result(timeout=10)
    assert diff_code(cli, cfg, emulator, "staging") == 0


def test_text_output_names_not_serving_and_the_command(emulator, cli, configs):
    cfg = configs(staging=STAGING)
    seed_with_old_revision(
        emulator,
        "p-staging",
        "api",
        {"ENVIRONMENT": "staging"},
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
        [("api-00001-old", 100)],
    )
    result = cli("apply", "staging", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 3, result.output
    assert "api: not_serving" in result.stdout
    assert (
        "route traffic: gcloud run services update-traffic api --project p-staging "
        "--region us-central1 --to-latest" in result.stdout
    )
    assert "apply staging: DRIFT (exit 3)" in result.stdout


def test_apply_on_a_10_percent_canary_is_partially_serving_exit_3(emulator, cli, configs):
    cfg = configs(staging=STAGING)
    old = seed_with_old_revision(
        emulator,
        "p-staging",
        "api",
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
        [("api-00001-old", 90), (None, 10)],
    )
    result = apply_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 3, result.output
    (service,) = result.json()["services"]
    assert service["outcome"] == "partially_serving"
    assert f"{old} (90%" in service["message"] and "10% of the traffic" in service["message"]
    assert service["traffic_command"].endswith("--to-latest")
    assert env_of(emulator.state.get_service(API))["LOG_LEVEL"] == "info", "written"
    assert diff_code(cli, cfg, emulator, "staging") == 3


def test_pinned_traffic_on_a_revision_that_already_serves_the_manifest_is_in_sync(
    emulator, cli, configs
):
    """The old revision traffic is pinned to has the manifest's env: diff says in sync after
    the write, so apply does too (the same gate, so a second apply agrees)."""
    cfg = configs(staging=STAGING)
    seed_with_old_revision(
        emulator,
        "p-staging",
        "api",
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
        {"ENVIRONMENT": "staging", "LOG_LEVEL": "info"},
        [("api-00001-old", 100)],
    )
    result = apply_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 0, result.output
    assert result.json()["services"][0]["outcome"] == "applied"
    assert diff_code(cli, cfg, emulator, "staging") == 0


def test_a_normal_staging_apply_is_verified_in_sync(emulator, cli, configs):
    cfg = configs(staging=STAGING)
    emulator.state.put_service(
        service_message("p-staging", REGION, "api", {"ENVIRONMENT": "dev", "OLD": "1"})
    )
    result = apply_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 0, result.output
    document = result.json()
    assert document["services"][0]["outcome"] == "applied"
    assert document["services"][0]["removed_leaks"] == []
    assert document["verify"]["status"] == "in_sync"
    assert document["remaining_leaks"] == []
    assert env_of(emulator.state.get_service(API)) == {
        "ENVIRONMENT": "staging",
        "LOG_LEVEL": "info",
    }


# -- removing a leak is allowed -----------------------------------------------------------------


def leaky_backend(**extra_env: str) -> run_v2.Service:
    return service_message(
        "p-prod",
        REGION,
        "backend",
        {"ENVIRONMENT": "production", "E2E_TESTING": "1", "PYTEST_RUNNING": "1", **extra_env},
    )


def test_apply_removes_a_live_leak_in_production_and_verifies_it(emulator, cli, configs):
    cfg = configs(production=PRODUCTION)
    emulator.state.put_service(leaky_backend())
    assert diff_code(cli, cfg, emulator, "production") == 4
    result = apply_json(cli, cfg, emulator, "production")
    assert result.exit_code == 0, result.output
    (service,) = result.json()["services"]
    assert service["outcome"] == "applied"
    assert service["removed_leaks"] == ["E2E_TESTING", "PYTEST_RUNNING"]
    assert result.json()["verify"]["violations"] == []
    assert env_of(emulator.state.get_service(BACKEND)) == {
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "warning",
    }
    assert diff_code(cli, cfg, emulator, "production") == 0


def test_removal_is_said_in_text(emulator, cli, configs):
    cfg = configs(production=PRODUCTION)
    emulator.state.put_service(leaky_backend())
    result = cli("apply", "production", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0, result.output
    assert "removed leaked E2E variable(s) E2E_TESTING, PYTEST_RUNNING" in result.stdout
    assert "apply production: IN SYNC (exit 0)" in result.stdout


def test_a_dry_run_over_a_live_leak_is_still_exit_4(emulator, cli, configs):
    """Nothing is written, so live still leaks: the leak is not reported as mere drift."""
    cfg = configs(production=PRODUCTION)
    emulator.state.put_service(leaky_backend())
    result = apply_json(cli, cfg, emulator, "production", "--dry-run")
    assert result.exit_code == 4, result.output
    assert real_writes(emulator) == []
    assert result.json()["services"][0]["outcome"] == "pending"


def _unmanaged(emulator):
    emulator.state.put_service(
        service_message("p-prod", REGION, "legacy", {"E2E_TESTING": "1", "X": "1"})
    )
    return {
        "service": "legacy",
        "variable": "E2E_TESTING",
        "container": "app",
        "remedy": "gcloud run services update legacy --project p-prod --region us-central1 "
        "--remove-env-vars E2E_TESTING",
        "reason": "not managed",
    }


def _other_container(emulator):
    emulator.state.put_service(
        service_message(
            "p-prod",
            REGION,
            "backend",
            containers=[
                ("app", {"ENVIRONMENT": "production", "E2E_TESTING": "1"}, True),
                ("otel", {"E2E_TEST_ENV": "prod"}, False),
            ],
        )
    )
    return {
        "service": "backend",
        "variable": "E2E_TEST_ENV",
        "container": "otel",
        "remedy": "gcloud run services update backend --project p-prod --region us-central1 "
        "--container otel --remove-env-vars E2E_TEST_ENV",
        "reason": "not the managed container",
    }


def _ignored_name(emulator):
    emulator.state.put_service(leaky_backend(E2E_IGNORED_FLAG="on"))
    return {
        "service": "backend",
        "variable": "E2E_IGNORED_FLAG",
        "container": "app",
        "remedy": "gcloud run services update backend --project p-prod --region us-central1 "
        "--remove-env-vars E2E_IGNORED_FLAG",
        "reason": "ignores E2E_IGNORED_FLAG",
    }


def _old_serving_revision(emulator):
    seed_with_old_revision(
        emulator,
        "p-prod",
        "backend",
        {"ENVIRONMENT": "production", "E2E_TESTING": "1"},
        {"ENVIRONMENT": "production", "E2E_OAUTH_SIMULATION_KEY": "k"},
        [("backend-00001-old", 10), (None, 90)],
    )
    return {
        "service": "backend",
        "variable": "E2E_OAUTH_SIMULATION_KEY",
        "revision": "backend-00001-old",
        "percent": 10,
        "remedy": "gcloud run services update-traffic backend --project p-prod "
        "--region us-central1 --to-latest",
        "reason": "serves 10% of the traffic",
    }


def _traffic_pinned_to_the_current_revision(emulator):
    """The leak is on the template, but traffic is pinned to its revision by name: a write
    would leave that revision serving, leak included."""
    current = "backend-00003-cur"
    emulator.state.put_service(
        service_message(
            "p-prod",
            REGION,
            "backend",
            {"ENVIRONMENT": "production", "E2E_TESTING": "1"},
            latest_created_revision=current,
            traffic=[run_v2.TrafficTarget(type_=PINNED, revision=current, percent=100)],
        )
    )
    return {
        "service": "backend",
        "variable": "E2E_TESTING",
        "revision": current,
        "percent": 100,
        "remedy": "--to-latest",
        "reason": "serves 100% of the traffic",
    }


def _tagged_old_revision(emulator):
    """0% of the traffic, but a tag makes it reachable at its own URL."""
    old = "backend-00001-old"
    emulator.state.add_revision(
        run_v2.Revision(
            name=f"{BACKEND}/revisions/{old}",
            containers=list(
                service_message(
                    "p-prod", REGION, "backend", {"E2E_TESTING": "1"}
                ).template.containers
            ),
        )
    )
    emulator.state.put_service(
        service_message(
            "p-prod",
            REGION,
            "backend",
            {"ENVIRONMENT": "production", "E2E_TESTING": "1"},
            traffic=[
                run_v2.TrafficTarget(type_=LATEST, percent=100),
                run_v2.TrafficTarget(type_=PINNED, revision=old, percent=0, tag="canary"),
            ],
        )
    )
    return {
        "service": "backend",
        "variable": "E2E_TESTING",
        "revision": old,
        "percent": 0,
        "remedy": "gcloud run services update-traffic backend --project p-prod "
        "--region us-central1 --remove-tags canary",
        "reason": "reachable through its tag",
    }


@pytest.mark.parametrize(
    "seed",
    [
        _unmanaged,
        _tagged_old_revision,
        _other_container,
        _ignored_name,
        _old_serving_revision,
        _traffic_pinned_to_the_current_revision,
    ],
    ids=lambda f: f.__name__.strip("_"),
)
def test_leakage_apply_cannot_remove_is_exit_4_with_zero_writes(emulator, cli, configs, seed):
    manifest = PRODUCTION.replace(
        "region: us-central1\n", 'region: us-central1\n    ignore: ["E2E_IGNORED_*"]\n'
    )
    cfg = configs(production=manifest)
    if seed is _unmanaged:
        emulator.state.put_service(leaky_backend())  # removable, but not alone
    expected = seed(emulator)
    before = {name: emulator.state.get_service(name) for name in emulator.state.service_names()}
    emulator.reset_requests()

    result = apply_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4, result.output
    assert writes(emulator) == [], "not even a validate-only preflight"
    assert {n: emulator.state.get_service(n) for n in emulator.state.service_names()} == before
    document = result.json()
    assert "nothing was written" in document["note"]
    pieces = document["remaining_leaks"]
    match = [
        p
        for p in pieces
        if p["service"] == expected["service"] and p["variable"] == expected["variable"]
    ]
    assert match, pieces
    (piece,) = match
    assert expected["remedy"] in piece["remedy"]
    assert expected["reason"] in piece["reason"]
    for key in ("container", "revision", "percent"):
        if key in expected:
            assert piece[key] == expected[key], piece

    text = cli("apply", "production", "--yes", "--config-dir", str(cfg), emulator=emulator)
    assert text.exit_code == 4
    assert "LEAKAGE APPLY CANNOT REMOVE" in text.stdout
    assert expected["remedy"] in text.stdout
    assert writes(emulator) == []


def test_manifest_leakage_is_still_refused_with_zero_writes(emulator, cli, configs):
    cfg = configs(
        production=PRODUCTION.replace("LOG_LEVEL: warning", 'LOG_LEVEL: warning, E2E_TESTING: "1"')
    )
    emulator.state.put_service(leaky_backend())
    result = apply_json(cli, cfg, emulator, "production")
    assert result.exit_code == 4, result.output
    assert writes(emulator) == []
    assert result.json()["remaining_leaks"] == []


def test_the_final_guard_never_sends_an_e2e_variable_into_production(
    emulator, cli, configs, mocker
):
    """Someone adds an E2E variable to the sidecar while the plan is on screen: the update
    apply would send carries it, so nothing is sent at all."""
    cfg = configs(production=PRODUCTION)
    emulator.state.put_service(
        service_message(
            "p-prod",
            REGION,
            "backend",
            containers=[("app", {"ENVIRONMENT": "dev"}, True), ("otel", {"A": "1"}, False)],
        )
    )
    mocker.patch("deploytool.cli.stdin_is_terminal", return_value=True)

    def someone_adds_a_leak(*_args, **_kwargs) -> bool:
        emulator.state.set_env(
            BACKEND, [run_v2.EnvVar(name="E2E_TESTING", value="1")], container="otel"
        )
        return True

    mocker.patch("typer.confirm", side_effect=someone_adds_a_leak)
    result = cli("apply", "production", "-o", "json", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 4, result.output
    assert writes(emulator) == []
    (service,) = result.json()["services"]
    assert service["outcome"] == "refused"
    assert "E2E_TESTING (container otel)" in service["message"]


def test_a_tagged_older_revision_with_other_env_keeps_apply_off_green(emulator, cli, configs):
    cfg = configs(staging=STAGING)
    old = "api-00001-old"
    emulator.state.add_revision(
        run_v2.Revision(
            name=f"{API}/revisions/{old}",
            containers=list(
                service_message(
                    "p-staging", REGION, "api", {"LOG_LEVEL": "debug"}
                ).template.containers
            ),
        )
    )
    emulator.state.put_service(
        service_message(
            "p-staging",
            REGION,
            "api",
            {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug"},
            traffic=[
                run_v2.TrafficTarget(type_=LATEST, percent=100),
                run_v2.TrafficTarget(type_=PINNED, revision=old, percent=0, tag="canary"),
            ],
        )
    )
    result = apply_json(cli, cfg, emulator, "staging")
    assert result.exit_code == 3, result.output
    assert len(real_writes(emulator)) == 1, "the template was written"
    (service,) = result.json()["services"]
    assert service["outcome"] == "partially_serving"
    assert service["traffic_command"].endswith("--remove-tags canary")
    assert old in service["message"]
    assert diff_code(cli, cfg, emulator, "staging") == 3, "apply and diff agree"

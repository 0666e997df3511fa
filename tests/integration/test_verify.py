"""`deploytool verify` end to end: the CLI, the real google-cloud-run client reading each
service's `uri` from the emulator, and the app behind it: the emulator's stand-in apps
(`emulator --apps`) or a plain local HTTP/WebSocket server named by a state file's `uri`."""

from __future__ import annotations

import socket
import textwrap

import pytest
import yaml
from google.cloud import run_v2

from deploytool.emulator import Emulator, EmulatorState
from deploytool.emulator.apps import SSOT_FAILURE, AppFleet
from tests.conftest import service_message
from tests.integration.app_server import Answer, FakeApp

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
      services: [api]
    verify:
      path: /health
      e2e_flag: e2e_testing.enabled
      websocket: /ws
    services:
      api: {env: {ENVIRONMENT: staging}}
      web: {env: {ENVIRONMENT: staging}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    verify:
      path: /health
      e2e_flag: e2e_testing.enabled
    services:
      api: {env: {ENVIRONMENT: production}}
"""
# For the plain app: the flag, one expectation, the socket.
CHECKED = """
    project: p-staging
    region: us-central1
    e2e: {env: {E2E_TESTING: "1"}}
    verify:
      path: /health
      e2e_flag: e2e_testing.enabled
      expect: {database.status: ok}
      websocket: /ws
    services:
      api: {env: {ENVIRONMENT: staging}}
"""
HEALTHY = {"e2e_testing": {"enabled": True}, "database": {"status": "ok"}}


@pytest.fixture(autouse=True)
def short_hold(monkeypatch):
    # The contract's 2 s hold, shortened: the behaviour (a close during the hold) is the same.
    monkeypatch.setattr("deploytool.probe.websocket.HOLD_SECONDS", 0.3)


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


@pytest.fixture
def apps(emulator):
    with AppFleet(emulator.state) as fleet:
        yield fleet


def seed(emulator, project, name, env, **fields):
    emulator.state.put_service(service_message(project, "us-central1", name, env, **fields))


def verify(cli, emulator, cfg, *args):
    return cli("verify", *args, "--config-dir", str(cfg), emulator=emulator)


# -- against the emulator's stand-in apps --------------------------------------------------


def test_staging_app_with_the_e2e_set_agrees(emulator, apps, cli, cfg):
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging", "E2E_TESTING": "1"})
    result = verify(cli, emulator, cfg, "staging", "--service", "api", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = result.json()
    assert (doc["command"], doc["status"], doc["exit_code"]) == ("verify", "ok", 0)
    (service,) = doc["services"]
    assert service["url"].startswith("http://127.0.0.1:")
    assert [(c["check"], c["seen"], c["ok"]) for c in service["checks"]] == [
        ("e2e_testing.enabled", "true", True),
        ("websocket /ws", "open", True),
    ]


def test_staging_app_without_the_e2e_set_disagrees_and_its_socket_closes_1011(
    emulator, apps, cli, cfg
):
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging"})
    result = verify(cli, emulator, cfg, "staging", "--service", "api", "-o", "json")
    assert result.exit_code == 3, result.output
    (service,) = result.json()["services"]
    assert service["status"] == "disagrees"
    flag, ws = service["checks"]
    assert (flag["expected"], flag["seen"], flag["ok"]) == ("true", "false", False)
    assert (ws["close_code"], ws["close_reason"], ws["ok"]) == (1011, SSOT_FAILURE, False)


def test_text_report_names_the_close_code_and_reason(emulator, apps, cli, cfg):
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging"})
    result = verify(cli, emulator, cfg, "staging", "--service", "api")
    assert result.exit_code == 3
    assert "closed 1011 'Factory SSOT validation failed'" in result.stdout
    assert "verify staging: DISAGREES (exit 3)" in result.stdout


def test_flag_true_where_the_e2e_set_does_not_apply_is_exit_3(emulator, apps, cli, cfg):
    seed(emulator, "p-staging", "web", {"ENVIRONMENT": "staging", "E2E_TEST_ENV": "staging"})
    result = verify(cli, emulator, cfg, "staging", "--service", "web", "-o", "json")
    assert result.exit_code == 3, result.output
    flag = result.json()["services"][0]["checks"][0]
    assert (flag["expected"], flag["seen"]) == ("false", "true")


def test_flag_true_in_a_protected_environment_is_leakage(emulator, apps, cli, cfg):
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production", "E2E_TESTING": "1"})
    result = verify(cli, emulator, cfg, "production", "-o", "json")
    assert result.exit_code == 4, result.output
    assert result.json()["services"][0]["status"] == "leakage"


def test_flag_false_in_a_protected_environment_is_ok(emulator, apps, cli, cfg):
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production"})
    result = verify(cli, emulator, cfg, "production")
    assert result.exit_code == 0, result.output


def test_secret_backed_simulation_key_counts_as_set(emulator, apps, cli, cfg):
    env = {"ENVIRONMENT": "production", "E2E_OAUTH_SIMULATION_KEY": ("e2e-key", "latest")}
    seed(emulator, "p-prod", "api", env)
    assert verify(cli, emulator, cfg, "production").exit_code == 4


def test_the_app_follows_an_update_to_its_serving_revision(emulator, apps, cli, cfg):
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging"})
    assert verify(cli, emulator, cfg, "staging", "--service", "api").exit_code == 3
    emulator.state.set_env(
        "projects/p-staging/locations/us-central1/services/api",
        [
            run_v2.EnvVar(name="ENVIRONMENT", value="staging"),
            run_v2.EnvVar(name="E2E_TESTING", value="1"),
        ],
    )
    result = verify(cli, emulator, cfg, "staging", "--service", "api")
    assert result.exit_code == 0, result.output


def test_tag_reaches_the_tagged_revisions_app(emulator, apps, cli, cfg):
    name = "projects/p-staging/locations/us-central1/services/api"
    old = run_v2.Revision(
        name=f"{name}/revisions/api-00001-old",
        containers=[
            run_v2.Container(
                image="gcr.io/p/app:0",
                env=[run_v2.EnvVar(name="E2E_TESTING", value="1")],
                ports=[run_v2.ContainerPort(container_port=8080)],
            )
        ],
    )
    emulator.state.add_revision(old)
    latest = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    pinned = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
    traffic = [
        run_v2.TrafficTarget(type_=latest, percent=100),
        run_v2.TrafficTarget(type_=pinned, revision="api-00001-old", percent=0, tag="canary"),
    ]
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging"}, traffic=traffic)

    untagged = verify(cli, emulator, cfg, "staging", "--service", "api", "-o", "json")
    assert untagged.exit_code == 3, untagged.output
    tagged = verify(
        cli, emulator, cfg, "staging", "--service", "api", "--tag", "canary", "-o", "json"
    )
    assert tagged.exit_code == 0, tagged.output
    assert tagged.json()["tag"] == "canary"
    assert tagged.json()["services"][0]["url"] != untagged.json()["services"][0]["url"]


def test_a_missing_tag_is_exit_5_naming_it(emulator, apps, cli, cfg):
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging", "E2E_TESTING": "1"})
    result = verify(cli, emulator, cfg, "staging", "--service", "api", "--tag", "nope")
    assert result.exit_code == 5
    assert "has no traffic tag 'nope'" in result.stdout


def test_a_service_that_is_not_live_is_exit_5(emulator, apps, cli, cfg):
    result = verify(cli, emulator, cfg, "staging", "--service", "api")
    assert result.exit_code == 5
    assert "api is not live in p-staging/us-central1" in result.stdout


def test_no_verify_block_is_a_usage_error(emulator, cli, configs):
    cfg = configs(staging="project: p\nregion: r\nservices: {api: {}}\n")
    result = verify(cli, emulator, cfg, "staging")
    assert result.exit_code == 2
    assert "no verify: block" in result.stderr


# -- against a plain local app, named by a state file's uri --------------------------------


@pytest.fixture
def app():
    running = FakeApp()
    running.answer_json(HEALTHY)
    yield running
    running.stop()


@pytest.fixture
def plain(tmp_path, configs):
    """Start the emulator from a state file whose service `uri` is the given URL."""
    started: list[Emulator] = []

    def start(uri: str) -> Emulator:
        state = {
            "services": [
                {
                    "name": "projects/p-staging/locations/us-central1/services/api",
                    "uri": uri,
                    "template": {"containers": [{"image": "gcr.io/p/app:1"}]},
                }
            ]
        }
        path = tmp_path / "state.yaml"
        path.write_text(yaml.safe_dump(state), encoding="utf-8")
        emulator = Emulator(EmulatorState.from_file(path)).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.stop()


@pytest.fixture
def checked(configs):
    return configs(staging=CHECKED)


def test_plain_app_that_agrees_is_exit_0_and_gets_no_token_through_the_emulator(
    app, plain, cli, checked
):
    result = verify(cli, plain(app.url), checked, "staging")
    assert result.exit_code == 0, result.output
    assert app.headers_for("/health") and app.headers_for("/ws")
    assert all("authorization" not in h for _, h in app.seen)


def test_expect_mismatch_is_exit_3(app, plain, cli, checked):
    app.answer_json({"e2e_testing": {"enabled": True}, "database": {"status": "down"}})
    result = verify(cli, plain(app.url), checked, "staging", "-o", "json")
    assert result.exit_code == 3, result.output
    expect = result.json()["services"][0]["checks"][1]
    assert expect == {
        "check": "database.status",
        "expected": "ok",
        "seen": "down",
        "ok": False,
        "message": "the app reports another value at database.status",
    }


def test_a_transient_503_is_retried(app, plain, cli, checked):
    app.first = [Answer(503, b"starting"), Answer(502, b"")]
    result = verify(cli, plain(app.url), checked, "staging")
    assert result.exit_code == 0, result.output
    assert len(app.headers_for("/health")) == 3


def test_503_until_retries_run_out_is_exit_5(app, plain, cli, checked, monkeypatch):
    monkeypatch.setattr("deploytool.probe.retry.RETRY_SECONDS", 0.3)
    app.health = Answer(503, b"down")
    result = verify(cli, plain(app.url), checked, "staging")
    assert result.exit_code == 5
    assert "answered HTTP 503 (after retries)" in result.stdout


def test_non_json_answer_is_exit_5(app, plain, cli, checked):
    app.health = Answer(200, b"<html>login</html>", "text/html")
    result = verify(cli, plain(app.url), checked, "staging")
    assert result.exit_code == 5
    assert "not JSON (text/html)" in result.stdout


@pytest.mark.parametrize("status", [401, 403])
def test_refused_caller_is_exit_5_with_an_auth_hint(app, plain, cli, checked, status):
    app.health = Answer(status, b"{}")
    result = verify(cli, plain(app.url), checked, "staging", "-o", "json")
    assert result.exit_code == 5
    service = result.json()["services"][0]
    assert service["status"] == "error"
    assert service["http_status"] == status
    assert "no token is sent through the emulator" in service["hint"]


def test_an_app_that_does_not_answer_in_time_is_exit_5(app, plain, cli, checked):
    app.health = Answer(delay=10.0)
    result = verify(cli, plain(app.url), checked, "staging", "--timeout", "0.5")
    assert result.exit_code == 5
    assert "no answer within the timeout" in result.stdout


def test_connection_refused_is_exit_5(plain, cli, checked):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = verify(cli, plain(f"http://127.0.0.1:{port}"), checked, "staging")
    assert result.exit_code == 5
    assert "connection refused" in result.stdout


def test_socket_closed_1011_is_exit_3_with_code_and_reason(app, plain, cli, checked):
    app.close_code, app.close_reason = 1011, "Factory SSOT validation failed"
    result = verify(cli, plain(app.url), checked, "staging", "-o", "json")
    assert result.exit_code == 3, result.output
    ws = result.json()["services"][0]["checks"][-1]
    assert (ws["seen"], ws["close_code"], ws["close_reason"]) == (
        "closed 1011 'Factory SSOT validation failed'",
        1011,
        "Factory SSOT validation failed",
    )


def test_refused_upgrade_is_exit_5_with_an_auth_hint(app, plain, cli, checked):
    app.upgrade_status = 403
    result = verify(cli, plain(app.url), checked, "staging", "-o", "json")
    assert result.exit_code == 5
    ws = result.json()["services"][0]["checks"][-1]
    assert ws["http_status"] == 403 and "hint" in ws


def test_precedence_leakage_over_an_unreachable_socket(app, plain, cli, configs):
    cfg = configs(
        production=textwrap.dedent(CHECKED)
        .replace("p-staging", "p-prod")
        .replace('e2e: {env: {E2E_TESTING: "1"}}\n', "")
    )
    app.upgrade_status = 500
    state_app = plain(app.url)
    state_app.state.delete_service("projects/p-staging/locations/us-central1/services/api")
    state_app.state.put_service(
        run_v2.Service(
            name="projects/p-prod/locations/us-central1/services/api",
            uri=app.url,
            template=run_v2.RevisionTemplate(containers=[run_v2.Container(image="x")]),
        )
    )
    result = verify(cli, state_app, cfg, "production", "-o", "json")
    assert result.exit_code == 4, result.output

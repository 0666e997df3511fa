"""`apply` asks the app: with a `verify:` block, each written service's app is probed after the
rollout and the gate read-back, through the CLI, the real client and the emulator, against the
emulator's stand-in apps (`emulator --apps`) or a plain local app named by a state file."""

from __future__ import annotations

import json
import socket

import pytest
import yaml

from deploytool.emulator import Emulator, EmulatorState
from deploytool.emulator.apps import SSOT_FAILURE, AppFleet
from tests.conftest import service_message
from tests.integration.app_server import Answer, FakeApp

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    verify:
      path: /health
      e2e_flag: e2e_testing.enabled
      websocket: /ws
    services:
      api: {env: {ENVIRONMENT: staging}}
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
# Two services, both covered by verify, only one of which apply will write.
TWO = """
    project: p-staging
    region: us-central1
    verify:
      path: /health
      e2e_flag: e2e_testing.enabled
    services:
      api: {env: {ENVIRONMENT: staging}}
      web: {env: {ENVIRONMENT: staging}}
"""
NO_VERIFY = """
    project: p-staging
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: staging, LOG_LEVEL: info}}
"""
ENABLED = {"e2e_testing": {"enabled": True}}
DISABLED = {"e2e_testing": {"enabled": False}}


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    # Short socket hold and backoff: the behaviour (a close in the hold, polling) is the same.
    monkeypatch.setattr("deploytool.probe.websocket.HOLD_SECONDS", 0.05)
    monkeypatch.setattr("deploytool.commands.apply_app.BACKOFF_FIRST", 0.02)
    monkeypatch.setattr("deploytool.commands.apply_app.BACKOFF_MAX", 0.05)


@pytest.fixture
def app():
    running = FakeApp()
    yield running
    running.stop()


@pytest.fixture
def plain(tmp_path):
    """The emulator from a state file: each (project, service) → `uri`, env as given."""
    started: list[Emulator] = []

    def start(services: dict[tuple[str, str], tuple[str, dict[str, str]]]) -> Emulator:
        state = {
            "services": [
                {
                    "name": f"projects/{project}/locations/us-central1/services/{name}",
                    "uri": uri,
                    "template": {
                        "containers": [
                            {
                                "image": "gcr.io/p/app:1",
                                "env": [{"name": k, "value": v} for k, v in env.items()],
                            }
                        ]
                    },
                }
                for (project, name), (uri, env) in services.items()
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


def apply(cli, emulator, cfg, environment, *args):
    return cli("apply", environment, "--yes", "--config-dir", str(cfg), *args, emulator=emulator)


def trail(tmp_path):
    path = tmp_path / ".deploytool" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def refused_port() -> int:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- against the emulator's stand-in apps --------------------------------------------------


def test_the_app_agrees_after_the_write_is_exit_0(emulator, cli, configs, tmp_path):
    cfg = configs(staging=STAGING)
    emulator.state.put_service(
        service_message("p-staging", "us-central1", "api", {"ENVIRONMENT": "staging"})
    )
    with AppFleet(emulator.state):
        # Before the write the stand-in app reports the bypass off and closes the socket 1011.
        result = apply(cli, emulator, cfg, "staging", "-o", "json", "--verify-timeout", "5")
    assert result.exit_code == 0, result.output
    (service,) = result.json()["services"]
    assert service["outcome"] == "applied"
    app = service["app"]
    assert (app["status"], app["url"].startswith("http://127.0.0.1:")) == ("ok", True)
    assert [(c["check"], c["seen"], c["ok"]) for c in app["checks"]] == [
        ("e2e_testing.enabled", "true", True),
        ("websocket /ws", "open", True),
    ]
    assert "asking the app of 1 written service(s)" in result.stderr
    written, asked = trail(tmp_path)
    assert (written["outcome"], asked["outcome"]) == ("applied", "app_verified")
    assert (asked["service"], asked["app"]["status"]) == ("api", "ok")


def test_without_a_verify_block_no_app_is_asked(emulator, cli, configs, tmp_path):
    cfg = configs(staging=NO_VERIFY)
    emulator.state.put_service(
        service_message("p-staging", "us-central1", "api", {"ENVIRONMENT": "staging"})
    )
    result = apply(cli, emulator, cfg, "staging", "-o", "json")
    assert result.exit_code == 0, result.output
    assert result.json()["services"][0]["app"] is None
    assert [e["outcome"] for e in trail(tmp_path)] == ["applied"]


# -- against a plain local app ---------------------------------------------------------------


def test_an_app_that_keeps_disagreeing_is_unverified_exit_3_with_its_checks(
    app, plain, cli, configs, tmp_path
):
    app.answer_json(DISABLED)  # it never sees the E2E set, whatever is written
    app.close_code, app.close_reason = 1011, SSOT_FAILURE
    emulator = plain({("p-staging", "api"): (app.url, {})})
    cfg = configs(staging=STAGING)
    result = apply(cli, emulator, cfg, "staging", "-o", "json", "--verify-timeout", "0.5")
    assert result.exit_code == 3, result.output
    doc = result.json()
    assert (doc["status"], doc["verify"]["status"]) == ("drift", "in_sync")
    (service,) = doc["services"]
    assert service["outcome"] == "unverified"
    assert "its app does not agree" in service["message"]
    app_doc = service["app"]
    assert app_doc["status"] == "disagrees" and app_doc["probes"] > 1
    flag, ws = app_doc["checks"]
    assert (flag["expected"], flag["seen"], flag["ok"]) == ("true", "false", False)
    assert (ws["close_code"], ws["close_reason"]) == (1011, SSOT_FAILURE)
    asked = trail(tmp_path)[-1]
    assert (asked["outcome"], asked["app"]["status"]) == ("app_unverified", "disagrees")
    assert asked["app"]["checks"][0] == {
        "check": "e2e_testing.enabled",
        "expected": "true",
        "seen": "false",
        "ok": False,
    }


def test_the_text_report_names_the_checks_of_an_unverified_service(app, plain, cli, configs):
    app.answer_json(DISABLED)
    app.close_code, app.close_reason = 1011, SSOT_FAILURE
    emulator = plain({("p-staging", "api"): (app.url, {})})
    result = apply(cli, emulator, configs(staging=STAGING), "staging", "--verify-timeout", "0.3")
    assert result.exit_code == 3, result.output
    assert "unverified" in result.stdout
    assert "api: app DISAGREES after" in result.stdout
    assert "FAIL e2e_testing.enabled: expected true, seen false" in result.stdout
    assert "closed 1011 'Factory SSOT validation failed'" in result.stdout


def test_an_app_that_agrees_after_a_few_probes_is_exit_0(app, plain, cli, configs):
    # The first instances still serve the old env; the new ones agree on the third request.
    app.first = [Answer(200, json.dumps(DISABLED).encode()) for _ in range(2)]
    app.answer_json(ENABLED)
    emulator = plain({("p-staging", "api"): (app.url, {})})
    result = apply(
        cli, emulator, configs(staging=STAGING), "staging", "-o", "json", "--verify-timeout", "10"
    )
    assert result.exit_code == 0, result.output
    (service,) = result.json()["services"]
    assert (service["outcome"], service["app"]["status"]) == ("applied", "ok")
    assert service["app"]["probes"] == 3
    assert len(app.headers_for("/health")) == 3
    assert all("authorization" not in h for _, h in app.seen)  # no token through the emulator


def test_a_leak_the_app_sees_in_production_is_exit_4(app, plain, cli, configs):
    # Cloud Run holds no E2E variable after the write, but the app says the bypass is on.
    app.answer_json(ENABLED)
    emulator = plain({("p-prod", "api"): (app.url, {"ENVIRONMENT": "prod"})})
    cfg = configs(production=PRODUCTION)
    result = apply(cli, emulator, cfg, "production", "-o", "json", "--verify-timeout", "0.3")
    assert result.exit_code == 4, result.output
    doc = result.json()
    assert doc["verify"]["status"] == "in_sync"
    (service,) = doc["services"]
    assert (service["outcome"], service["app"]["status"]) == ("unverified", "leakage")
    assert service["app"]["checks"][0]["seen"] == "true"


def test_an_app_unreachable_for_the_whole_window_is_exit_5(plain, cli, configs, tmp_path):
    emulator = plain({("p-staging", "api"): (f"http://127.0.0.1:{refused_port()}", {})})
    result = apply(
        cli, emulator, configs(staging=STAGING), "staging", "-o", "json", "--verify-timeout", "0.3"
    )
    assert result.exit_code == 5, result.output
    (service,) = result.json()["services"]
    assert (service["outcome"], service["app"]["status"]) == ("unverified", "error")
    assert service["app"]["probes"] >= 1
    assert "connection refused" in service["message"]
    assert trail(tmp_path)[-1]["outcome"] == "app_unverified"


def test_a_service_apply_did_not_write_is_not_probed(plain, cli, configs):
    api, web = FakeApp(), FakeApp()
    try:
        api.answer_json(DISABLED)
        web.answer_json(DISABLED)
        emulator = plain(
            {
                ("p-staging", "api"): (api.url, {"ENVIRONMENT": "dev"}),
                ("p-staging", "web"): (web.url, {"ENVIRONMENT": "staging"}),  # already right
            }
        )
        result = apply(cli, emulator, configs(staging=TWO), "staging", "-o", "json")
        assert result.exit_code == 0, result.output
        apps = {s["service"]: s["app"] for s in result.json()["services"]}
        assert apps["api"]["status"] == "ok" and apps["web"] is None
        assert api.headers_for("/health") and web.seen == []
    finally:
        api.stop()
        web.stop()


def test_dry_run_never_probes(app, plain, cli, configs, tmp_path):
    app.answer_json(DISABLED)
    emulator = plain({("p-staging", "api"): (app.url, {})})
    result = apply(cli, emulator, configs(staging=STAGING), "staging", "--dry-run")
    assert result.exit_code == 3, result.output
    assert app.seen == []
    assert "asking the app" not in result.stderr


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_verify_timeout_must_be_finite_and_positive(emulator, cli, configs, value):
    result = apply(cli, emulator, configs(staging=STAGING), "staging", "--verify-timeout", value)
    assert result.exit_code == 2
    assert "--verify-timeout" in result.stderr

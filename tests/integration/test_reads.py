"""How reads behave when Cloud Run misbehaves (CONTRACT.md "Reaching Cloud Run" v2, and the v2
sentence of "Exit codes"): the default deadline, a refused emulator, a page token that comes
back, retries said on a terminal, and offline violations that stay exit 4 when nothing live
can be read. Through the CLI, the real google-cloud-run client and the emulator."""

from __future__ import annotations

import random
import re
import socket
from collections.abc import Callable

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: staging}}
"""
# A leak in the manifest itself: found offline, whatever live says.
PRODUCTION_LEAK = """
    project: p-prod
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: production, E2E_TESTING: "1"}}
"""
POLICY = """
    environments:
      staging: {projects: [p-staging]}
      production: {projects: [p-prod]}
"""
LIST = "list services in p-staging/us-central1"


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION_LEAK, policy=POLICY)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def refusing_host() -> dict[str, str]:
    return {"CLOUD_RUN_EMULATOR_HOST": f"127.0.0.1:{closed_port()}"}


def seed_staging(emulator, count: int = 1) -> None:
    for n in range(count):
        name = "api" if n == 0 else f"other-{n:02d}"
        emulator.state.put_service(
            service_message("p-staging", "us-central1", name, {"ENVIRONMENT": "staging"})
        )


def list_requests(emulator) -> int:
    return sum(1 for r in emulator.requests if r.path.endswith("/services") and r.method == "GET")


# -- 1. the default deadline -----------------------------------------------------------------


@pytest.mark.parametrize("command", [["diff", "staging"], ["audit"], ["apply", "staging"]])
def test_the_default_timeout_of_a_read_is_30_seconds(emulator, cli, cfg, mocker, command):
    from deploytool.cloudrun.gateway import CloudRunGateway

    seed_staging(emulator)
    built = mocker.spy(CloudRunGateway, "__init__")
    cli(*command, "--config-dir", str(cfg), emulator=emulator)
    settings = built.call_args.args[1]
    assert settings.timeout == 30.0
    help_text = cli(*command[:1], "--help", env={"COLUMNS": "200"}).stdout
    assert re.search(r"--timeout .*\[default: 30\.0\]", help_text)


# -- 2. a refused connection -----------------------------------------------------------------


@pytest.mark.parametrize("output", ["text", "json"])
def test_a_refused_emulator_host_is_exit_5_at_once_naming_the_host(cli, cfg, output):
    env = refusing_host()
    host = env["CLOUD_RUN_EMULATOR_HOST"]
    # The default --timeout (30 s): a refused emulator is not retried, so the run returns
    # after one attempt (the debug log would show an "attempt 2").
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", output, "--debug", env=env)
    assert result.exit_code == 5
    assert "Traceback" not in result.stdout
    assert f"the emulator host {host} (CLOUD_RUN_EMULATOR_HOST) refused" in result.output
    assert f"deploytool emulator --port {host.rsplit(':', 1)[1]}" in result.output
    assert "unset CLOUD_RUN_EMULATOR_HOST" in result.output
    assert "attempt 1 to" not in result.stderr and "attempt 2" not in result.stderr


def test_real_cloud_run_refusing_is_retried_but_a_refused_emulator_is_not():
    """The adapter's read retry, fed real errors from requests: a refusal then an answer."""
    import requests

    from deploytool.cloudrun.retrying import read_retry

    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        requests.get(f"http://127.0.0.1:{closed_port()}/", timeout=2)
    refused = caught.value
    dropped = requests.exceptions.ConnectionError(ConnectionResetError("reset by peer"))

    def flaky(error: Exception) -> Callable[[], int]:
        calls: list[int] = []

        def read() -> int:
            calls.append(1)
            if len(calls) == 1:
                raise error
            return len(calls)

        return read

    assert read_retry(5, emulator=False)(flaky(refused))() == 2
    with pytest.raises(requests.exceptions.ConnectionError):
        read_retry(5, emulator=True)(flaky(refused))()
    assert read_retry(5, emulator=True)(flaky(dropped))() == 2  # --drop stays transient


def test_an_api_down_everywhere_reports_within_the_timeout_with_a_word(emulator, cli, cfg):
    seed_staging(emulator)
    emulator.faults.inject_error("*", 503, 1.0)
    result = cli("diff", "staging", "--config-dir", str(cfg), "--timeout", "0.5", emulator=emulator)
    assert result.exit_code == 5
    assert f"gave up trying to {LIST} after retrying" in result.stdout
    assert list_requests(emulator) >= 2  # it did retry, then stopped at the deadline


# -- 3. a page token that comes back ---------------------------------------------------------


def test_a_list_read_across_pages_is_complete(emulator, cli, cfg, monkeypatch):
    from deploytool.cloudrun import gateway

    monkeypatch.setattr(gateway, "PAGE_SIZE", 2)
    seed_staging(emulator, count=5)
    result = cli("audit", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 0, result.output
    unmanaged = [u["service"] for u in result.json()["environments"][0]["unmanaged"]]
    assert unmanaged == ["other-01", "other-02", "other-03", "other-04"]
    assert list_requests(emulator) == 3


@pytest.mark.parametrize("page_size", [2, 500])
def test_a_page_token_that_comes_back_is_exit_5(emulator, cli, cfg, monkeypatch, page_size):
    from deploytool.cloudrun import gateway

    monkeypatch.setattr(gateway, "PAGE_SIZE", page_size)
    seed_staging(emulator, count=3)
    emulator.faults.repeat_page_token("services.list")
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 5
    doc = result.json()
    assert doc["status"] == "error"
    assert "same page token twice" in doc["errors"][0]["message"]
    assert list_requests(emulator) <= 3  # stopped, not followed forever


def test_the_repeat_page_token_fault_from_flags_and_state_file(cli, cfg, tmp_path):
    from deploytool.commands.emulator import FaultFlags
    from deploytool.emulator import Emulator, EmulatorState

    state = EmulatorState()
    FaultFlags(repeat_tokens=["*"]).apply_to(state)
    with Emulator(state) as running:
        seed_staging(running)
        assert cli("diff", "staging", "--config-dir", str(cfg), emulator=running).exit_code == 5

    path = tmp_path / "state.yaml"
    path.write_text("faults: {repeat_page_token: [services.list]}\n", encoding="utf-8")
    with Emulator(EmulatorState.from_file(str(path))) as running:
        seed_staging(running)
        result = cli("diff", "staging", "--config-dir", str(cfg), emulator=running)
        assert result.exit_code == 5
        assert "same page token twice" in result.stdout


def test_a_repeated_page_token_does_not_hide_a_violation(emulator, cli, cfg):
    emulator.faults.repeat_page_token("services.list")
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert (result.exit_code, result.json()["status"]) == (4, "leakage")
    assert result.json()["errors"]


# -- 4. retries said on a terminal -----------------------------------------------------------


def terminal(mocker, is_terminal: bool) -> None:
    mocker.patch("deploytool.cli_exec.stderr_is_terminal", return_value=is_terminal)


@pytest.mark.parametrize(
    ("status", "phrase"), [(503, "Service Unavailable"), (429, "Too Many Requests")]
)
def test_a_retried_read_is_announced_once_on_a_terminal(emulator, cli, cfg, mocker, status, phrase):
    terminal(mocker, True)
    seed_staging(emulator)
    emulator.faults.inject_error("services.list", status, 1.0)
    result = cli("diff", "staging", "--config-dir", str(cfg), "--timeout", "0.5", emulator=emulator)
    assert result.exit_code == 5
    lines = [line for line in result.stderr.splitlines() if line.startswith("retrying")]
    assert lines == [f"retrying {LIST} after {status} {phrase} (attempt 2)…"]
    assert list_requests(emulator) >= 2


def first_fault_then_none() -> int:
    """A seed whose first two dice at rate 0.5 fault the first request only."""
    return next(
        seed
        for seed in range(1000)
        if (lambda rng: rng.random() < 0.5 <= rng.random())(random.Random(seed))
    )


def test_a_read_that_recovers_is_announced_and_then_in_sync(emulator, cli, cfg, mocker):
    terminal(mocker, True)
    seed_staging(emulator)
    emulator.faults.reseed(first_fault_then_none()).inject_error("services.list", 503, 0.5)
    result = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0, result.output
    assert f"retrying {LIST} after 503 Service Unavailable (attempt 2)…" in result.stderr
    assert list_requests(emulator) == 2


def test_retries_are_silent_off_a_terminal(emulator, cli, cfg, mocker):
    terminal(mocker, False)
    seed_staging(emulator)
    emulator.faults.inject_error("services.list", 503, 1.0)
    result = cli("diff", "staging", "--config-dir", str(cfg), "--timeout", "0.5", emulator=emulator)
    assert result.exit_code == 5
    assert "retrying" not in result.stderr
    assert "attempt" not in result.stderr


def test_debug_shows_every_attempt(emulator, cli, cfg, mocker):
    terminal(mocker, False)
    seed_staging(emulator)
    emulator.faults.inject_error("services.list", 503, 1.0)
    result = cli(
        "diff",
        "staging",
        "--config-dir",
        str(cfg),
        "--timeout",
        "0.5",
        "--debug",
        emulator=emulator,
    )
    assert result.exit_code == 5
    attempts = re.findall(
        rf"attempt (\d+) to {LIST} failed: 503 Service Unavailable", result.stderr
    )
    assert [int(n) for n in attempts] == list(range(1, list_requests(emulator) + 1))


# -- 5. offline violations when nothing live can be read -------------------------------------


@pytest.fixture
def no_credentials(mocker):
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    mocker.patch.object(google.auth, "default", side_effect=DefaultCredentialsError("none"))


@pytest.mark.parametrize("unreadable", ["no-credentials", "refused"])
def test_offline_violations_are_exit_4_when_nothing_live_can_be_read(cli, cfg, request, unreadable):
    if unreadable == "no-credentials":
        request.getfixturevalue("no_credentials")
        env: dict[str, str] = {}
    else:
        env = refusing_host()
    diff = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", env=env)
    assert diff.exit_code == 4, diff.output
    doc = diff.json()
    assert doc["status"] == "leakage"
    assert [(v["rule"], v["variable"], v["source"]) for v in doc["violations"]] == [
        ("e2e-leakage", "E2E_TESTING", "manifest")
    ]
    assert [s["status"] for s in doc["services"]] == ["error"]  # the live part: read errors
    assert doc["errors"]

    audit = cli("audit", "--config-dir", str(cfg), "-o", "json", env=env)
    assert audit.exit_code == 4, audit.output
    by_env = {e["environment"]: e for e in audit.json()["environments"]}
    assert (by_env["production"]["status"], by_env["staging"]["status"]) == ("leakage", "error")

    apply = cli("apply", "production", "--yes", "--config-dir", str(cfg), env=env)
    assert apply.exit_code == 4, apply.output
    assert "nothing was written" in apply.output


@pytest.mark.parametrize("unreadable", ["no-credentials", "refused"])
def test_without_violations_nothing_readable_is_exit_5(cli, cfg, request, unreadable):
    if unreadable == "no-credentials":
        request.getfixturevalue("no_credentials")
        env: dict[str, str] = {}
    else:
        env = refusing_host()
    for args in (["diff", "staging"], ["audit", "staging"], ["apply", "staging", "--yes"]):
        result = cli(*args, "--config-dir", str(cfg), env=env)
        assert result.exit_code == 5, (args, result.output)
        assert "Traceback" not in result.output

"""State files (YAML and JSON), their errors, and serve() in the foreground."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2

from deploytool.emulator import Emulator, EmulatorState, StateFileError
from deploytool.errors import ExitCode, UsageError
from tests.emulator.conftest import BACKEND, env_of, services_client

STATE = {
    "services": [
        {
            "name": BACKEND,
            "labels": {"team": "chat"},
            "template": {
                "containers": [
                    {
                        "name": "backend",
                        "image": "gcr.io/x/backend:1",
                        "ports": [{"containerPort": 8080}],
                        "env": [
                            {"name": "ENVIRONMENT", "value": "staging"},
                            {
                                "name": "JWT_SECRET",
                                "valueSource": {
                                    "secretKeyRef": {"secret": "jwt-secret", "version": "3"}
                                },
                            },
                        ],
                    }
                ]
            },
        }
    ],
    "faults": {
        "fail_rollout": {BACKEND: "Container failed to start: boom"},
        "deny": ["projects/secret-proj"],
    },
}

YAML_STATE = f"""
services:
  - name: {BACKEND}
    labels: {{team: chat}}
    create_time: 2025-09-09T10:00:00Z   # unquoted: YAML makes it a datetime
    template:
      containers:
        - name: backend
          image: gcr.io/x/backend:1
          ports: [{{containerPort: 8080}}]
          env:
            - {{name: ENVIRONMENT, value: staging}}
            - name: JWT_SECRET
              valueSource: {{secretKeyRef: {{secret: jwt-secret, version: "3"}}}}
faults:
  fail_rollout: {{"{BACKEND}": "Container failed to start: boom"}}
  deny: ["projects/secret-proj"]
"""


@pytest.mark.parametrize(
    ("filename", "text"), [("s.yaml", YAML_STATE), ("s.json", json.dumps(STATE))]
)
def test_state_file_seeds_services_and_faults(tmp_path: Path, filename: str, text: str) -> None:
    path = tmp_path / filename
    path.write_text(text, encoding="utf-8")

    with Emulator(EmulatorState.from_file(path)) as emulator:
        client = services_client(emulator)
        service = client.get_service(name=BACKEND)
        with pytest.raises(exceptions.Forbidden):
            client.get_service(name="projects/secret-proj/locations/l/services/s")
        # A new image, so the update cuts a revision (an identical template would not).
        changed = run_v2.Service.deserialize(run_v2.Service.serialize(service))
        changed.template.containers[0].image = "gcr.io/x/backend:2"
        with pytest.raises(exceptions.FailedPrecondition, match="boom"):
            client.update_service(service=changed).result()

    assert env_of(service) == {"ENVIRONMENT": "staging", "JWT_SECRET": "jwt-secret:3"}
    assert service.labels == {"team": "chat"}
    if filename.endswith(".yaml"):
        assert service.create_time.year == 2025


def test_the_example_incident_state_loads() -> None:
    example = Path(__file__).parents[2] / "examples" / "incident-state.yaml"
    if not example.exists():
        pytest.skip("no example state in this checkout")
    assert len(EmulatorState.from_file(example).service_names()) >= 1


@pytest.mark.parametrize(
    ("filename", "text", "reason"),
    [
        ("s.yaml", "services: [\n", "invalid YAML"),
        ("s.json", "{", "invalid JSON at line 1"),
        ("s.yaml", "- a\n- b\n", "top level must be a mapping"),
        ("s.yaml", "service: []\n", "unknown key(s) service"),
        ("s.yaml", "services: {a: 1}\n", "services: must be a list"),
        ("s.yaml", "services: [{template: {}}]\n", "services[0]: 'name' is required"),
        ("s.yaml", "services: [{name: nope}]\n", "services[0]: not a service name"),
        ("s.yaml", f"services: [{{name: {BACKEND}, tmplate: {{}}}}]\n", "services[0]:"),
        ("s.yaml", f"services: [{{name: {BACKEND}}}, {{name: {BACKEND}}}]\n", "duplicate"),
        ("s.yaml", "revisions: [{name: projects/p/x}]\n", "revisions[0]: not a revision name"),
        ("s.yaml", "faults: {fail_rollout: {a: 1}}\n", "message must be a string"),
        ("s.yaml", "faults: {errors: [{route: nowhere, status: 503}]}\n", "unknown route"),
        ("s.yaml", "faults: {deny: projects/x}\n", "faults.deny must be a list"),
        ("s.yaml", b"services: [\xff]", "not UTF-8"),
    ],
)
def test_bad_state_file_is_a_usage_error_naming_file_and_reason(
    tmp_path: Path, filename: str, text: str | bytes, reason: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(text if isinstance(text, bytes) else text.encode())

    with pytest.raises(StateFileError) as info:
        EmulatorState.from_file(path)

    assert str(path) in str(info.value)
    assert reason in str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, UsageError)
    assert info.value.exit_code == ExitCode.USAGE


def test_missing_state_file(tmp_path: Path) -> None:
    with pytest.raises(StateFileError, match="no such file"):
        EmulatorState.from_file(tmp_path / "absent.yaml")


def test_empty_state_file_is_an_empty_state(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("", encoding="utf-8")
    assert EmulatorState.from_file(path).service_names() == []


def test_serve_runs_in_the_foreground_and_returns_on_ctrl_c(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text(json.dumps(STATE), encoding="utf-8")
    code = "from deploytool.emulator import serve; serve('127.0.0.1', 0, {!r}); print('bye')"
    process = subprocess.Popen(
        [sys.executable, "-c", code.format(str(path))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        host_port = line.split("CLOUD_RUN_EMULATOR_HOST=")[1].rstrip(")\n")
        assert line.startswith(f"Cloud Run emulator listening on http://{host_port} ")
        client = run_v2.ServicesClient(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options={"api_endpoint": f"http://{host_port}"},
        )
        assert client.get_service(name=BACKEND).name == BACKEND
        process.send_signal(signal.SIGINT)
        stdout, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert stdout.strip() == "bye"


def test_serve_with_a_bad_state_file_raises_before_listening(tmp_path: Path) -> None:
    from deploytool.emulator import serve

    with pytest.raises(StateFileError):
        serve("127.0.0.1", 0, str(tmp_path / "absent.yaml"))

"""Ctrl-C during `apply`: the first waits for rollouts in flight and starts nothing new, the
second abandons them; either way the report says what happened, the audit log stays whole,
and the exit code is 130."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deploytool.emulator import Emulator
from tests.conftest import service_message

ROOT = Path(__file__).resolve().parents[2]
NAMES = [f"svc-{i}" for i in range(4)]


@pytest.fixture
def slow_emulator():
    with Emulator(operation_delay=2.0) as emulator:
        for name in NAMES:
            emulator.state.put_service(
                service_message("p-staging", "us-central1", name, {"MODE": "old"})
            )
        yield emulator


def start_apply(emulator, tmp_path: Path) -> subprocess.Popen[str]:
    cfg = tmp_path / "configs"
    cfg.mkdir()
    (cfg / "staging.yaml").write_text(
        "project: p-staging\nregion: us-central1\nservices:\n"
        + "".join(f"  {n}: {{env: {{MODE: new}}}}\n" for n in NAMES),
        encoding="utf-8",
    )
    env = dict(os.environ, CLOUD_RUN_EMULATOR_HOST=emulator.host_port, NO_GCE_CHECK="True")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deploytool",
            "apply",
            "staging",
            "--yes",
            "--parallel",
            "2",
            "-o",
            "json",
            "--config-dir",
            str(cfg),
            "--audit-log",
            str(tmp_path / "audit.jsonl"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_writes(emulator, count: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        writes = [
            r
            for r in emulator.requests
            if r.method == "PATCH" and r.query.get("validateOnly") not in ("true", "True")
        ]
        if len(writes) >= count:
            return
        time.sleep(0.02)
    raise AssertionError("apply never started writing")


def changed(emulator) -> set[str]:
    out = set()
    for name in NAMES:
        svc = emulator.state.get_service(
            f"projects/p-staging/locations/us-central1/services/{name}"
        )
        if svc.template.containers[0].env[0].value == "new":
            out.add(name)
    return out


def audit_lines(tmp_path: Path) -> list[dict]:
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_first_ctrl_c_waits_for_in_flight_rollouts(slow_emulator, tmp_path):
    process = start_apply(slow_emulator, tmp_path)
    wait_for_writes(slow_emulator, 2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "Traceback" not in err
    assert "waiting for the rollouts already sent" in err
    doc = json.loads(out)
    outcomes = {s["service"]: s["outcome"] for s in doc["services"]}
    applied = {n for n, o in outcomes.items() if o == "applied"}
    assert sorted(outcomes.values()) == ["applied", "applied", "skipped", "skipped"]
    assert applied == changed(slow_emulator), "the report says exactly what changed"
    assert "interrupted: 2 applied, 2 not started" in doc["note"]
    assert {(e["service"], e["outcome"]) for e in audit_lines(tmp_path)} == {
        (n, "applied") for n in applied
    }


def test_second_ctrl_c_abandons_and_records_it(slow_emulator, tmp_path):
    process = start_apply(slow_emulator, tmp_path)
    wait_for_writes(slow_emulator, 2)
    process.send_signal(signal.SIGINT)
    time.sleep(0.3)
    began = time.monotonic()
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - began < 1.5, "abandoning does not wait for the rollouts"
    assert process.returncode == 130, err
    assert "Traceback" not in err
    doc = json.loads(out)
    assert sorted(s["outcome"] for s in doc["services"]) == [
        "interrupted",
        "interrupted",
        "skipped",
        "skipped",
    ]
    lines = audit_lines(tmp_path)
    assert sorted(e["outcome"] for e in lines) == ["interrupted", "interrupted"]
    # The updates were sent: Cloud Run finishes them on its own.
    time.sleep(2.5)
    in_flight = {s["service"] for s in doc["services"] if s["outcome"] == "interrupted"}
    assert changed(slow_emulator) == in_flight
    assert len(audit_lines(tmp_path)) == 2, "no thread appended after the report"

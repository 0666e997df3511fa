"""examples/jobs-state.yaml through the CLI: the job leak, the running execution's override
and the worker pool's old split are caught; the finished old execution is not reported."""

from __future__ import annotations

from pathlib import Path

from deploytool.emulator import Emulator, EmulatorState

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jobs-state.yaml"


def test_the_jobs_example_is_caught(cli, configs):
    cfg = configs(
        production="project: netra-prod\nregion: us-central1\njobs:\n  netra-migrate: {}\n"
    )
    with Emulator(EmulatorState.from_file(EXAMPLE)) as emulator:
        result = cli(
            "audit", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator
        )
    assert result.exit_code == 4
    (prod,) = result.json()["environments"]
    found = sorted(
        (v["kind"], v["service"], v["variable"], v.get("execution"), v.get("revision"))
        for v in prod["violations"]
    )
    assert found == [
        ("job", "netra-migrate", "E2E_TESTING", None, None),
        ("job", "netra-report", "E2E_OAUTH_SIMULATION_KEY", "netra-report-x7k2p", None),
        ("worker_pool", "netra-consumer", "PYTEST_RUNNING", None, "netra-consumer-00001-old"),
    ]
    assert {(u["kind"], u["name"]) for u in prod["unmanaged"]} == {
        ("job", "netra-report"),
        ("worker_pool", "netra-consumer"),
    }

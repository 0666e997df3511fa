"""The example state with a tagged production revision: the repository's own manifests say
IN SYNC for every template, and the gate still finds the tag."""

from __future__ import annotations

from pathlib import Path

from deploytool.emulator import Emulator, EmulatorState

ROOT = Path(__file__).parents[2]


def test_the_tagged_example_is_leakage_named_by_its_tag(cli):
    state = EmulatorState.from_file(ROOT / "examples" / "tagged-revision-state.yaml")
    with Emulator(state) as emulator:
        result = cli(
            "diff",
            "production",
            "--config-dir",
            str(ROOT / "configs"),
            "-o",
            "json",
            emulator=emulator,
        )
    assert result.exit_code == 4, result.output
    doc = result.json()
    statuses = {s["service"]: s["status"] for s in doc["services"]}
    # The template is in sync; the tagged revision lacks nothing but has E2E_TESTING extra.
    assert statuses == {"netra-auth-service": "in_sync", "netra-backend": "drift"}
    (violation,) = doc["violations"]
    assert (violation["revision"], violation["tag"], violation["variable"]) == (
        "netra-backend-00041-qa1",
        "qa",
        "E2E_TESTING",
    )
    assert "https://qa---netra-backend-" in violation["message"]

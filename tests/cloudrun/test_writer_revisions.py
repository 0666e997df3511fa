"""The write adapter against an emulator that cuts a revision only for a template change (as
Cloud Run does): a write that changes only deploytool's annotations neither hangs waiting for
a revision nor reports one it did not make."""

from __future__ import annotations

import pytest
from google.cloud import run_v2

from deploytool.cloudrun.connect import ConnectionSettings
from deploytool.cloudrun.gateway import CloudRunGateway
from deploytool.cloudrun.writer import build_update, fetch, send_update
from deploytool.core.fingerprint import APPLIED_ANNOTATION
from deploytool.core.model import EnvVar
from deploytool.emulator import Emulator, EmulatorState
from deploytool.errors import RolloutError

NAME = "projects/p-staging/locations/us-central1/services/backend"


def _state() -> EmulatorState:
    state = EmulatorState(seed=3)
    container = run_v2.Container(
        name="app", image="gcr.io/p/app:1", env=[run_v2.EnvVar(name="A", value="1")]
    )
    state.put_service(
        run_v2.Service(name=NAME, template=run_v2.RevisionTemplate(containers=[container]))
    )
    return state


def _annotation_only(gateway: CloudRunGateway) -> object:
    fetched = fetch(gateway, "p-staging", "us-central1", "backend")
    return build_update(fetched, "app", (EnvVar("A", value="1"),), {APPLIED_ANNOTATION: "{}"})


def test_an_annotation_only_write_returns_ready_without_a_new_revision() -> None:
    state = _state()
    with Emulator(state, operation_delay=0.05) as emulator:
        gateway = CloudRunGateway(ConnectionSettings(emulator_host=emulator.host_port, timeout=10))
        before = state.revision_names(NAME)

        live = send_update(
            gateway, _annotation_only(gateway), validate_only=False, rollout_timeout=5
        )

    assert live.ready is True
    assert live.annotations == ((APPLIED_ANNOTATION, "{}"),)
    assert state.revision_names(NAME) == before
    assert live.latest_created_revision == live.latest_ready_revision


def test_an_annotation_only_write_on_a_failed_service_names_no_new_revision() -> None:
    state = _state()
    state.set_fail_rollout(NAME, "The user-provided container failed to start.")
    state.set_env(NAME, [run_v2.EnvVar(name="A", value="2")])  # someone's failed deploy
    failed = state.get_service(NAME)
    assert failed is not None
    with Emulator(state) as emulator:
        gateway = CloudRunGateway(ConnectionSettings(emulator_host=emulator.host_port, timeout=10))
        fetched = fetch(gateway, "p-staging", "us-central1", "backend")
        update = build_update(fetched, "app", (EnvVar("A", value="2"),), {APPLIED_ANNOTATION: "{}"})

        with pytest.raises(RolloutError) as info:
            send_update(gateway, update, validate_only=False, rollout_timeout=5)

    short = failed.latest_created_revision.rsplit("/", 1)[1]
    assert "cut no new revision" in info.value.message
    assert short in info.value.message
    assert "new revision" not in info.value.message.replace("no new revision", "")

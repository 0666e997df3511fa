"""Updating through the real client: etag, revisions, validate_only, allow_missing, rollouts."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from google.api_core import exceptions
from google.cloud import run_v2
from google.protobuf import field_mask_pb2

from deploytool.emulator import Emulator, EmulatorState
from tests.emulator.conftest import BACKEND, PARENT, env_of, make_service, services_client

State = run_v2.Condition.State
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION


def _with_env(service: run_v2.Service, **env: str) -> run_v2.Service:
    """What deploytool's apply does: change the env of the read service, clear the revision."""
    service.template.containers[0].env = [run_v2.EnvVar(name=k, value=v) for k, v in env.items()]
    service.template.revision = ""
    return service


def test_update_changes_env_and_cuts_a_new_revision(
    state: EmulatorState, services: run_v2.ServicesClient, revisions: run_v2.RevisionsClient
) -> None:
    before = services.get_service(name=BACKEND)

    after = services.update_service(service=_with_env(before, ENVIRONMENT="prod")).result()

    assert env_of(after) == {"ENVIRONMENT": "prod"}
    assert after.etag != before.etag
    assert after.generation == 2
    assert after.uid == before.uid and after.create_time == before.create_time
    assert after.latest_created_revision != before.latest_created_revision
    assert after.latest_ready_revision == after.latest_created_revision
    assert after.terminal_condition.state == State.CONDITION_SUCCEEDED
    assert after.traffic_statuses[0].revision == after.latest_ready_revision.rsplit("/", 1)[1]
    assert env_of(revisions.get_revision(name=after.latest_ready_revision)) == {
        "ENVIRONMENT": "prod"
    }
    assert len(state.revision_names(BACKEND)) == 2
    assert services.get_service(name=BACKEND) == after


def test_stale_etag_is_a_conflict_and_changes_nothing(
    state: EmulatorState, services: run_v2.ServicesClient
) -> None:
    read = services.get_service(name=BACKEND)
    state.set_env(BACKEND, [run_v2.EnvVar(name="ENVIRONMENT", value="someone-else")])
    current = services.get_service(name=BACKEND)

    with pytest.raises(exceptions.Conflict, match=r"[Ee]tag"):
        services.update_service(service=_with_env(read, ENVIRONMENT="mine"))

    assert services.get_service(name=BACKEND) == current


def test_reusing_the_template_revision_name_is_a_conflict(services: run_v2.ServicesClient) -> None:
    read = services.get_service(name=BACKEND)
    stale = _with_env(read, ENVIRONMENT="x")
    stale.template.revision = read.latest_created_revision.rsplit("/", 1)[1]

    with pytest.raises(exceptions.Conflict, match="already exists"):
        services.update_service(service=stale)


def test_a_new_template_revision_name_is_used(services: run_v2.ServicesClient) -> None:
    service = _with_env(services.get_service(name=BACKEND), ENVIRONMENT="x")
    service.template.revision = "netra-backend-staging-custom"

    after = services.update_service(service=service).result()

    assert after.latest_ready_revision == f"{BACKEND}/revisions/netra-backend-staging-custom"


def test_validate_only_answers_the_would_be_service_and_changes_nothing(
    state: EmulatorState, services: run_v2.ServicesClient
) -> None:
    before = services.get_service(name=BACKEND)
    request = run_v2.UpdateServiceRequest(
        service=_with_env(services.get_service(name=BACKEND), ENVIRONMENT="prod"),
        validate_only=True,
    )

    operation = services.update_service(request=request)

    assert operation.done()
    assert env_of(operation.result()) == {"ENVIRONMENT": "prod"}
    assert services.get_service(name=BACKEND) == before
    assert len(state.revision_names(BACKEND)) == 1


def test_allow_missing_creates_and_its_absence_is_not_found(
    services: run_v2.ServicesClient,
) -> None:
    fresh = make_service(f"{PARENT}/services/fresh", env={"A": "1"})
    with pytest.raises(exceptions.NotFound):
        services.update_service(service=fresh)

    request = run_v2.UpdateServiceRequest(service=fresh, allow_missing=True)
    created = services.update_service(request=request).result()

    assert created.generation == 1
    assert created.uid and created.etag and created.uri
    assert env_of(services.get_service(name=fresh.name)) == {"A": "1"}


def test_update_mask_touches_only_the_named_fields(services: run_v2.ServicesClient) -> None:
    before = services.get_service(name=BACKEND)
    body = run_v2.Service(name=BACKEND, labels={"team": "core"})
    mask = field_mask_pb2.FieldMask(paths=["labels"])

    after = services.update_service(
        request=run_v2.UpdateServiceRequest(service=body, update_mask=mask)
    ).result()

    assert after.labels == {"team": "core"}
    assert env_of(after) == env_of(before)


def test_failing_rollout_raises_and_leaves_traffic_alone(
    state: EmulatorState, services: run_v2.ServicesClient, revisions: run_v2.RevisionsClient
) -> None:
    message = "Container failed to start: listen on PORT=8080 timed out"
    state.set_fail_rollout(BACKEND, message)
    before = services.get_service(name=BACKEND)

    operation = services.update_service(service=_with_env(before, ENVIRONMENT="bad"))
    with pytest.raises(exceptions.FailedPrecondition, match="Container failed to start") as info:
        operation.result()

    assert isinstance(info.value, exceptions.GoogleAPICallError)
    after = services.get_service(name=BACKEND)
    assert after.terminal_condition.state == State.CONDITION_FAILED
    # Cloud Run's words: "Revision 'R' is not ready and cannot serve traffic. <cause>"
    failed_name = after.latest_created_revision.rsplit("/", 1)[1]
    assert after.terminal_condition.message == (
        f"Revision '{failed_name}' is not ready and cannot serve traffic. {message}"
    )
    assert after.latest_ready_revision == before.latest_ready_revision
    assert after.latest_created_revision != before.latest_created_revision
    assert after.traffic_statuses == before.traffic_statuses
    failed = revisions.get_revision(name=after.latest_created_revision)
    assert failed.conditions[0].state == State.CONDITION_FAILED

    state.set_fail_rollout(BACKEND, None)
    fixed = services.update_service(service=_with_env(after, ENVIRONMENT="good")).result()
    assert fixed.terminal_condition.state == State.CONDITION_SUCCEEDED


def test_operation_delay_keeps_the_operation_running_until_it_elapses(
    state: EmulatorState, emulator: Emulator, services: run_v2.ServicesClient
) -> None:
    emulator.operation_delay = 0.3
    before = services.get_service(name=BACKEND)

    operation = services.update_service(service=_with_env(before, ENVIRONMENT="slow"))
    assert not operation.done()
    during = services.get_service(name=BACKEND)
    assert during.reconciling
    assert during.latest_ready_revision == before.latest_ready_revision
    time.sleep(0.35)

    assert operation.done()
    after = operation.result()
    assert after.latest_ready_revision == after.latest_created_revision
    assert env_of(after) == {"ENVIRONMENT": "slow"}
    assert any("/operations/" in r.path for r in emulator.requests)


def test_failed_rollout_after_a_delay_surfaces_when_polled(
    state: EmulatorState, emulator: Emulator, services: run_v2.ServicesClient
) -> None:
    emulator.operation_delay = 0.1
    state.set_fail_rollout(BACKEND, "Container failed to start.")
    operation = services.update_service(
        service=_with_env(services.get_service(name=BACKEND), ENVIRONMENT="bad")
    )
    assert not operation.done()
    time.sleep(0.15)

    with pytest.raises(exceptions.FailedPrecondition, match="Container failed to start"):
        operation.result()


def test_traffic_pinned_to_a_revision_stays_there(services: run_v2.ServicesClient) -> None:
    first = services.get_service(name=BACKEND)
    pinned_name = first.latest_ready_revision.rsplit("/", 1)[1]
    pin = _with_env(first, ENVIRONMENT="next")
    pin.traffic = [run_v2.TrafficTarget(type_=REVISION, revision=pinned_name, percent=100)]

    after = services.update_service(service=pin).result()

    assert after.latest_ready_revision != first.latest_ready_revision
    assert [(s.type_, s.revision, s.percent) for s in after.traffic_statuses] == [
        (REVISION, pinned_name, 100)
    ]


def test_traffic_to_an_unknown_revision_fails_in_the_operation(
    services: run_v2.ServicesClient,
) -> None:
    """Cloud Run accepts the update and reports the missing revision in the long-running
    operation (the emulator used to answer 400 at once)."""
    before = services.get_service(name=BACKEND)
    service = services.get_service(name=BACKEND)
    service.traffic = [run_v2.TrafficTarget(type_=REVISION, revision="ghost", percent=100)]

    operation = services.update_service(service=service)
    with pytest.raises(exceptions.GoogleAPICallError, match="ghost") as info:
        operation.result()

    after = services.get_service(name=BACKEND)
    assert info.value.code == 500  # google.rpc.Code 13, as Cloud Run reports it
    assert after.terminal_condition.state == State.CONDITION_FAILED
    assert after.traffic_statuses == before.traffic_statuses
    assert after.observed_generation == before.observed_generation
    assert after.latest_created_revision == before.latest_created_revision  # traffic only


def test_etag_race_from_the_fault_plan(emulator: Emulator, services: run_v2.ServicesClient) -> None:
    emulator.faults.race_etag(BACKEND)

    with pytest.raises(exceptions.Conflict):
        services.update_service(
            service=_with_env(services.get_service(name=BACKEND), ENVIRONMENT="a")
        )
    reread = services.get_service(name=BACKEND)
    after = services.update_service(service=_with_env(reread, ENVIRONMENT="a")).result()

    assert after.generation == 3  # the racing deploy was generation 2


def test_concurrent_read_modify_writes_serialize_on_the_etag(
    emulator: Emulator, state: EmulatorState
) -> None:
    """Eight writers race from one read: exactly one wins, the rest get 409, nothing tears."""
    read = services_client(emulator).get_service(name=BACKEND)

    def write(index: int) -> str:
        client = services_client(emulator)
        body = _with_env(run_v2.Service.deserialize(run_v2.Service.serialize(read)), N=str(index))
        try:
            client.update_service(service=body).result()
        except exceptions.Conflict:
            return "conflict"
        return "ok"

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(write, range(8)))

    assert sorted(outcomes) == ["conflict"] * 7 + ["ok"]
    final = state.get_service(BACKEND)
    assert final is not None and final.generation == 2
    assert len(state.revision_names(BACKEND)) == 2

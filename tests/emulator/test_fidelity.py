"""The emulator behaves as Cloud Run documents it where deploytool depends on it (issue 14):
revisions only for template changes, the last serving state kept after a failure, revisions
as Cloud Run fills them, AIP-193 errors, and the gaps it used to leave open."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from google.api import launch_stage_pb2
from google.api_core import exceptions
from google.cloud import run_v2
from google.protobuf import field_mask_pb2

from deploytool.emulator import Emulator, EmulatorState
from tests.emulator.conftest import BACKEND, PARENT, make_service

State = run_v2.Condition.State
Common = run_v2.Condition.CommonReason
RevisionReason = run_v2.Condition.RevisionReason
LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
GA = launch_stage_pb2.LaunchStage.GA
UNSPECIFIED = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_UNSPECIFIED


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _labels(s: run_v2.Service) -> None:
    s.labels["team"] = "chat"


def _annotations(s: run_v2.Service) -> None:
    s.annotations["deploytool.dev/applied-env"] = "{}"


def _nothing(s: run_v2.Service) -> None:
    pass


def _traffic(s: run_v2.Service) -> None:
    s.traffic = [
        run_v2.TrafficTarget(type_=REVISION, revision=_short(s.latest_ready_revision), percent=100)
    ]


def _env(s: run_v2.Service) -> None:
    s.template.containers[0].env = [run_v2.EnvVar(name="ENVIRONMENT", value="prod")]


def _image(s: run_v2.Service) -> None:
    s.template.containers[0].image = "gcr.io/netra/backend:2"


def _template_label(s: run_v2.Service) -> None:
    s.template.labels["release"] = "r2"


# (change, cuts a revision, moves generation/etag)
CHANGES: list[tuple[Callable[[run_v2.Service], None], bool, bool]] = [
    (_nothing, False, False),
    (_labels, False, True),
    (_annotations, False, True),
    (_traffic, False, True),
    (_env, True, True),
    (_image, True, True),
    (_template_label, True, True),
]


@pytest.mark.parametrize(
    ("change", "cuts", "moves"), CHANGES, ids=lambda v: getattr(v, "__name__", v)
)
def test_only_a_template_change_cuts_a_revision(
    state: EmulatorState,
    services: run_v2.ServicesClient,
    change: Callable[[run_v2.Service], None],
    cuts: bool,
    moves: bool,
) -> None:
    before = services.get_service(name=BACKEND)
    body = services.get_service(name=BACKEND)
    change(body)

    after = services.update_service(service=body).result()

    assert (after.latest_created_revision != before.latest_created_revision) is cuts
    assert len(state.revision_names(BACKEND)) == (2 if cuts else 1)
    assert (after.generation, after.etag != before.etag) == (
        before.generation + int(moves),
        moves,
    )
    assert after.observed_generation == after.generation
    assert after.terminal_condition.state == State.CONDITION_SUCCEEDED


def test_force_new_revision_cuts_one_from_an_unchanged_template(
    state: EmulatorState, emulator: Emulator, services: run_v2.ServicesClient
) -> None:
    """The REST reference's `forceNewRevision` query parameter (google-cloud-run has no
    field for it, so it is sent over plain HTTP)."""
    before = services.get_service(name=BACKEND)
    body = requests.get(f"{emulator.endpoint}/v2/{BACKEND}", timeout=5).json()

    answer = requests.patch(
        f"{emulator.endpoint}/v2/{BACKEND}?forceNewRevision=true", json=body, timeout=5
    )

    assert answer.status_code == 200 and answer.json()["done"] is True
    after = services.get_service(name=BACKEND)
    assert after.latest_created_revision != before.latest_created_revision
    assert after.latest_ready_revision == after.latest_created_revision
    assert len(state.revision_names(BACKEND)) == 2


def test_a_failed_rollout_keeps_reporting_the_last_serving_state(
    state: EmulatorState, services: run_v2.ServicesClient, revisions: run_v2.RevisionsClient
) -> None:
    before = services.get_service(name=BACKEND)
    assert [(c.type_, c.state) for c in before.conditions] == [
        ("RoutesReady", State.CONDITION_SUCCEEDED),
        ("ConfigurationsReady", State.CONDITION_SUCCEEDED),
    ]
    state.set_fail_rollout(BACKEND, "The user-provided container failed to start.")
    body = services.get_service(name=BACKEND)
    _env(body)

    with pytest.raises(exceptions.FailedPrecondition, match="failed to start"):
        services.update_service(service=body).result()

    after = services.get_service(name=BACKEND)
    failed = revisions.get_revision(name=after.latest_created_revision)
    assert after.generation == before.generation + 1
    assert after.observed_generation == before.observed_generation
    assert after.latest_ready_revision == before.latest_ready_revision
    assert after.traffic_statuses == before.traffic_statuses
    assert after.terminal_condition.state == State.CONDITION_FAILED
    assert after.terminal_condition.reason == Common.REVISION_FAILED
    assert [(c.type_, c.state, c.reason) for c in after.conditions] == [
        ("RoutesReady", State.CONDITION_SUCCEEDED, Common.COMMON_REASON_UNDEFINED),
        ("ConfigurationsReady", State.CONDITION_FAILED, Common.REVISION_FAILED),
    ]
    ready = next(c for c in failed.conditions if c.type_ == "Ready")
    assert ready.state == State.CONDITION_FAILED
    assert ready.revision_reason == RevisionReason.HEALTH_CHECK_CONTAINER_ERROR

    # An annotation-only write cuts nothing: the failed revision is still the latest, so the
    # service still reports the failure.
    again = services.get_service(name=BACKEND)
    _annotations(again)
    with pytest.raises(exceptions.FailedPrecondition, match="is not ready"):
        services.update_service(service=again).result()
    assert services.get_service(name=BACKEND).latest_created_revision == failed.name


def test_revisions_carry_what_cloud_run_puts_there(
    emulator: Emulator, services: run_v2.ServicesClient, revisions: run_v2.RevisionsClient
) -> None:
    body = services.get_service(name=BACKEND)
    body.template.labels["release"] = "r2"
    body.template.annotations["deploytool.dev/note"] = "x"

    after = services.update_service(service=body).result()
    revision = revisions.get_revision(name=after.latest_created_revision)

    assert revision.labels == {"release": "r2"}
    assert revision.annotations == {"deploytool.dev/note": "x"}
    assert revision.creator and revision.launch_stage == GA
    assert revision.execution_environment != run_v2.ExecutionEnvironment(0)
    container = revision.containers[0]
    assert dict(container.resources.limits) == {"cpu": "1000m", "memory": "512Mi"}
    assert [(p.name, p.container_port) for p in container.ports] == [("http1", 8080)]
    assert revision.timeout.total_seconds() == 300
    assert revision.max_instance_request_concurrency == 80
    raw = requests.get(f"{emulator.endpoint}/v2/{revision.name}", timeout=5).json()
    assert raw["containerStatuses"] == [
        {"name": "backend", "imageDigest": raw["containerStatuses"][0]["imageDigest"]}
    ]
    assert raw["containerStatuses"][0]["imageDigest"].startswith("gcr.io/netra/backend@sha256:")


def test_validate_only_answers_the_would_be_service_with_server_defaults(
    services: run_v2.ServicesClient,
) -> None:
    bare = make_service(f"{PARENT}/services/fresh")
    bare.template.containers[0].ports = []
    request = run_v2.UpdateServiceRequest(service=bare, validate_only=True, allow_missing=True)

    operation = services.update_service(request=request)
    would_be = operation.result()

    assert would_be.launch_stage == GA
    assert would_be.template.max_instance_request_concurrency == 80
    assert would_be.template.timeout.total_seconds() == 300
    assert dict(would_be.template.containers[0].resources.limits) == {
        "cpu": "1000m",
        "memory": "512Mi",
    }
    assert [(p.name, p.container_port) for p in would_be.template.containers[0].ports] == [
        ("http1", 8080)
    ]
    # Nothing was created, and the operation can still be read back.
    with pytest.raises(exceptions.NotFound):
        services.get_service(name=bare.name)
    polled = services.get_operation(request={"name": operation.operation.name})
    assert polled.done and polled.name == operation.operation.name


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        ("SERVICE", f"{PARENT}/services/ghost"),
        ("REVISION", f"{BACKEND}/revisions/netra-backend-staging-00009-zzz"),
    ],
)
def test_not_found_is_cloud_runs_text_with_an_error_info(
    services: run_v2.ServicesClient, revisions: run_v2.RevisionsClient, kind: str, name: str
) -> None:
    get = services.get_service if kind == "SERVICE" else revisions.get_revision
    with pytest.raises(exceptions.NotFound) as info:
        get(name=name)

    short = _short(name)
    assert info.value.message.endswith(
        f"Resource '{short}' of kind '{kind}' in region 'us-central1' in project "
        "'netra-staging' does not exist."
    )
    assert info.value.reason == "RESOURCE_NOT_FOUND"
    assert info.value.domain == "run.googleapis.com"
    assert info.value.metadata == {
        "resource": short,
        "kind": kind,
        "region": "us-central1",
        "project": "netra-staging",
    }


def test_400_and_409_carry_an_error_info(
    state: EmulatorState, services: run_v2.ServicesClient
) -> None:
    read = services.get_service(name=BACKEND)
    bad = services.get_service(name=BACKEND)
    bad.traffic = [run_v2.TrafficTarget(type_=LATEST, percent=50)]
    with pytest.raises(exceptions.BadRequest) as invalid:
        services.update_service(service=bad)
    assert (invalid.value.reason, invalid.value.metadata) == (
        "INVALID_TRAFFIC_PERCENT",
        {"total": "50"},
    )

    named = services.get_service(name=BACKEND)
    _env(named)
    named.template.revision = _short(read.latest_created_revision)
    with pytest.raises(exceptions.Conflict, match="with different configuration") as taken:
        services.update_service(service=named)
    assert taken.value.reason == "REVISION_ALREADY_EXISTS"
    assert taken.value.domain == "run.googleapis.com"

    state.redeploy(BACKEND)
    _env(read)
    with pytest.raises(exceptions.Conflict) as stale:
        services.update_service(service=read)
    assert stale.value.reason == "ETAG_MISMATCH"
    assert stale.value.response is not None
    assert stale.value.response.json()["error"]["status"] == "ABORTED"
    assert stale.value.metadata["etag"] == read.etag


def test_a_page_token_is_refused_on_another_parent(
    state: EmulatorState, emulator: Emulator
) -> None:
    for index in range(3):
        state.put_service(make_service(f"{PARENT}/services/svc-{index}"))
    other = "projects/netra-staging/locations/europe-west1"
    first = requests.get(f"{emulator.endpoint}/v2/{PARENT}/services?pageSize=2", timeout=5).json()

    same = requests.get(
        f"{emulator.endpoint}/v2/{PARENT}/services",
        params={"pageSize": 2, "pageToken": first["nextPageToken"]},
        timeout=5,
    )
    elsewhere = requests.get(
        f"{emulator.endpoint}/v2/{other}/services",
        params={"pageToken": first["nextPageToken"]},
        timeout=5,
    )

    assert same.status_code == 200 and len(same.json()["services"]) == 2
    assert elsewhere.status_code == 400
    assert elsewhere.json()["error"]["details"][0]["reason"] == "PAGE_TOKEN_MISMATCH"


@pytest.mark.parametrize(
    "where",
    ["labels", "template.labels", "template.annotations"],
)
def test_reserved_namespaces_are_refused(services: run_v2.ServicesClient, where: str) -> None:
    body = services.get_service(name=BACKEND)
    target = {
        "labels": body.labels,
        "template.labels": body.template.labels,
        "template.annotations": body.template.annotations,
    }[where]
    target["run.googleapis.com/launch-stage"] = "BETA"

    with pytest.raises(exceptions.BadRequest, match="reserved namespace") as info:
        services.update_service(service=body)
    assert info.value.reason == "RESERVED_KEY"


def test_reserved_service_annotations_are_refused_only_in_new_resources(
    state: EmulatorState, services: run_v2.ServicesClient
) -> None:
    seeded = make_service()
    seeded.annotations["run.googleapis.com/operation-id"] = "abc"
    state.put_service(seeded)
    kept = services.get_service(name=BACKEND)
    _env(kept)
    assert services.update_service(service=kept).result().annotations == {
        "run.googleapis.com/operation-id": "abc"
    }

    fresh = make_service(f"{PARENT}/services/fresh")
    fresh.annotations["run.googleapis.com/operation-id"] = "abc"
    request = run_v2.UpdateServiceRequest(service=fresh, allow_missing=True)
    with pytest.raises(exceptions.BadRequest, match="reserved namespace"):
        services.update_service(request=request)


def test_a_traffic_target_without_a_type_is_refused(services: run_v2.ServicesClient) -> None:
    body = services.get_service(name=BACKEND)
    body.traffic = [run_v2.TrafficTarget(type_=UNSPECIFIED, percent=100)]

    with pytest.raises(exceptions.BadRequest, match=r"traffic\[0\]\.type") as info:
        services.update_service(service=body)
    assert info.value.reason == "REQUIRED_FIELD"


def test_operations_can_be_listed_and_waited_on(
    emulator: Emulator, services: run_v2.ServicesClient
) -> None:
    from google.longrunning import operations_pb2

    emulator.operation_delay = 0.2
    body = services.get_service(name=BACKEND)
    _env(body)
    operation = services.update_service(service=body)
    name = operation.operation.name
    assert not operation.done()

    running = services.list_operations(
        request=operations_pb2.ListOperationsRequest(name=PARENT, filter="done:false")
    )
    waited = services.wait_operation(
        request=operations_pb2.WaitOperationRequest(name=name, timeout={"seconds": 5})
    )
    done = services.list_operations(
        request=operations_pb2.ListOperationsRequest(name=PARENT, filter="done:true")
    )

    assert [o.name for o in running.operations] == [name]
    assert waited.done and waited.name == name
    assert [o.name for o in done.operations] == [name]


def test_revisions_of_every_service_with_the_dash(
    state: EmulatorState, revisions: run_v2.RevisionsClient
) -> None:
    """ListRevisionsRequest.parent: "To list all Revisions across Services, use "-"."""
    state.put_service(make_service(f"{PARENT}/services/other"))

    listed = [r.service for r in revisions.list_revisions(parent=f"{PARENT}/services/-")]

    assert sorted(listed) == sorted([BACKEND, f"{PARENT}/services/other"])


def test_update_mask_on_labels_alone_cuts_no_revision(
    state: EmulatorState, services: run_v2.ServicesClient
) -> None:
    body = run_v2.Service(name=BACKEND, labels={"team": "core"})
    mask = field_mask_pb2.FieldMask(paths=["labels"])

    after = services.update_service(
        request=run_v2.UpdateServiceRequest(service=body, update_mask=mask)
    ).result()

    assert after.labels == {"team": "core"}
    assert len(state.revision_names(BACKEND)) == 1

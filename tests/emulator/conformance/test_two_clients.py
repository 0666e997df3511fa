"""The same scenarios through two independent clients: google-cloud-run (protobuf over REST)
and google-api-python-client's discovery `run v2` (plain JSON). Both must see the same
services, revisions, operations, errors and etag conflicts; the `run` fixture then checks
every answer against the discovery document's schemas."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from google.api_core import exceptions
from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.protobuf import json_format
from googleapiclient.errors import HttpError

from deploytool.emulator import Emulator, EmulatorState
from tests.emulator.conftest import BACKEND, PARENT, make_service


def as_json(message: Any) -> dict[str, Any]:
    """A google-cloud-run message as the JSON the discovery client gets."""
    pb = type(message).pb(message)
    result: dict[str, Any] = json_format.MessageToDict(pb)
    return result


def without_statuses(revision: dict[str, Any]) -> dict[str, Any]:
    """Revision.containerStatuses is in the REST reference, not in google-cloud-run's
    message: the one field only the discovery client sees."""
    return {k: v for k, v in revision.items() if k != "containerStatuses"}


def http_error(call: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(HttpError) as info:
        call.execute()
    return info.value.resp.status, json.loads(info.value.content)["error"]


def poll(run: Any, operation: dict[str, Any]) -> dict[str, Any]:
    for _ in range(100):
        if operation.get("done"):
            return operation
        time.sleep(0.02)
        operation = run.operations().get(name=operation["name"]).execute()
    raise AssertionError(f"operation {operation['name']} never finished")


def test_both_see_the_same_services_and_revisions(
    state: EmulatorState,
    run: Any,
    services: run_v2.ServicesClient,
    revisions: run_v2.RevisionsClient,
) -> None:
    for index in range(3):
        state.put_service(make_service(f"{PARENT}/services/svc-{index}"))

    assert as_json(services.get_service(name=BACKEND)) == run.services().get(name=BACKEND).execute()

    listed = [s.name for s in services.list_services(request={"parent": PARENT, "page_size": 2})]
    pages, token = [], None
    while True:
        page = run.services().list(parent=PARENT, pageSize=2, pageToken=token).execute()
        pages += [s["name"] for s in page["services"]]
        token = page.get("nextPageToken")
        if not token:
            break
    assert listed == pages and len(listed) == 4

    proto = list(revisions.list_revisions(parent=BACKEND))
    plain = run.services().revisions().list(parent=BACKEND).execute()["revisions"]
    assert [as_json(r) for r in proto] == [without_statuses(r) for r in plain]
    one = run.services().revisions().get(name=proto[0].name).execute()
    assert without_statuses(one) == as_json(revisions.get_revision(name=proto[0].name))
    assert [s["name"] for s in one["containerStatuses"]] == ["backend"]


def test_an_update_through_either_client_reads_back_the_same(
    state: EmulatorState, emulator: Emulator, run: Any, services: run_v2.ServicesClient
) -> None:
    emulator.operation_delay = 0.05
    body = run.services().get(name=BACKEND).execute()
    body["template"]["containers"][0]["env"] = [{"name": "ENVIRONMENT", "value": "prod"}]

    operation = poll(run, run.services().patch(name=BACKEND, body=body).execute())

    assert operation["response"]["@type"].endswith("google.cloud.run.v2.Service")
    after = services.get_service(name=BACKEND)
    assert as_json(after) == run.services().get(name=BACKEND).execute()
    assert {k: v for k, v in operation["response"].items() if k != "@type"} == as_json(after)
    assert len(state.revision_names(BACKEND)) == 2

    # Annotation-only through google-cloud-run: both see no new revision.
    after.annotations["deploytool.dev/applied-env"] = "{}"
    services.update_service(service=after).result()
    again = run.services().get(name=BACKEND).execute()
    assert again["latestCreatedRevision"] == after.latest_created_revision
    assert again["annotations"] == {"deploytool.dev/applied-env": "{}"}

    # Both list the same operations, and waiting on one answers it done through both.
    plain_ops = run.operations().list(name=PARENT).execute()["operations"]
    proto_ops = services.list_operations(
        request=operations_pb2.ListOperationsRequest(name=PARENT)
    ).operations
    assert [o["name"] for o in plain_ops] == [o.name for o in proto_ops]
    waited = run.operations().wait(name=operation["name"], body={"timeout": "1s"}).execute()
    proto_waited = services.wait_operation(
        request=operations_pb2.WaitOperationRequest(name=operation["name"])
    )
    assert waited["done"] is proto_waited.done is True


def test_force_new_revision_is_a_query_parameter_only_the_discovery_client_has(
    state: EmulatorState, run: Any
) -> None:
    body = run.services().get(name=BACKEND).execute()

    poll(run, run.services().patch(name=BACKEND, body=body).execute())
    assert len(state.revision_names(BACKEND)) == 1  # identical: nothing cut
    poll(run, run.services().patch(name=BACKEND, body=body, forceNewRevision=True).execute())
    assert len(state.revision_names(BACKEND)) == 2


def test_errors_are_the_same_through_both_clients(
    state: EmulatorState, run: Any, services: run_v2.ServicesClient
) -> None:
    ghost = f"{PARENT}/services/ghost"
    status, error = http_error(run.services().get(name=ghost))
    with pytest.raises(exceptions.NotFound) as missing:
        services.get_service(name=ghost)
    assert status == 404 and error["status"] == "NOT_FOUND"
    assert missing.value.message.endswith(error["message"])
    assert missing.value.reason == error["details"][0]["reason"] == "RESOURCE_NOT_FOUND"

    bad = run.services().get(name=BACKEND).execute()
    bad["traffic"] = [{"type": "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", "percent": 50}]
    status, error = http_error(run.services().patch(name=BACKEND, body=bad))
    proto_bad = services.get_service(name=BACKEND)
    proto_bad.traffic = [run_v2.TrafficTarget(type_=1, percent=50)]
    with pytest.raises(exceptions.BadRequest) as invalid:
        services.update_service(service=proto_bad)
    assert status == 400 and invalid.value.message.endswith(error["message"])
    assert invalid.value.reason == error["details"][0]["reason"]


def test_an_etag_conflict_is_the_same_through_both_clients(
    state: EmulatorState, run: Any, services: run_v2.ServicesClient
) -> None:
    plain = run.services().get(name=BACKEND).execute()
    proto = services.get_service(name=BACKEND)
    assert plain["etag"] == proto.etag
    state.redeploy(BACKEND)  # someone else deploys meanwhile

    plain["labels"] = {"team": "a"}
    status, error = http_error(run.services().patch(name=BACKEND, body=plain))
    proto.labels["team"] = "a"
    with pytest.raises(exceptions.Conflict) as conflict:
        services.update_service(service=proto)

    assert status == 409 and error["status"] == "ABORTED"
    assert conflict.value.reason == error["details"][0]["reason"] == "ETAG_MISMATCH"
    assert services.get_service(name=BACKEND).labels == {}


def test_a_failed_rollout_and_validate_only_through_both_clients(
    state: EmulatorState, run: Any, services: run_v2.ServicesClient
) -> None:
    body = run.services().get(name=BACKEND).execute()
    body["template"]["containers"][0]["image"] = "gcr.io/netra/backend:2"
    would_be = poll(run, run.services().patch(name=BACKEND, body=body, validateOnly=True).execute())
    assert would_be["response"]["template"]["maxInstanceRequestConcurrency"] == 80
    assert len(state.revision_names(BACKEND)) == 1

    state.set_fail_rollout(BACKEND, "The user-provided container failed to start.")
    failed = poll(run, run.services().patch(name=BACKEND, body=body).execute())
    proto_view = services.get_operation(request={"name": failed["name"]})
    proto = services.get_service(name=BACKEND)
    proto.template.containers[0].image = "gcr.io/netra/backend:3"
    with pytest.raises(exceptions.FailedPrecondition) as proto_failed:
        services.update_service(service=proto).result()

    assert failed["error"]["code"] == proto_view.error.code == 9
    assert failed["error"]["message"] == proto_view.error.message
    assert "failed to start" in failed["error"]["message"]
    assert "is not ready" in proto_failed.value.message
    seen = run.services().get(name=BACKEND).execute()
    assert [c["type"] for c in seen["conditions"]] == ["RoutesReady", "ConfigurationsReady"]
    assert seen["conditions"][1]["reason"] == "REVISION_FAILED"
    assert seen["observedGeneration"] == "1" and seen["generation"] == "3"

"""Reading through the real client: list with pagination, get, revisions, raw HTTP edges."""

from __future__ import annotations

import pytest
import requests
from google.api_core import exceptions
from google.cloud import run_v2

from deploytool.emulator import Emulator, EmulatorState
from tests.emulator.conftest import (
    BACKEND,
    PARENT,
    env_of,
    make_service,
    revisions_client,
    services_client,
)

LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
State = run_v2.Condition.State


def _list_requests(emulator: Emulator) -> list[dict[str, str]]:
    return [
        r.query for r in emulator.requests if r.method == "GET" and r.path.endswith("/services")
    ]


@pytest.mark.parametrize(
    ("page_size", "expected_requests"), [(100, 3), (0, 3), (1000, 1), (5000, 1)]
)
def test_list_paginates_sorted_by_name(
    state: EmulatorState,
    emulator: Emulator,
    services: run_v2.ServicesClient,
    page_size: int,
    expected_requests: int,
) -> None:
    for index in range(249):
        state.put_service(make_service(f"{PARENT}/services/svc-{index:03d}"))
    emulator.reset_requests()

    request = run_v2.ListServicesRequest(parent=PARENT, page_size=page_size)
    listed = [s.name for s in services.list_services(request=request)]

    assert len(listed) == 250
    assert listed == sorted(listed)
    queries = _list_requests(emulator)
    assert len(queries) == expected_requests
    assert "pageToken" not in queries[0]
    assert all(q.get("pageToken") for q in queries[1:])


def test_list_only_the_parents_location_and_refuses_the_dash_wildcard(
    state: EmulatorState, services: run_v2.ServicesClient
) -> None:
    """ListServicesRequest.parent "cannot be the "-" wildcard" (the emulator used to accept
    it and list every region)."""
    state.put_service(make_service("projects/netra-staging/locations/europe-west1/services/eu"))
    state.put_service(make_service("projects/other/locations/us-central1/services/x"))

    here = [s.name for s in services.list_services(parent=PARENT)]
    with pytest.raises(exceptions.BadRequest, match="wildcard") as info:
        list(services.list_services(parent="projects/netra-staging/locations/-"))

    assert here == [BACKEND]
    assert info.value.reason == "LOCATION_WILDCARD_UNSUPPORTED"
    assert info.value.domain == "run.googleapis.com"


def test_list_with_bad_page_token_is_invalid_argument(services: run_v2.ServicesClient) -> None:
    request = run_v2.ListServicesRequest(parent=PARENT, page_token="not-a-token!")
    with pytest.raises(exceptions.BadRequest):
        list(services.list_services(request=request))


def test_get_returns_a_seeded_service_completed_like_cloud_run(
    services: run_v2.ServicesClient,
) -> None:
    service = services.get_service(name=BACKEND)

    assert env_of(service) == {"ENVIRONMENT": "staging", "JWT_SECRET": "jwt-secret:3"}
    assert service.generation == 1
    assert service.etag
    assert service.latest_created_revision.startswith(
        f"{BACKEND}/revisions/netra-backend-staging-00001-"
    )
    assert service.latest_ready_revision == service.latest_created_revision
    assert service.terminal_condition.state == State.CONDITION_SUCCEEDED
    [status] = service.traffic_statuses
    assert (status.type_, status.percent) == (LATEST, 100)
    assert status.revision == service.latest_ready_revision.rsplit("/", 1)[1]


def test_get_missing_service_is_not_found(services: run_v2.ServicesClient) -> None:
    with pytest.raises(exceptions.NotFound, match="nope"):
        services.get_service(name=f"{PARENT}/services/nope")


def test_revisions_get_and_list_newest_first_paginated(
    state: EmulatorState, services: run_v2.ServicesClient, revisions: run_v2.RevisionsClient
) -> None:
    state.set_env(BACKEND, [run_v2.EnvVar(name="ENVIRONMENT", value="v2")])
    state.set_env(BACKEND, [run_v2.EnvVar(name="ENVIRONMENT", value="v3")])

    request = run_v2.ListRevisionsRequest(parent=BACKEND, page_size=2)
    listed = list(revisions.list_revisions(request=request))
    latest = revisions.get_revision(name=listed[0].name)

    assert [r.generation for r in listed] == [3, 2, 1]
    assert env_of(latest) == {"ENVIRONMENT": "v3"}
    assert latest.service == BACKEND
    assert latest.conditions[0].state == State.CONDITION_SUCCEEDED
    assert services.get_service(name=BACKEND).latest_ready_revision == latest.name
    with pytest.raises(exceptions.NotFound):
        revisions.get_revision(name=f"{BACKEND}/revisions/netra-backend-staging-00009-zzz")


def test_seed_with_traffic_pinned_to_an_old_revision() -> None:
    old = f"{BACKEND}/revisions/netra-backend-staging-00001-old"
    state = EmulatorState.from_dict(
        {
            "revisions": [
                {
                    "name": old,
                    "containers": [
                        {"image": "gcr.io/x:0", "env": [{"name": "E2E_TESTING", "value": "1"}]}
                    ],
                }
            ],
            "services": [
                {
                    "name": BACKEND,
                    "generation": 2,
                    "template": {
                        "containers": [
                            {"image": "gcr.io/x:1", "env": [{"name": "A", "value": "new"}]}
                        ]
                    },
                    "traffic": [
                        {
                            "type": "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION",
                            "revision": "netra-backend-staging-00001-old",
                            "percent": 100,
                        }
                    ],
                }
            ],
        }
    )
    with Emulator(state) as emulator:
        service = services_client(emulator).get_service(name=BACKEND)
        [status] = service.traffic_statuses
        serving = revisions_client(emulator).get_revision(
            name=f"{BACKEND}/revisions/{status.revision}"
        )

    assert status.type_ == REVISION
    assert env_of(serving) == {"E2E_TESTING": "1"}
    assert env_of(service) == {"A": "new"}
    assert service.latest_created_revision.rsplit("/", 1)[1].startswith(
        "netra-backend-staging-00002-"
    )


def test_seed_whose_latest_created_revision_is_not_ready(
    state: EmulatorState, revisions: run_v2.RevisionsClient, services: run_v2.ServicesClient
) -> None:
    name = f"{PARENT}/services/broken"
    state.add_revision(
        run_v2.Revision(
            name=f"{name}/revisions/broken-00001-abc",
            containers=[run_v2.Container(image="gcr.io/x:1")],
        )
    )
    seed = make_service(name)
    seed.generation = 2
    seed.latest_created_revision = "broken-00002-xyz"
    seed.latest_ready_revision = "broken-00001-abc"
    state.put_service(seed)

    service = services.get_service(name=name)
    created = revisions.get_revision(name=service.latest_created_revision)

    assert service.latest_created_revision == f"{name}/revisions/broken-00002-xyz"
    assert service.latest_ready_revision == f"{name}/revisions/broken-00001-abc"
    assert service.terminal_condition.state == State.CONDITION_FAILED
    assert created.conditions[0].state == State.CONDITION_FAILED
    assert service.traffic_statuses[0].revision == "broken-00001-abc"


def test_json_is_camel_case_with_int64_strings_and_enum_names(emulator: Emulator) -> None:
    body = requests.get(f"{emulator.endpoint}/v2/{BACKEND}", timeout=5).json()

    assert body["generation"] == "1"
    assert body["terminalCondition"]["state"] == "CONDITION_SUCCEEDED"
    assert "latestReadyRevision" in body


@pytest.mark.parametrize(
    ("method", "path", "body", "code", "status"),
    [
        ("GET", "/v2/projects/p/nothing", None, 404, "NOT_FOUND"),
        ("POST", f"/v2/{PARENT}/services", "{}", 405, "UNIMPLEMENTED"),
        ("DELETE", f"/v2/{BACKEND}", None, 405, "UNIMPLEMENTED"),
        ("PATCH", f"/v2/{BACKEND}", "{not json", 400, "INVALID_ARGUMENT"),
        ("PATCH", f"/v2/{BACKEND}", '{"template": {"bogus": 1}}', 400, "INVALID_ARGUMENT"),
        ("PATCH", f"/v2/{BACKEND}", '{"template": {"containers": []}}', 400, "INVALID_ARGUMENT"),
        ("GET", f"/v2/{PARENT}/services?pageSize=-1", None, 400, "INVALID_ARGUMENT"),
    ],
)
def test_errors_are_google_json(
    emulator: Emulator, method: str, path: str, body: str | None, code: int, status: str
) -> None:
    response = requests.request(method, f"{emulator.endpoint}{path}", data=body, timeout=5)

    assert response.status_code == code
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (code, status)
    assert error["message"]

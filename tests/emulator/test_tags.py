"""Traffic tags through the real client: tagged targets appear in traffic_statuses even at 0 %,
each with its own URL; tags are unique per service; the service has Cloud Run-shaped URLs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from google.api_core import exceptions
from google.cloud import run_v2

from deploytool.emulator import Emulator, EmulatorState, StateFileError
from deploytool.emulator.urls import region_code, service_uri, tag_url
from tests.emulator.conftest import BACKEND, make_service, services_client

LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
HOST = re.compile(r"^https://netra-backend-staging-[a-z2-7]{10}-uc\.a\.run\.app$")


def _tag_old_revision(services: run_v2.ServicesClient, tag: str = "canary") -> tuple[str, str]:
    """Deploy a new revision through a PATCH that keeps the first one reachable by `tag`.
    Returns (old revision, new revision)."""
    first = services.get_service(name=BACKEND)
    old = first.latest_ready_revision.rsplit("/", 1)[1]
    first.template.containers[0].env = [run_v2.EnvVar(name="ENVIRONMENT", value="next")]
    first.template.revision = ""
    first.traffic = [
        run_v2.TrafficTarget(type_=LATEST, percent=100),
        run_v2.TrafficTarget(type_=REVISION, revision=old, percent=0, tag=tag),
    ]
    after = services.update_service(service=first).result()
    return old, after.latest_ready_revision.rsplit("/", 1)[1]


def test_service_uri_has_cloud_runs_shape(services: run_v2.ServicesClient) -> None:
    service = services.get_service(name=BACKEND)
    assert HOST.match(service.uri), service.uri
    assert service.uri in service.urls
    assert any(
        re.match(r"^https://netra-backend-staging-\d{12}\.us-central1\.run\.app$", u)
        for u in service.urls
    )
    # Stable: the same project and service always get the same URL.
    assert service.uri == service_uri("netra-backend-staging", "netra-staging", "us-central1")


def test_a_tagged_zero_percent_target_is_listed_with_its_url(
    services: run_v2.ServicesClient,
) -> None:
    old, new = _tag_old_revision(services)
    after = services.get_service(name=BACKEND)
    statuses = [(s.revision, s.percent, s.tag, s.uri) for s in after.traffic_statuses]
    host = after.uri.removeprefix("https://")
    assert statuses == [
        (new, 100, "", ""),
        (old, 0, "canary", f"https://canary---{host}"),
    ]


def test_a_tag_used_twice_is_invalid(services: run_v2.ServicesClient) -> None:
    service = services.get_service(name=BACKEND)
    old = service.latest_ready_revision.rsplit("/", 1)[1]
    service.traffic = [
        run_v2.TrafficTarget(type_=LATEST, percent=100, tag="same"),
        run_v2.TrafficTarget(type_=REVISION, revision=old, percent=0, tag="same"),
    ]
    with pytest.raises(exceptions.BadRequest, match="used more than once"):
        services.update_service(service=service)


@pytest.mark.parametrize("tag", ["Canary", "1st", "has_underscore", "ends-", "x" * 64])
def test_a_tag_that_is_no_dns_label_is_invalid(services: run_v2.ServicesClient, tag: str) -> None:
    service = services.get_service(name=BACKEND)
    service.traffic = [run_v2.TrafficTarget(type_=LATEST, percent=100, tag=tag)]
    with pytest.raises(exceptions.BadRequest, match="not a valid tag"):
        services.update_service(service=service)


def test_set_traffic_moves_tags_without_cutting_a_revision(
    state: EmulatorState, emulator: Emulator
) -> None:
    services = services_client(emulator)
    old, new = _tag_old_revision(services)
    revisions_before = state.revision_names(BACKEND)
    state.set_traffic(
        BACKEND,
        [
            run_v2.TrafficTarget(type_=REVISION, revision=new, percent=90, tag="current"),
            run_v2.TrafficTarget(type_=REVISION, revision=old, percent=10),
        ],
    )
    after = services.get_service(name=BACKEND)
    assert state.revision_names(BACKEND) == revisions_before
    assert [(s.revision, s.percent, s.tag) for s in after.traffic_statuses] == [
        (new, 90, "current"),
        (old, 10, ""),
    ]
    assert after.traffic_statuses[0].uri == tag_url(after.uri, "current")
    with pytest.raises(ValueError, match="add up to 100"):
        state.set_traffic(BACKEND, [run_v2.TrafficTarget(type_=LATEST, percent=50)])


def test_a_state_file_seeds_tags(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(
        f"""
revisions:
  - name: {BACKEND}/revisions/netra-backend-staging-00001-old
    containers: [{{image: gcr.io/x/app:0, env: [{{name: E2E_TESTING, value: "1"}}]}}]
services:
  - name: {BACKEND}
    template: {{containers: [{{image: gcr.io/x/app:1}}]}}
    traffic:
      - {{type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100}}
      - {{revision: netra-backend-staging-00001-old, percent: 0, tag: canary}}
""",
        encoding="utf-8",
    )
    with Emulator(EmulatorState.from_file(path)) as running:
        service = services_client(running).get_service(name=BACKEND)
    tagged = [s for s in service.traffic_statuses if s.tag]
    assert [(s.revision, s.percent, s.tag) for s in tagged] == [
        ("netra-backend-staging-00001-old", 0, "canary")
    ]
    assert tagged[0].uri == tag_url(service.uri, "canary")


def test_a_state_file_with_a_duplicate_tag_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(
        f"""
services:
  - name: {BACKEND}
    template: {{containers: [{{image: gcr.io/x/app:1}}]}}
    traffic:
      - {{type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100, tag: a}}
      - {{type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 0, tag: a}}
""",
        encoding="utf-8",
    )
    with pytest.raises(StateFileError, match="used more than once"):
        EmulatorState.from_file(path)


@pytest.mark.parametrize(
    ("region", "code"),
    [("us-central1", "uc"), ("europe-west1", "ew"), ("europe-west3", "ew3"), ("me-west1", "mw")],
)
def test_region_codes(region: str, code: str) -> None:
    assert region_code(region) == code


def test_seeded_service_without_tags_keeps_empty_status_uris() -> None:
    state = EmulatorState()
    stored = state.put_service(make_service())
    assert [s.uri for s in stored.traffic_statuses] == [""]

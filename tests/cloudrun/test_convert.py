"""The adapter's reading of traffic: tags and their URLs reach the core model."""

from __future__ import annotations

from google.cloud import run_v2

from deploytool.cloudrun.convert import service_from_proto
from deploytool.core.model import TrafficShare

LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
NAME = "projects/p/locations/us-central1/services/svc"


def service(*statuses: run_v2.TrafficTargetStatus) -> run_v2.Service:
    return run_v2.Service(
        name=NAME,
        uri="https://svc-abcdefghij-uc.a.run.app",
        latest_ready_revision=f"{NAME}/revisions/svc-00002-new",
        latest_created_revision=f"{NAME}/revisions/svc-00003-bad",
        traffic_statuses=list(statuses),
    )


def test_tags_uris_and_the_service_uri_are_read() -> None:
    live = service_from_proto(
        service(
            run_v2.TrafficTargetStatus(type_=REVISION, revision="svc-00002-new", percent=100),
            run_v2.TrafficTargetStatus(
                type_=REVISION,
                revision="svc-00001-old",
                tag="canary",
                uri="https://canary---svc-abcdefghij-uc.a.run.app",
            ),
        )
    )
    assert live.uri == "https://svc-abcdefghij-uc.a.run.app"
    assert live.traffic == (
        TrafficShare("svc-00002-new", 100),
        TrafficShare("svc-00001-old", 0, "canary", "https://canary---svc-abcdefghij-uc.a.run.app"),
    )


def test_a_latest_entry_without_a_revision_is_the_latest_ready_one() -> None:
    # Fail closed: with a failed rollout the latest ready revision is not the template's,
    # and it must still be read.
    live = service_from_proto(service(run_v2.TrafficTargetStatus(type_=LATEST, percent=100)))
    assert live.traffic == (TrafficShare("svc-00002-new", 100, follows_latest=True),)

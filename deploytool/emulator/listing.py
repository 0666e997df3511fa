"""The service and revision lists as Cloud Run pages them: which parents are accepted (no
location wildcard for services; `services/-` for the revisions of every service of a
location), the order (service names ascending, revisions newest first) and the page. Functions
on the state's maps; the caller (EmulatorState) holds the lock."""

from __future__ import annotations

from collections.abc import Mapping

from google.cloud import run_v2

from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import paginate


def check_services_parent(parent: str) -> None:
    """ListServicesRequest.parent: "Location must be a valid Google Cloud region, and cannot
    be the "-" wildcard."""
    if parent.endswith("/locations/-"):
        raise ApiError.invalid(
            f"Invalid parent '{parent}': the location must be a region; the '-' "
            "wildcard is not supported when listing services.",
            reason="LOCATION_WILDCARD_UNSUPPORTED",
            metadata={"parent": parent},
        )


def services_page(
    services: Mapping[str, run_v2.Service], parent: str, page_size: int, page_token: str | None
) -> run_v2.ListServicesResponse:
    """One page of the services of `parent` (projects/P/locations/L), by name."""
    names = sorted(name for name in services if name.startswith(parent + "/"))
    page, token = paginate(names, page_size, page_token, scope=parent)
    return run_v2.ListServicesResponse(
        services=[services[name] for name in page], next_page_token=token
    )


def revisions_page(
    revisions_by_service: Mapping[str, Mapping[str, run_v2.Revision]],
    service: str,
    page_size: int,
    page_token: str | None,
) -> run_v2.ListRevisionsResponse:
    """Newest first, as `gcloud run revisions list` shows them. ListRevisionsRequest.parent:
    "To list all Revisions across Services, use "-" instead of Service name"."""
    if service.endswith("/services/-"):
        location = service[: -len("-")]
        revisions: Mapping[str, run_v2.Revision] = {
            name: revision
            for owner, held in revisions_by_service.items()
            if owner.startswith(location)
            for name, revision in held.items()
        }
    else:
        revisions = revisions_by_service.get(service, {})
    names = sorted(revisions, reverse=True)
    page, token = paginate(names, page_size, page_token, descending=True, scope=service)
    return run_v2.ListRevisionsResponse(
        revisions=[revisions[name] for name in page], next_page_token=token
    )

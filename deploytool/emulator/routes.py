"""The emulator's route table: which URIs the google-cloud-run REST transport calls (see
run_v2/services/*/transports/rest_base.py) name which route, and the function that answers
each route from EmulatorState. Jobs and worker pools bring their own (jobs.py,
worker_pool_routes.py); the HTTP layer (handler.py) applies faults and writes the JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from google.cloud import asset_v1, run_v2
from google.longrunning import operations_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from deploytool.emulator import jobs, worker_pool_routes
from deploytool.emulator.assets import page_size_of as assets_page_size
from deploytool.emulator.assets import search_all_resources
from deploytool.emulator.errors import ApiError
from deploytool.emulator.operations import parse_done_filter
from deploytool.emulator.paging import page_size_of
from deploytool.emulator.rollout import parse_update_mask

if TYPE_CHECKING:
    from deploytool.emulator.server import Emulator

_LOCATION = r"projects/[^/]+/locations/[^/]+"

# (path pattern, {HTTP method: route name}); the named group is the resource the route acts on.
ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(rf"^/v2/(?P<resource>{_LOCATION})/services$"), {"GET": "services.list"}),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/services/[^/:]+)$"),
        {"GET": "services.get", "PATCH": "services.update"},
    ),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/services/[^/]+)/revisions$"),
        {"GET": "revisions.list"},
    ),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/services/[^/]+/revisions/[^/:]+)$"),
        {"GET": "revisions.get"},
    ),
    (re.compile(rf"^/v2/(?P<resource>{_LOCATION}/operations/[^/:]+)$"), {"GET": "operations.get"}),
    *jobs.ROUTES,
    *worker_pool_routes.ROUTES,
    # Cloud Asset Inventory (`audit --discover`): the same emulator answers it.
    (
        re.compile(
            r"^/v1/(?P<resource>(?:projects|folders|organizations)/[^/:]+):searchAllResources$"
        ),
        {"GET": "assets.search"},
    ),
    # google.longrunning.Operations as Cloud Run's REST reference lists them (list, wait).
    (re.compile(rf"^/v2/(?P<resource>{_LOCATION})/operations$"), {"GET": "operations.list"}),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/operations/[^/:]+):wait$"),
        {"POST": "operations.wait"},
    ),
]


def match_route(method: str, path: str) -> tuple[str, str]:
    """(route name, resource name) for a request, or ApiError 404/405."""
    for pattern, methods in ROUTES:
        found = pattern.match(path)
        if found is None:
            continue
        if method not in methods:
            raise ApiError(
                405,
                f"Method {method} is not supported on {path} by the Cloud Run emulator "
                f"(supported: {', '.join(sorted(methods))}).",
            )
        return methods[method], found.group("resource")
    raise ApiError.not_found(f"The Cloud Run emulator has no resource at {method} {path}.")


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


def _parse_service(body: bytes) -> run_v2.Service:
    service = run_v2.Service()
    try:
        json_format.Parse(body.decode("utf-8") or "{}", run_v2.Service.pb(service))
    except (json_format.ParseError, UnicodeDecodeError) as exc:
        raise ApiError.invalid(f"Invalid JSON payload received. {exc}") from exc
    return service


Handler = Callable[["Emulator", str, Mapping[str, str], bytes], Message]


def _list_services(emulator: Emulator, parent: str, query: Mapping[str, str], _: bytes) -> Message:
    size = page_size_of(query.get("pageSize"))
    page = emulator.state.list_services(parent, size, query.get("pageToken"))
    return run_v2.ListServicesResponse.pb(page)


def _get_service(emulator: Emulator, name: str, _q: Mapping[str, str], _b: bytes) -> Message:
    return run_v2.Service.pb(emulator.state.require_service(name))


def _update_service(
    emulator: Emulator, name: str, query: Mapping[str, str], body: bytes
) -> Message:
    return emulator.state.update_service(
        name,
        _parse_service(body),
        validate_only=_flag(query, "validateOnly"),
        allow_missing=_flag(query, "allowMissing"),
        update_mask=parse_update_mask(query.get("updateMask")),
        # In the REST reference (and the discovery document), not yet in google-cloud-run.
        force_new_revision=_flag(query, "forceNewRevision"),
    )


def _list_revisions(emulator: Emulator, parent: str, query: Mapping[str, str], _: bytes) -> Message:
    size = page_size_of(query.get("pageSize"))
    page = emulator.state.list_revisions(parent, size, query.get("pageToken"))
    return run_v2.ListRevisionsResponse.pb(page)


def _get_revision(emulator: Emulator, name: str, _q: Mapping[str, str], _b: bytes) -> Message:
    return run_v2.Revision.pb(emulator.state.require_revision(name))


def _get_operation(emulator: Emulator, name: str, _q: Mapping[str, str], _b: bytes) -> Message:
    return emulator.state.operations.get_operation(name)


def _search_assets(emulator: Emulator, scope: str, query: Mapping[str, str], _: bytes) -> Message:
    page = search_all_resources(
        emulator.state.workloads(),
        emulator.state.projects,
        scope,
        query.getlist("assetTypes") if isinstance(query, Query) else [],
        assets_page_size(query.get("pageSize")),
        query.get("pageToken"),
    )
    return asset_v1.SearchAllResourcesResponse.pb(page)


class Query(dict[str, str]):
    """The query string: one value per name (the last, as before), and every value of a
    repeated name (`assetTypes=A&assetTypes=B`) through getlist()."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(pairs)
        self._pairs = pairs

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]


def _list_operations(
    emulator: Emulator, parent: str, query: Mapping[str, str], _: bytes
) -> Message:
    return emulator.state.operations.list_operations(
        parent,
        page_size_of(query.get("pageSize")),
        query.get("pageToken"),
        parse_done_filter(query.get("filter")),
    )


# WaitOperationRequest.timeout: "The maximum duration to wait before timing out. If left
# blank, the wait will be at most the time permitted by the underlying HTTP/RPC protocol."
_WAIT_LIMIT = 60.0


def _wait_operation(emulator: Emulator, name: str, _q: Mapping[str, str], body: bytes) -> Message:
    request = operations_pb2.WaitOperationRequest()
    try:
        json_format.Parse(body.decode("utf-8") or "{}", request)
    except (json_format.ParseError, UnicodeDecodeError) as exc:
        raise ApiError.invalid(f"Invalid JSON payload received. {exc}") from exc
    timeout = request.timeout.ToTimedelta().total_seconds() if request.HasField("timeout") else 0
    return emulator.state.operations.wait_operation(name, min(timeout or _WAIT_LIMIT, _WAIT_LIMIT))


HANDLERS: dict[str, Handler] = {
    "services.list": _list_services,
    "services.get": _get_service,
    "services.update": _update_service,
    "revisions.list": _list_revisions,
    "revisions.get": _get_revision,
    "operations.get": _get_operation,
    **jobs.HANDLERS,
    **worker_pool_routes.HANDLERS,
    "assets.search": _search_assets,
    "operations.list": _list_operations,
    "operations.wait": _wait_operation,
}

"""The HTTP face of the emulator: routes the URIs the google-cloud-run REST transport calls
(see run_v2/services/*/transports/rest_base.py) onto EmulatorState, and writes protobuf JSON
exactly as the client parses it."""

from __future__ import annotations

import contextlib
import json
import re
import sys
import time
import traceback
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from google.cloud import asset_v1, run_v2
from google.longrunning import operations_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from deploytool.emulator import jobs, worker_pools
from deploytool.emulator.assets import page_size_of as assets_page_size
from deploytool.emulator.assets import search_all_resources
from deploytool.emulator.defaults import container_statuses
from deploytool.emulator.errors import ApiError
from deploytool.emulator.operations import parse_done_filter
from deploytool.emulator.paging import encode_page_token, page_size_of
from deploytool.emulator.rollout import parse_update_mask

if TYPE_CHECKING:
    from deploytool.emulator.server import Emulator

_LOCATION = r"projects/[^/]+/locations/[^/]+"

# (path pattern, {HTTP method: route name}); the named group is the resource the route acts on.
_ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
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
    *worker_pools.ROUTES,
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
    for pattern, methods in _ROUTES:
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
    return emulator.state.get_operation(name)


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
    return emulator.state.list_operations(
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
    return emulator.state.wait_operation(name, min(timeout or _WAIT_LIMIT, _WAIT_LIMIT))


def _race(emulator: Emulator, service: str) -> None:
    """A concurrent deploy lands first, so the update about to run carries a stale etag."""
    with contextlib.suppress(ApiError):  # no service: the update answers for itself
        if "/jobs/" in service:
            emulator.state.jobs.redeploy(service)
        elif "/workerPools/" in service:
            emulator.state.worker_pools.redeploy(service)
        else:
            emulator.state.redeploy(service)


def _repeat_page_token(page: Any, asked: str | None, parent: str) -> None:
    """The fault: the next page is the one just asked for. The first page names the page
    after its last item, a valid token, whose answer then names itself again."""
    fields = ("services", "revisions", "jobs", "executions", "worker_pools", "results")
    items = next((list(getattr(page, f)) for f in fields if getattr(page, f, None)), [])
    page.next_page_token = asked or encode_page_token(items[-1].name if items else "", parent)


_HANDLERS: dict[str, Handler] = {
    "services.list": _list_services,
    "services.get": _get_service,
    "services.update": _update_service,
    "revisions.list": _list_revisions,
    "revisions.get": _get_revision,
    "operations.get": _get_operation,
    **jobs.HANDLERS,
    **worker_pools.HANDLERS,
    "assets.search": _search_assets,
    "operations.list": _list_operations,
    "operations.wait": _wait_operation,
}


class _ServiceJsonCache:
    """MessageToDict walks messages in Python (~0.15 ms per service); a list of a thousand
    services would spend most of its time there. Services rarely change between lists, so
    their JSON is kept, keyed by the serialized bytes (cheap, and exact: any change to the
    service changes them). Races only cost a recomputation."""

    def __init__(self, limit: int = 20_000) -> None:
        self._entries: dict[tuple[str, bool], tuple[bytes, dict[str, Any]]] = {}
        self._limit = limit

    def as_dict(self, service: Message, int_enums: bool) -> dict[str, Any]:
        wire = service.SerializeToString(deterministic=True)
        key = (getattr(service, "name", ""), int_enums)
        cached = self._entries.get(key)
        if cached is not None and cached[0] == wire:
            return cached[1]
        value = json_format.MessageToDict(service, use_integers_for_enums=int_enums)
        if len(self._entries) >= self._limit:
            self._entries.clear()
        self._entries[key] = (wire, value)
        return value


_SERVICE_JSON = _ServiceJsonCache()


def _encode(message: Message, int_enums: bool) -> str:
    """Compact protobuf JSON (camelCase, int64 as strings), as Google's servers send it."""
    if isinstance(message, run_v2.ListServicesResponse.pb()):
        page: dict[str, Any] = {
            "services": [_SERVICE_JSON.as_dict(s, int_enums) for s in message.services]
        }
        if message.next_page_token:
            page["nextPageToken"] = message.next_page_token
        return json.dumps(page, separators=(",", ":"))
    body = json_format.MessageToDict(message, use_integers_for_enums=int_enums)
    if isinstance(message, run_v2.Revision.pb()):
        _add_container_statuses(body, message)
    elif isinstance(message, run_v2.ListRevisionsResponse.pb()):
        for item, revision in zip(body.get("revisions", []), message.revisions, strict=True):
            _add_container_statuses(item, revision)
    return json.dumps(body, separators=(",", ":"))


def _add_container_statuses(body: dict[str, Any], revision: Message) -> None:
    """Revision.containerStatuses is in the REST reference but not in google-cloud-run's
    message, so it is added to the JSON here (that client ignores fields it lacks)."""
    statuses = container_statuses(run_v2.Revision.wrap(revision))
    if statuses:
        body["containerStatuses"] = statuses


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """One request: record it, apply latency and the fault plan, answer JSON."""

    # Keep-alive: the client's requests.Session reuses connections, which benchmarks rely on.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the second waits for a delayed
    # ACK and every request costs ~40 ms.
    disable_nagle_algorithm = True
    server_version = "CloudRunEmulator/1"
    emulator: Emulator  # set on a subclass by the server

    def do_GET(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: `Emulator.requests` is the request log, and stderr belongs to the caller."""

    def _serve(self) -> None:
        emulator = self.emulator
        url = urlsplit(self.path)
        path = unquote(url.path)
        query = Query(parse_qsl(url.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        emulator.record_request(self.command, path, query)
        if emulator.latency > 0:
            time.sleep(emulator.latency)
        # The client asks for `$alt=json;enum-encoding=int`; honour it as Google does.
        int_enums = "enum-encoding=int" in query.get("$alt", "")
        route = ""
        try:
            route, resource = match_route(self.command, path)
            decision = emulator.state.faults.decide(route, resource)
            if decision is not None and decision.kind == "drop":
                self.close_connection = True
                return
            if decision is not None and decision.kind == "error":
                raise ApiError(decision.status, decision.message, details=decision.details)
            if decision is not None and decision.kind == "etag_race":
                _race(emulator, resource)
            message = _HANDLERS[route](emulator, resource, query, body)
            if decision is not None and decision.kind == "repeat_page_token":
                _repeat_page_token(message, query.get("pageToken"), resource)
            payload = _encode(message, int_enums)
            emulator.record_response(route, 200, payload, int_enums)
            self._answer(200, payload)
        except ApiError as exc:
            payload = json.dumps(exc.to_json())
            emulator.record_response(route, exc.http_code, payload, int_enums)
            self._answer(exc.http_code, payload)
        except Exception as exc:  # the emulator must answer, not hang the client
            traceback.print_exc(file=sys.stderr)
            error = ApiError(500, f"Cloud Run emulator internal error: {exc!r}")
            self._answer(500, json.dumps(error.to_json()))

    def _answer(self, status: int, payload: str) -> None:
        data = payload.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

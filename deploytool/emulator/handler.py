"""The HTTP face of the emulator: one request is recorded, delayed, matched to a route
(routes.py), put through the fault plan, answered from EmulatorState, and written as protobuf
JSON exactly as the client parses it."""

from __future__ import annotations

import contextlib
import json
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

from google.cloud import run_v2
from google.protobuf import json_format
from google.protobuf.message import Message

from deploytool.emulator.defaults import container_statuses
from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import encode_page_token
from deploytool.emulator.routes import HANDLERS, Query, match_route

if TYPE_CHECKING:
    from deploytool.emulator.server import Emulator


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
            message = HANDLERS[route](emulator, resource, query, body)
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

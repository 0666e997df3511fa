"""`deploytool emulator --apps`: a small app per service, standing in for the incident's
backend so `deploytool verify` has something to ask.

Each service (and each traffic tag) gets an HTTP + WebSocket server on 127.0.0.1 at an
ephemeral port, and its `uri` (the tag's `uri`) points there. The app answers from the env of
the revision serving it, read from the emulator's state on every request, so after an apply it
reflects the new revision:
- `GET /health`: `{"status": "ok", "service", "revision", "e2e_testing": {"enabled": bool}}`;
- `/ws`: accepts, then closes 1011 "Factory SSOT validation failed" unless the E2E rule holds
  (literally, as the staging backend did: a clean production service's socket closes too).
A `uri` that a state file set to anything but the emulator's invented `*.run.app` URL is kept:
that service is answered by whatever listens there.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from google.cloud import run_v2
from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

from deploytool.emulator.state import EmulatorState

SSOT_FAILURE = "Factory SSOT validation failed"
_INTERNAL_ERROR = 1011
_log = logging.getLogger("deploytool.emulator.apps")


def e2e_enabled(env: Mapping[str, str | None]) -> bool:
    """The incident backend's detection rule. A secret-backed variable counts as set, but its
    value is unknown here (None), so it never equals "1"."""
    return (
        env.get("E2E_TESTING") == "1"
        or env.get("PYTEST_RUNNING") == "1"
        or env.get("STAGING_E2E_TEST") == "1"
        or "E2E_OAUTH_SIMULATION_KEY" in env
        or env.get("E2E_TEST_ENV") == "staging"
    )


def _is_invented(uri: str) -> bool:
    """The emulator's own Cloud Run-style URLs (nothing answers there), or none at all."""
    host = urlsplit(uri).hostname or ""
    return not uri or host.endswith(".run.app")


@dataclass(frozen=True)
class _Route:
    service: str  # full resource name
    tag: str | None  # None: the service's own URL (its majority revision)


class _App:
    def __init__(self, fleet: AppFleet, route: _Route, host: str) -> None:
        self.fleet = fleet
        self.route = route
        self.server: Server = serve(
            self._socket,
            host,
            0,
            process_request=self._http,
            compression=None,
            logger=_log,
        )
        port = self.server.socket.getsockname()[1]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, name=f"emulator-app-{port}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self._thread.join(timeout=5)

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        path = urlsplit(request.path).path
        if path == "/ws" and "upgrade" in request.headers.get("Connection", "").lower():
            return None  # the WebSocket handshake goes on
        if path == "/health":
            revision, env = self.fleet.serving(self.route)
            if revision is None:
                return _json(503, {"status": "unavailable", "error": "no revision serves"})
            return _json(
                200,
                {
                    "status": "ok",
                    "service": self.route.service.rsplit("/", 1)[-1],
                    "revision": revision,
                    "e2e_testing": {"enabled": e2e_enabled(env)},
                },
            )
        return _json(404, {"error": f"no route {path}"})

    def _socket(self, connection: ServerConnection) -> None:
        _revision, env = self.fleet.serving(self.route)
        if not e2e_enabled(env):
            connection.close(_INTERNAL_ERROR, SSOT_FAILURE)
            return
        for _message in connection:  # stay open until the client leaves
            pass


def _json(status: int, document: Any) -> Response:
    body = json.dumps(document, sort_keys=True).encode()
    headers = Headers(
        [
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Content-Type", "application/json"),
        ]
    )
    phrase = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    return Response(status, phrase, headers, body)


class AppFleet:
    """The apps of one emulator state; `attach()` makes the state point every service's
    `uri` (and tag `uri`) at its app, now and after every change."""

    def __init__(self, state: EmulatorState, host: str = "127.0.0.1") -> None:
        self.state = state
        self.host = host
        self._apps: dict[_Route, _App] = {}
        self._lock = threading.Lock()

    def attach(self) -> AppFleet:
        self.state.operations.add_settle_hook(self._sync)
        return self

    def stop(self) -> None:
        self.state.operations.remove_settle_hook(self._sync)
        with self._lock:
            apps = list(self._apps.values())
            self._apps.clear()
        for app in apps:
            app.stop()

    def __enter__(self) -> AppFleet:
        return self.attach()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def urls(self) -> dict[str, str]:
        """`service` or `service#tag` -> its app's URL (for the emulator's banner)."""
        with self._lock:
            return {
                route.service + (f"#{route.tag}" if route.tag else ""): app.url
                for route, app in sorted(
                    self._apps.items(), key=lambda kv: (kv[0].service, kv[0].tag or "")
                )
            }

    def _app(self, route: _Route) -> _App:
        with self._lock:
            app = self._apps.get(route)
            if app is None:
                app = self._apps[route] = _App(self, route, self.host)
            return app

    def _sync(self, services: Mapping[str, run_v2.Service]) -> None:
        """Called by the state with its lock held, after rollouts settle: give every service
        and tag its app, and point the output-only `uri` fields there."""
        for name, service in services.items():
            if _is_invented(service.uri):
                service.uri = self._app(_Route(name, None)).url
                service.urls = [service.uri]
            for status in service.traffic_statuses:
                if status.tag and _is_invented(status.uri):
                    status.uri = self._app(_Route(name, status.tag)).url

    def serving(self, route: _Route) -> tuple[str | None, dict[str, str | None]]:
        """The revision that answers on `route` and its ingress container's env. A split's
        majority revision answers (real Cloud Run picks per request; a stand-in should not)."""
        service = self.state.get_service(route.service)
        if service is None:
            return None, {}
        statuses = list(service.traffic_statuses)
        if route.tag is not None:
            chosen = next((s.revision for s in statuses if s.tag == route.tag), "")
        else:
            best = max(statuses, key=lambda s: s.percent, default=None)
            chosen = best.revision if best is not None and best.percent > 0 else ""
            chosen = chosen or service.latest_ready_revision.rsplit("/", 1)[-1]
        if not chosen:
            return None, {}
        revision = self.state.get_revision(f"{route.service}/revisions/{chosen}")
        if revision is None:
            return None, {}
        return chosen, _ingress_env(revision)


def _ingress_env(revision: run_v2.Revision) -> dict[str, str | None]:
    containers = list(revision.containers)
    ingress = next((c for c in containers if c.ports), containers[0] if containers else None)
    if ingress is None:
        return {}
    env: dict[str, str | None] = {}
    for entry in ingress.env:
        secret = "value_source" in entry and entry.value_source.secret_key_ref.secret
        env[entry.name] = None if secret else entry.value
    return env

"""A plain local HTTP + WebSocket app on 127.0.0.1 for `verify` tests: it answers what the
test tells it to and records every request's headers (to see the bearer token)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from websockets.datastructures import Headers
from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve


@dataclass
class Answer:
    status: int = 200
    body: bytes = b"{}"
    content_type: str = "application/json"
    delay: float = 0.0  # seconds before answering (a hung app)


@dataclass
class FakeApp:
    health: Answer = field(default_factory=Answer)
    close_code: int | None = None  # None: the socket stays open
    close_reason: str = ""
    upgrade_status: int | None = None  # refuse the WebSocket upgrade with this HTTP code
    seen: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    first: list[Answer] = field(default_factory=list)  # answered (in order) before `health`

    def __post_init__(self) -> None:
        self._release = threading.Event()
        self._server = serve(self._socket, "127.0.0.1", 0, process_request=self._http)
        self.url = f"http://127.0.0.1:{self._server.socket.getsockname()[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer_json(self, document: Any, status: int = 200) -> None:
        self.health = Answer(status, json.dumps(document).encode())

    def headers_for(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.seen if seen == path]

    def stop(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._thread.join(timeout=5)

    def _http(self, connection: ServerConnection, request: Request) -> Response | None:
        self.seen.append((request.path, {k.lower(): v for k, v in request.headers.raw_items()}))
        if request.path == "/ws":
            if self.upgrade_status is not None:
                return _response(self.upgrade_status, b"no", "text/plain")
            return None
        if request.path != "/health":
            return _response(404, b"{}", "application/json")
        answer = self.first.pop(0) if self.first else self.health
        if answer.delay:
            self._release.wait(answer.delay)
        return _response(answer.status, answer.body, answer.content_type)

    def _socket(self, connection: ServerConnection) -> None:
        if self.close_code is not None:
            connection.close(self.close_code, self.close_reason)
            return
        for _message in connection:
            pass


def _response(status: int, body: bytes, content_type: str) -> Response:
    headers = Headers(
        [
            ("Connection", "close"),
            ("Content-Length", str(len(body))),
            ("Content-Type", content_type),
        ]
    )
    return Response(status, "Status", headers, body)

"""Emulator: the HTTP server in a daemon thread, for tests and benchmarks; serve(): the same in
the foreground for `deploytool emulator`."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from http.server import ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, NamedTuple

from deploytool.emulator.faults import FaultPlan
from deploytool.emulator.handler import EmulatorRequestHandler
from deploytool.emulator.state import EmulatorState
from deploytool.errors import UsageError


class RecordedRequest(NamedTuple):
    """One request as the emulator saw it (the client's `$alt` parameter included)."""

    method: str
    path: str
    query: dict[str, str]


class RecordedResponse(NamedTuple):
    """One answer, kept when `Emulator.record_responses` is on (the conformance suite checks
    each against the discovery document's schemas)."""

    route: str  # e.g. "services.get"; "" when no route matched
    status: int
    body: str
    int_enums: bool  # the client asked for `enum-encoding=int`


class _Server(ThreadingHTTPServer):
    """Tracks open connections so stop() can close idle keep-alive ones: their handler
    threads would otherwise sit in a blocking read after the server is gone."""

    daemon_threads = True
    allow_reuse_address = True
    # The default backlog of 5 makes concurrent benchmark clients hit SYN retries (1 s each).
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[EmulatorRequestHandler]) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the peer
                connection.shutdown(socket.SHUT_RDWR)


class Emulator:
    """A local Cloud Run Admin API v2 server.

    >>> with Emulator(EmulatorState.from_file("state.yaml")) as emulator:
    ...     client = run_v2.ServicesClient(transport="rest", credentials=AnonymousCredentials(),
    ...                                    client_options={"api_endpoint": emulator.endpoint})
    """

    def __init__(
        self,
        state: EmulatorState | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        operation_delay: float = 0.0,
    ) -> None:
        self.state = state if state is not None else EmulatorState()
        self.host = host
        self.latency = latency  # seconds slept at the start of every request
        self.operation_delay = operation_delay
        self._port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._requests: list[RecordedRequest] = []
        self._requests_lock = threading.Lock()
        self.record_responses = False  # off by default: benchmarks answer thousands
        self._responses: list[RecordedResponse] = []

    @property
    def operation_delay(self) -> float:
        """Seconds an update's operation stays not done (0: done in the PATCH answer)."""
        return self.state.operation_delay

    @operation_delay.setter
    def operation_delay(self, seconds: float) -> None:
        self.state.operation_delay = seconds

    @property
    def faults(self) -> FaultPlan:
        return self.state.faults

    def start(self) -> Emulator:
        """Bind and serve in a daemon thread. UsageError if the address cannot be bound."""
        if self._server is not None:
            return self
        handler = type("BoundHandler", (EmulatorRequestHandler,), {"emulator": self})
        try:
            self._server = _Server((self.host, self._port), handler)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {self.host}:{self._port}: {exc.strerror or exc}",
                hint="pick another --port (0 chooses a free one)",
            ) from exc
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"cloud-run-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return int(self._server.server_address[1])

    @property
    def host_port(self) -> str:
        """`127.0.0.1:PORT`, the value for CLOUD_RUN_EMULATOR_HOST."""
        return f"{self.host}:{self.port}"

    @property
    def endpoint(self) -> str:
        """`http://127.0.0.1:PORT`, the client's api_endpoint (the scheme is required)."""
        return f"http://{self.host_port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request served so far, oldest first (a copy)."""
        with self._requests_lock:
            return list(self._requests)

    def reset_requests(self) -> None:
        with self._requests_lock:
            self._requests.clear()

    def record_request(self, method: str, path: str, query: Mapping[str, str]) -> None:
        with self._requests_lock:
            self._requests.append(RecordedRequest(method, path, dict(query)))

    @property
    def responses(self) -> list[RecordedResponse]:
        """Every answer since `record_responses` was turned on, oldest first (a copy)."""
        with self._requests_lock:
            return list(self._responses)

    def record_response(self, route: str, status: int, body: str, int_enums: bool) -> None:
        if self.record_responses:
            with self._requests_lock:
                self._responses.append(RecordedResponse(route, status, body, int_enums))


def serve(
    host: str,
    port: int,
    state_path: str | None,
    *,
    latency: float = 0.0,
    operation_delay: float = 0.0,
    configure: Callable[[EmulatorState], None] | None = None,
    apps: bool = False,
) -> None:
    """Run the emulator in the foreground until Ctrl-C (or SIGTERM), then return cleanly.
    StateFileError for a bad state file, UsageError if the address cannot be bound.
    `configure` adds faults (from command-line flags) to the loaded state; `apps` gives
    every service a stand-in app (see apps.py)."""
    state = EmulatorState.from_file(state_path) if state_path else EmulatorState()
    if configure is not None:
        configure(state)
    emulator = Emulator(
        state, host=host, port=port, latency=latency, operation_delay=operation_delay
    ).start()
    print(
        f"Cloud Run emulator listening on {emulator.endpoint} "
        f"(export CLOUD_RUN_EMULATOR_HOST={emulator.host_port})",
        file=sys.stderr,
        flush=True,
    )
    fleet = None
    if apps:
        from deploytool.emulator.apps import AppFleet

        fleet = AppFleet(state).attach()
        for route, url in fleet.urls().items():
            print(f"  app for {route}: {url}", file=sys.stderr, flush=True)
    previous = _stop_on_sigterm()
    try:
        while True:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if fleet is not None:
            fleet.stop()
        emulator.stop()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _stop_on_sigterm() -> Any:
    """`kill PID` from a demo script ends the emulator as Ctrl-C does. Only the main thread
    may install handlers; elsewhere (a test running serve() in a thread) this is skipped."""
    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)

"""Open the app's WebSocket (wss for https), with the same bearer token, and hold it: the
incident's backend accepted, then closed with 1011 "Factory SSOT validation failed"."""

from __future__ import annotations

import time

from deploytool.core.verify import SocketOutcome
from deploytool.probe.http import AUTH_HINT, EMULATOR_AUTH_HINT
from deploytool.probe.retry import TRANSIENT_STATUSES, TransientAnswer, refused, with_retries

HOLD_SECONDS = 2.0  # the contract's hold; tests shorten it
CLOSE_SECONDS = 1.0


def socket_url(base: str, path: str) -> str:
    """`https://x.run.app` + `/ws` -> `wss://x.run.app/ws` (http -> ws)."""
    scheme, _, rest = base.partition("://")
    ws = {"https": "wss", "http": "ws"}.get(scheme.lower(), scheme)
    return f"{ws}://{rest.rstrip('/')}{path}"


def hold_socket(url: str, token: str | None, deadline: float, hold: float) -> SocketOutcome:
    """Open `url` before `deadline` (monotonic), then stay `hold` seconds: any close by the
    app in that time is reported with its code and reason."""
    from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
    from websockets.sync.client import ClientConnection, connect

    headers = {"Authorization": f"Bearer {token}"} if token else {}

    def attempt(seconds_left: float) -> ClientConnection:
        try:
            return connect(
                url,
                additional_headers=headers,
                open_timeout=seconds_left,
                close_timeout=CLOSE_SECONDS,
                user_agent_header="deploytool-verify",
                ping_interval=None,
            )
        except InvalidStatus as exc:
            code = exc.response.status_code
            if code in TRANSIENT_STATUSES:
                raise TransientAnswer(f"answered HTTP {code}", code) from exc
            raise

    try:
        connection = with_retries(attempt, deadline, _transient)
    except InvalidStatus as exc:
        code = exc.response.status_code
        auth = code in (401, 403)
        return SocketOutcome(
            error=f"WebSocket {url}: the upgrade was answered HTTP {code}"
            + (": the app refused the caller" if auth else ""),
            http_status=code,
            hint=(AUTH_HINT if token else EMULATOR_AUTH_HINT) if auth else None,
        )
    except TransientAnswer as exc:
        return SocketOutcome(error=f"WebSocket {url} {exc} (after retries)", http_status=exc.status)
    except TimeoutError:
        return SocketOutcome(
            error=f"WebSocket {url}: not open within the timeout", hint="raise --timeout"
        )
    except (OSError, InvalidHandshake) as exc:
        what = "connection refused" if refused(exc) else f"could not open ({type(exc).__name__})"
        return SocketOutcome(error=f"WebSocket {url}: {what}")
    with connection:
        end = time.monotonic() + hold
        try:
            while (left := end - time.monotonic()) > 0:
                try:
                    connection.recv(timeout=left)  # messages are not the point; keep waiting
                except TimeoutError:
                    break
        except ConnectionClosed as closed:
            if closed.rcvd is None:
                return SocketOutcome(close_code=1006, close_reason="closed without a close frame")
            return SocketOutcome(close_code=closed.rcvd.code, close_reason=closed.rcvd.reason)
    return SocketOutcome(held=True)


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, TransientAnswer):
        return True
    return isinstance(exc, ConnectionResetError | ConnectionAbortedError) and not refused(exc)

"""Every way a Cloud Run call can fail, turned into one LiveStateError (exit 5) that says what
happened and what to do. Nothing above the adapter sees a google.api_core exception."""

from __future__ import annotations

import errno

import requests
from google.api_core import exceptions as gexc
from google.auth import exceptions as auth_exc

from deploytool.errors import ConflictError, CredentialsError, LiveStateError

LOGIN_HINT = (
    "log in with `gcloud auth application-default login`, or point deploytool at the local "
    "emulator with CLOUD_RUN_EMULATOR_HOST=HOST:PORT"
)

# Transient answers worth retrying on reads (and on etag-guarded writes).
TRANSIENT = (
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.BadGateway,
    gexc.ServiceUnavailable,
    gexc.GatewayTimeout,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, TRANSIENT)


def is_refused(exc: BaseException) -> bool:
    """Whether a requests ConnectionError was a refused TCP connection (nothing listening),
    as opposed to a connection dropped mid-answer. urllib3 wraps the OSError in
    NewConnectionError inside MaxRetryError inside requests' ConnectionError."""
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    seen: set[int] = set()
    todo: list[object] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return True
        if isinstance(current, OSError) and current.errno == errno.ECONNREFUSED:
            return True
        if isinstance(current, BaseException):
            todo.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
            todo.extend(arg for arg in current.args if isinstance(arg, BaseException))
    return False


def translate(
    exc: BaseException,
    *,
    doing: str,
    service: str | None = None,
    endpoint: str | None = None,
    emulator_host: str | None = None,
) -> LiveStateError:
    """`doing` names the action, e.g. "list services in netra-prod/us-central1"."""
    if isinstance(exc, LiveStateError):
        return exc
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        first = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
        detail = first.strip().splitlines()[0] if first.strip() else ""
        found = "no Google credentials found"
        # google-auth says which file it could not use ("File x was not found", "Failed to
        # load service account credentials from x"): worth showing, it never quotes a key.
        plain = not detail or detail.startswith("Your default credentials")
        message = found if plain else f"{found}: {detail}"
        return CredentialsError(message, LOGIN_HINT, service=service)
    if isinstance(exc, auth_exc.RefreshError):
        return CredentialsError(
            f"credentials were refused while trying to {doing}: {_first_line(exc)}",
            "check --impersonate-service-account and that you hold "
            "roles/iam.serviceAccountTokenCreator on it, or " + LOGIN_HINT,
            service=service,
        )
    if isinstance(exc, auth_exc.GoogleAuthError):
        return CredentialsError(
            f"authentication failed: {_first_line(exc)}", LOGIN_HINT, service=service
        )
    if isinstance(exc, gexc.RetryError):
        cause = exc.cause if exc.cause is not None else exc
        inner = translate(
            cause, doing=doing, service=service, endpoint=endpoint, emulator_host=emulator_host
        )
        return LiveStateError(
            f"gave up trying to {doing} after retrying: {inner.message}",
            inner.hint or "try again later, or raise --timeout",
            service=service,
        )
    if isinstance(exc, gexc.Unauthenticated | gexc.Unauthorized):
        return CredentialsError(
            f"not authenticated to {doing}: {_api_message(exc)}", LOGIN_HINT, service=service
        )
    if isinstance(exc, gexc.PermissionDenied | gexc.Forbidden):
        return LiveStateError(
            f"permission denied to {doing}: {_api_message(exc)}",
            "grant the caller roles/run.viewer (reads) or roles/run.developer (apply) on the "
            "project",
            service=service,
        )
    if isinstance(exc, gexc.Conflict | gexc.Aborted):
        return ConflictError(
            f"conflict while trying to {doing}: {_api_message(exc)}",
            "someone changed the service meanwhile; re-run to see the new plan",
            service=service,
        )
    if isinstance(exc, gexc.NotFound):
        return LiveStateError(
            f"not found while trying to {doing}: {_api_message(exc)}",
            "check `project:` and `region:` in the manifest",
            service=service,
        )
    if isinstance(exc, gexc.TooManyRequests | gexc.ResourceExhausted):
        return LiveStateError(
            f"rate limited (429) while trying to {doing}",
            "try again later, or lower --parallel",
            service=service,
        )
    if isinstance(exc, gexc.GoogleAPICallError):
        code = f"HTTP {exc.code}" if exc.code else "API error"
        return LiveStateError(
            f"Cloud Run answered {code} while trying to {doing}: {_api_message(exc)}",
            "try again later",
            service=service,
        )
    if isinstance(exc, requests.exceptions.ConnectionError):
        where = f" at {endpoint}" if endpoint else ""
        if emulator_host and is_refused(exc):
            return _emulator_refused(emulator_host, where, doing, service)
        return LiveStateError(
            f"cannot reach Cloud Run{where} to {doing} (connection refused or dropped)",
            "check the network, or start the emulator (`deploytool emulator`) if "
            "CLOUD_RUN_EMULATOR_HOST is set",
            service=service,
        )
    if isinstance(exc, requests.exceptions.Timeout | TimeoutError):
        return LiveStateError(
            f"timed out trying to {doing}", "raise --timeout or retry later", service=service
        )
    if isinstance(exc, gexc.GoogleAPIError | requests.exceptions.RequestException):
        return LiveStateError(f"failed to {doing}: {_first_line(exc)}", service=service)
    raise exc  # not a Cloud Run failure: a bug, let it surface as exit 1


def _emulator_refused(host: str, where: str, doing: str, service: str | None) -> LiveStateError:
    address = host.split("://", 1)[-1]
    name, _, port = address.rpartition(":")
    start = "deploytool emulator" + (f" --port {port}" if port.isdigit() else "")
    if name and name not in ("127.0.0.1", "localhost"):
        start += f" --host {name}"
    return LiveStateError(
        f"cannot reach Cloud Run{where} to {doing}: the emulator host {address} "
        "(CLOUD_RUN_EMULATOR_HOST) refused the connection; is the emulator running?",
        f"start it with `{start}`, or unset CLOUD_RUN_EMULATOR_HOST to read real Cloud Run",
        service=service,
    )


def _api_message(exc: gexc.GoogleAPICallError) -> str:
    return _first_line(exc.message or exc)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

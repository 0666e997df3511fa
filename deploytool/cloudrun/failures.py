"""Every way a Cloud Run call can fail, turned into one LiveStateError (exit 5) that says what
happened and what to do. Nothing above the adapter sees a google.api_core exception."""

from __future__ import annotations

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


def translate(
    exc: BaseException, *, doing: str, service: str | None = None, endpoint: str | None = None
) -> LiveStateError:
    """`doing` names the action, e.g. "list services in netra-prod/us-central1"."""
    if isinstance(exc, LiveStateError):
        return exc
    if isinstance(exc, auth_exc.DefaultCredentialsError):
        return CredentialsError("no Google credentials found", LOGIN_HINT, service=service)
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
        inner = translate(cause, doing=doing, service=service, endpoint=endpoint)
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


def _api_message(exc: gexc.GoogleAPICallError) -> str:
    return _first_line(exc.message or exc)


def _first_line(exc: object) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__

"""Long-running operations: an update in flight and the google.longrunning.Operation that
reports it, as the REST operations client polls it (GET /v2/.../operations/ID), waits on it
(POST ...:wait) or lists it (GET /v2/projects/P/locations/L/operations)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2

from deploytool.emulator.errors import DOMAIN, ApiError
from deploytool.emulator.paging import paginate


@dataclass
class Rollout:
    """An update in flight: done once `ready_at` (time.monotonic) has passed. `revision` is
    the revision it cut (None: the template did not change, only routes and metadata
    reconcile); `generation` the service generation it brings about."""

    name: str
    service: str
    revision: str | None
    generation: int
    ready_at: float
    metadata: run_v2.Service
    response: run_v2.Service | None = None
    failure: str | None = None
    failure_code: int = code_pb2.FAILED_PRECONDITION

    @property
    def done(self) -> bool:
        return self.response is not None or self.failure is not None


def operation_message(operation: Rollout) -> operations_pb2.Operation:
    """The google.longrunning.Operation Cloud Run answers: the Service as metadata and, when
    done, as response; a failed rollout is an error (FAILED_PRECONDITION for a revision that
    did not start) with its message, which `operation.result()` raises as the matching
    google.api_core exception. The error carries an ErrorInfo, as AIP-193 asks of every
    error."""
    message = operations_pb2.Operation(name=operation.name, done=operation.done)
    message.metadata.Pack(run_v2.Service.pb(operation.metadata))
    if operation.failure is not None:
        status = status_pb2.Status(code=operation.failure_code, message=operation.failure)
        reason = (
            "REVISION_FAILED"
            if operation.failure_code == code_pb2.FAILED_PRECONDITION
            else "TRAFFIC_REVISION_MISSING"
        )
        detail = error_details_pb2.ErrorInfo(
            reason=reason, domain=DOMAIN, metadata={"service": operation.service}
        )
        status.details.add().Pack(detail)
        message.error.CopyFrom(status)
    elif operation.response is not None:
        message.response.Pack(run_v2.Service.pb(operation.response))
    return message


# Operations.ListOperations (REST reference): "Requested page size cannot exceed 100. If not
# set or set to less than or equal to 0, the default page size is 100."
MAX_OPERATIONS_PAGE = 100


def list_operations(
    operations: Mapping[str, Rollout],
    parent: str,
    page_size: int,
    page_token: str | None,
    done: bool | None,
) -> operations_pb2.ListOperationsResponse:
    """One page of the operations of `parent` (projects/P/locations/L), oldest name first;
    `done` is the reference's only filter (`done:true` / `done:false`)."""
    names = sorted(
        name
        for name, operation in operations.items()
        if name.startswith(parent + "/operations/") and done in (None, operation.done)
    )
    size = page_size if 0 < page_size <= MAX_OPERATIONS_PAGE else MAX_OPERATIONS_PAGE
    page, token = paginate(names, size, page_token, scope=parent)
    return operations_pb2.ListOperationsResponse(
        operations=[operation_message(operations[name]) for name in page],
        next_page_token=token,
    )


def parse_done_filter(raw: str | None) -> bool | None:
    """`done:true`, `done:false` or nothing; anything else is refused."""
    text = (raw or "").replace(" ", "").lower()
    if not text:
        return None
    if text in ("done:true", "done=true"):
        return True
    if text in ("done:false", "done=false"):
        return False
    raise ApiError.invalid(
        f"Unsupported filter {raw!r}: use done:true or done:false.",
        reason="INVALID_FILTER",
        metadata={"filter": str(raw)},
    )

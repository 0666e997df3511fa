"""Long-running operations: a rollout in flight and the google.longrunning.Operation that
reports it, as the REST operations client polls it (GET /v2/.../operations/ID)."""

from __future__ import annotations

from dataclasses import dataclass

from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.rpc import code_pb2, status_pb2


@dataclass
class Rollout:
    """A rollout in flight: done once `ready_at` (time.monotonic) has passed."""

    name: str
    service: str
    revision: str
    ready_at: float
    metadata: run_v2.Service
    response: run_v2.Service | None = None
    failure: str | None = None

    @property
    def done(self) -> bool:
        return self.response is not None or self.failure is not None


def operation_message(operation: Rollout) -> operations_pb2.Operation:
    """The google.longrunning.Operation Cloud Run answers: the Service as metadata and, when
    done, as response; a failed rollout is an error (FAILED_PRECONDITION) with its message,
    which `operation.result()` raises as google.api_core.exceptions.FailedPrecondition."""
    message = operations_pb2.Operation(name=operation.name, done=operation.done)
    message.metadata.Pack(run_v2.Service.pb(operation.metadata))
    if operation.failure is not None:
        message.error.CopyFrom(
            status_pb2.Status(code=code_pb2.FAILED_PRECONDITION, message=operation.failure)
        )
    elif operation.response is not None:
        message.response.Pack(run_v2.Service.pb(operation.response))
    return message

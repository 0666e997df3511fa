"""The long-running operations of service updates: every operation an update answered (they
stay readable), the ones still in flight, and settling them once their time has come, with
the hooks that run after every settle. Shares EmulatorState's lock and its service and
revision maps (the same dict objects, never replaced); callers of `settle` hold the lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.rpc import code_pb2

from deploytool.emulator.errors import ApiError
from deploytool.emulator.operations import Rollout, operation_message
from deploytool.emulator.operations import list_operations as operations_page
from deploytool.emulator.resources import ServiceName
from deploytool.emulator.rollout import UpdatePlan, copy_service, settle_rollout

SettleHook = Callable[[Mapping[str, run_v2.Service]], None]


class OperationLedger:
    """Operations by name, the not-done subset, and the settle hooks."""

    def __init__(
        self,
        lock: threading.RLock,
        services: dict[str, run_v2.Service],
        revisions: dict[str, dict[str, run_v2.Revision]],
        fail_rollout: Mapping[str, str],
    ) -> None:
        self._lock = lock
        self._services = services
        self._revisions = revisions
        self._fail_rollout = fail_rollout
        self._operations: dict[str, Rollout] = {}
        self._pending: dict[str, Rollout] = {}  # the not-done subset of _operations
        self._settle_hooks: list[SettleHook] = []

    # -- hooks ------------------------------------------------------------------------------

    def add_settle_hook(self, hook: SettleHook) -> None:
        """`hook(services)` runs now and after every settle, lock held, on the stored
        services (`emulator --apps` points their output-only `uri` fields at its apps)."""
        with self._lock:
            self._settle_hooks.append(hook)
            hook(self._services)

    def remove_settle_hook(self, hook: SettleHook) -> None:
        with self._lock:
            if hook in self._settle_hooks:
                self._settle_hooks.remove(hook)

    # -- API operations (HTTP layer) --------------------------------------------------------

    def get_operation(self, name: str) -> operations_pb2.Operation:
        with self._lock:
            self.settle()
            return operation_message(self._require(name))

    def wait_operation(self, name: str, timeout: float) -> operations_pb2.Operation:
        """Operations.WaitOperation: "Waits until the specified long-running operation is done
        or reaches at most a specified timeout, returning the latest state." """
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            with self._lock:
                self.settle()
                operation = self._require(name)
                left = min(deadline, operation.ready_at) - time.monotonic()
                if operation.done or left <= 0:
                    return operation_message(operation)
            time.sleep(min(left, 0.05))

    def list_operations(
        self, parent: str, page_size: int, page_token: str | None, done: bool | None
    ) -> operations_pb2.ListOperationsResponse:
        with self._lock:
            self.settle()
            return operations_page(self._operations, parent, page_size, page_token, done)

    # -- bookkeeping (lock held) ------------------------------------------------------------

    def open(self, name: str, plan: UpdatePlan, delay: float) -> Rollout:
        """The operation of `plan`, an update of service `name`, not done for `delay` seconds;
        recorded, so it stays readable (a validate-only or no-op one is answered done)."""
        operation = Rollout(
            name=ServiceName.parse(name).operation(),
            service=name,
            revision=plan.revision.name if plan.revision is not None else None,
            generation=plan.spec.generation,
            ready_at=time.monotonic() + delay,
            metadata=copy_service(plan.spec),
        )
        self._operations[operation.name] = operation
        return operation

    def track(self, operation: Rollout) -> None:
        """A recorded operation whose rollout is stored and in flight until `ready_at`."""
        self._pending[operation.name] = operation

    def settle(self, force_service: str | None = None) -> None:
        """Finish every rollout whose time has come (and all of `force_service`'s: a new
        update supersedes one in flight)."""
        if not self._pending:
            self._run_settle_hooks()
            return
        clock = time.monotonic()
        for operation in list(self._pending.values()):
            if operation.ready_at > clock and operation.service != force_service:
                continue
            del self._pending[operation.name]
            service = self._services.get(operation.service)
            revisions = self._revisions.get(operation.service, {})
            cut = revisions.get(operation.revision) if operation.revision else None
            if service is None or (operation.revision and cut is None):
                operation.failure = f"Service '{operation.service}' was deleted."
                continue
            failure = None
            if service.generation == operation.generation and service.reconciling:
                failure = settle_rollout(
                    service, cut, revisions, self._fail_rollout.get(operation.service)
                )
            elif cut is not None and service.latest_ready_revision != cut.name:
                failure = (
                    service.terminal_condition.message or "Rollout failed.",
                    code_pb2.FAILED_PRECONDITION,
                )
            finish(operation, service, failure)
        self._run_settle_hooks()

    def _run_settle_hooks(self) -> None:
        for hook in self._settle_hooks:
            hook(self._services)

    def _require(self, name: str) -> Rollout:
        operation = self._operations.get(name)
        if operation is None:
            raise ApiError.not_found(
                f"Operation '{name}' does not exist.",
                reason="OPERATION_NOT_FOUND",
                metadata={"operation": name},
            )
        return operation


def finish(operation: Rollout, service: run_v2.Service, failure: Any) -> None:
    """The operation is done: `service` as its metadata, and as its response unless the
    rollout failed (`failure`: message and google.rpc code)."""
    operation.metadata = copy_service(service)
    if failure is not None:
        operation.failure, operation.failure_code = failure
    else:
        operation.response = copy_service(service)

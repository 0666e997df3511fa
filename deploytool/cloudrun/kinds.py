"""What the writer needs to know per kind: where a message keeps the containers it writes env
into, how it converts, and which update call sends it. A job update replaces the job (there
is no update_mask) and has no rollout; a worker pool's, like a service's, rolls out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.cloud import run_v2

from deploytool.cloudrun.connect import Clients
from deploytool.cloudrun.convert import service_from_proto
from deploytool.cloudrun.convert_job import job_containers, job_from_proto
from deploytool.cloudrun.convert_worker_pool import worker_pool_containers, worker_pool_from_proto
from deploytool.core.model import JOB, SERVICE, WORKER_POOL, LiveWorkload


@dataclass(frozen=True)
class KindApi:
    message: Any  # the proto-plus class (run_v2.Service, Job, WorkerPool)
    containers: Callable[[Any], Any]
    from_proto: Callable[[Any], LiveWorkload]
    # (clients, message, validate_only, retry, timeout) -> the update's Operation
    update: Callable[[Clients, Any, bool, Any, float], Any]
    has_revisions: bool  # its template carries a `revision` name to clear before a write


def _update_service(clients: Clients, message: Any, validate: bool, retry: Any, t: float) -> Any:
    request = run_v2.UpdateServiceRequest(service=message, validate_only=validate)
    return clients.services.update_service(request=request, retry=retry, timeout=t)


def _update_job(clients: Clients, message: Any, validate: bool, retry: Any, t: float) -> Any:
    request = run_v2.UpdateJobRequest(job=message, validate_only=validate)
    return clients.jobs.update_job(request=request, retry=retry, timeout=t)


def _update_pool(clients: Clients, message: Any, validate: bool, retry: Any, t: float) -> Any:
    request = run_v2.UpdateWorkerPoolRequest(worker_pool=message, validate_only=validate)
    return clients.worker_pools.update_worker_pool(request=request, retry=retry, timeout=t)


KIND_APIS = {
    SERVICE: KindApi(
        run_v2.Service,
        lambda m: m.template.containers,
        service_from_proto,
        _update_service,
        True,
    ),
    JOB: KindApi(run_v2.Job, job_containers, job_from_proto, _update_job, False),
    WORKER_POOL: KindApi(
        run_v2.WorkerPool, worker_pool_containers, worker_pool_from_proto, _update_pool, True
    ),
}


def kind_of(message: Any) -> str:
    return next(kind for kind, api in KIND_APIS.items() if isinstance(message, api.message))

"""Cloud Run Jobs and their executions in the emulator: the store (behind the state's lock)
and the routes the google-cloud-run REST transport calls (jobs/transports/rest_base.py,
executions/transports/rest_base.py). An update replaces the job (UpdateJobRequest has no
update_mask) and answers a done Operation; executions are seeded, never run."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.protobuf import json_format
from google.protobuf.message import Message

from deploytool.emulator.conditions import ready_condition
from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import page_size_of, paginate
from deploytool.emulator.resources import (
    Ready,
    new_etag,
    now,
)
from deploytool.emulator.rollout import EMULATOR_PRINCIPAL
from deploytool.emulator.workload_common import (
    copy_message,
    done_operation,
    etag_guard,
    replace_user_fields,
)

if TYPE_CHECKING:
    from deploytool.emulator.server import Emulator

_JOB = re.compile(r"^projects/[^/]+/locations/[^/]+/jobs/[^/]+$")
_EXECUTION = re.compile(r"^(projects/[^/]+/locations/[^/]+)/jobs/([^/]+)/executions/[^/]+$")
JOB_OUTPUT_ONLY = (
    "uid",
    "generation",
    "create_time",
    "update_time",
    "delete_time",
    "expire_time",
    "creator",
    "last_modifier",
    "observed_generation",
    "terminal_condition",
    "conditions",
    "execution_count",
    "latest_created_execution",
    "reconciling",
    "satisfies_pzs",
    "etag",
)



class JobStore:
    """Jobs and executions, guarded by the emulator state's lock."""

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._jobs: dict[str, run_v2.Job] = {}
        self._executions: dict[str, run_v2.Execution] = {}

    # -- Python API (tests, state files) --------------------------------------------------

    def put_job(self, job: run_v2.Job) -> run_v2.Job:
        """Store a job as seeded: server-owned fields filled in when absent."""
        job = copy_message(job)
        if not _JOB.match(job.name):
            raise ValueError(f"not a job name: {job.name!r} (want projects/P/locations/L/jobs/J)")
        job.generation = job.generation or 1
        job.observed_generation = job.observed_generation or job.generation
        job.etag = job.etag or new_etag()
        job.uid = job.uid or str(uuid.uuid4())
        job.creator = job.creator or EMULATOR_PRINCIPAL
        job.last_modifier = job.last_modifier or job.creator
        if "create_time" not in job:
            job.create_time = now()
        if "update_time" not in job:
            job.update_time = job.create_time
        if "terminal_condition" not in job:
            job.terminal_condition = ready_condition(Ready.CONDITION_SUCCEEDED)
        with self._lock:
            self._jobs[job.name] = job
            return copy_message(job)

    def put_execution(self, execution: run_v2.Execution) -> run_v2.Execution:
        """Store an execution (`projects/P/locations/L/jobs/J/executions/E`); the job need
        not exist. Without `completionTime` it is still running."""
        execution = copy_message(execution)
        match = _EXECUTION.match(execution.name)
        if match is None:
            raise ValueError(
                f"not an execution name: {execution.name!r} "
                "(want projects/P/locations/L/jobs/J/executions/E)"
            )
        execution.job = execution.job or match.group(2)
        execution.uid = execution.uid or str(uuid.uuid4())
        execution.etag = execution.etag or new_etag()
        if "create_time" not in execution:
            execution.create_time = now()
        with self._lock:
            self._executions[execution.name] = execution
            return copy_message(execution)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._jobs)

    def get_job(self, name: str) -> run_v2.Job | None:
        with self._lock:
            job = self._jobs.get(name)
            return copy_message(job) if job is not None else None

    def set_env(
        self,
        name: str,
        env: Iterable[run_v2.EnvVar],
        container: str | None = None,
        *,
        modifier: str | None = None,
    ) -> run_v2.Job:
        """An out-of-band `gcloud run jobs update --set-env-vars` (by `modifier`)."""
        with self._lock:
            job = self._require(name)
            target = next(
                (c for c in job.template.template.containers if container in (None, c.name)),
                None,
            )
            if target is None:
                raise ValueError(f"{name} has no container {container!r}")
            target.env = list(env)
            self._bump(job, modifier)
            return copy_message(job)

    def redeploy(self, name: str, *, modifier: str | None = None) -> run_v2.Job:
        """A concurrent change that leaves the env alone: a new etag and generation."""
        with self._lock:
            job = self._require(name)
            self._bump(job, modifier)
            return copy_message(job)

    # -- API operations -------------------------------------------------------------------

    def list_jobs(self, parent: str, size: int, token: str | None) -> run_v2.ListJobsResponse:
        with self._lock:
            names = sorted(n for n in self._jobs if n.startswith(parent + "/jobs/"))
            page, next_token = paginate(names, size, token, scope=parent)
            return run_v2.ListJobsResponse(
                jobs=[self._jobs[n] for n in page], next_page_token=next_token
            )

    def list_executions(
        self, parent: str, size: int, token: str | None
    ) -> run_v2.ListExecutionsResponse:
        """`parent` is a job, or `projects/P/locations/L/jobs/-`: every job of the location
        (the API documents the wildcard; its order is not documented, names here)."""
        prefix = parent[: -len("-")] if parent.endswith("/jobs/-") else parent + "/executions/"
        with self._lock:
            names = sorted(n for n in self._executions if n.startswith(prefix))
            page, next_token = paginate(names, size, token, scope=parent)
            return run_v2.ListExecutionsResponse(
                executions=[self._executions[n] for n in page], next_page_token=next_token
            )

    def require(self, name: str) -> run_v2.Job:
        with self._lock:
            return copy_message(self._require(name))

    def update_job(
        self, name: str, body: run_v2.Job, *, validate_only: bool, allow_missing: bool
    ) -> operations_pb2.Operation:
        with self._lock:
            current = self._jobs.get(name)
            if current is None:
                if not allow_missing:
                    raise self._not_found(name)
                raise ApiError(501, "Creating a job with allowMissing is not emulated.")
            etag_guard("job", name, current, body)
            updated = copy_message(current)
            replace_user_fields(run_v2.Job.pb(updated), run_v2.Job.pb(body), JOB_OUTPUT_ONLY)
            if not updated.template.template.containers:
                raise ApiError.invalid("job.template.template.containers: at least one is required")
            self._bump(updated)
            if not validate_only:
                self._jobs[name] = updated
            return done_operation(name.rsplit("/jobs/", 1)[0], run_v2.Job.pb(updated))

    # -- internals (lock held) ------------------------------------------------------------

    def _require(self, name: str) -> run_v2.Job:
        job = self._jobs.get(name)
        if job is None:
            raise self._not_found(name)
        return job

    @staticmethod
    def _not_found(name: str) -> ApiError:
        return ApiError.not_found(f"Resource '{name}' of kind 'JOB' was not found.")

    @staticmethod
    def _bump(job: run_v2.Job, modifier: str | None = None) -> None:
        job.generation += 1
        job.observed_generation = job.generation
        job.etag = new_etag()
        job.update_time = now()
        job.last_modifier = modifier or EMULATOR_PRINCIPAL  # the writer, as Cloud Run records


# -- routes -------------------------------------------------------------------------------

_LOCATION = r"projects/[^/]+/locations/[^/]+"
ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(rf"^/v2/(?P<resource>{_LOCATION})/jobs$"), {"GET": "jobs.list"}),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/jobs/[^/:]+)$"),
        {"GET": "jobs.get", "PATCH": "jobs.update"},
    ),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/jobs/[^/]+)/executions$"),
        {"GET": "executions.list"},
    ),
]


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


def _list_jobs(emulator: Emulator, parent: str, query: Mapping[str, str], _b: bytes) -> Message:
    page = emulator.state.jobs.list_jobs(
        parent, page_size_of(query.get("pageSize")), query.get("pageToken")
    )
    return run_v2.ListJobsResponse.pb(page)


def _get_job(emulator: Emulator, name: str, _q: Mapping[str, str], _b: bytes) -> Message:
    return run_v2.Job.pb(emulator.state.jobs.require(name))


def _update_job(emulator: Emulator, name: str, query: Mapping[str, str], body: bytes) -> Message:
    job = run_v2.Job()
    try:
        json_format.Parse(body.decode("utf-8") or "{}", run_v2.Job.pb(job))
    except (json_format.ParseError, UnicodeDecodeError) as exc:
        raise ApiError.invalid(f"Invalid JSON payload received. {exc}") from exc
    return emulator.state.jobs.update_job(
        name,
        job,
        validate_only=_flag(query, "validateOnly"),
        allow_missing=_flag(query, "allowMissing"),
    )


def _list_executions(
    emulator: Emulator, parent: str, query: Mapping[str, str], _b: bytes
) -> Message:
    page = emulator.state.jobs.list_executions(
        parent, page_size_of(query.get("pageSize")), query.get("pageToken")
    )
    return run_v2.ListExecutionsResponse.pb(page)


HANDLERS: dict[str, Any] = {
    "jobs.list": _list_jobs,
    "jobs.get": _get_job,
    "jobs.update": _update_job,
    "executions.list": _list_executions,
}

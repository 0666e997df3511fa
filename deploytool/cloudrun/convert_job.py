"""Cloud Run Jobs and their executions ↔ the core model. A job's env lives in its task
template (`job.template.template.containers`); an execution's template is what that run used:
the job's env merged with the overrides it was started with."""

from __future__ import annotations

from typing import Any

from google.cloud import run_v2

from deploytool.cloudrun.convert import containers_from_proto, timestamp
from deploytool.core.model import JOB, LiveExecution, LiveWorkload


def job_from_proto(job: run_v2.Job) -> LiveWorkload:
    """A job has no traffic and no revisions: its template is all that can run next."""
    parts = job.name.split("/")
    return LiveWorkload(
        name=parts[5],
        project=parts[1],
        region=parts[3],
        containers=containers_from_proto(job.template.template.containers),
        etag=job.etag,
        annotations=tuple(sorted(job.annotations.items())),
        kind=JOB,
        last_modifier=job.last_modifier,
        update_time=_rfc3339(job, "update_time"),
    )


def execution_from_proto(execution: run_v2.Execution) -> LiveExecution:
    """`projects/P/locations/L/jobs/J/executions/E`. Still running: no completion time."""
    parts = execution.name.split("/")
    return LiveExecution(
        name=parts[-1],
        job=parts[5] if len(parts) > 5 else execution.job,
        project=parts[1],
        region=parts[3],
        containers=containers_from_proto(execution.template.containers),
        create_time=_rfc3339(execution, "create_time"),
        start_time=_rfc3339(execution, "start_time"),
        running="completion_time" not in execution,
    )


def job_containers(job: run_v2.Job) -> Any:
    """The repeated containers a job update writes env into."""
    return job.template.template.containers


_rfc3339 = timestamp

"""The emulator's jobs, executions and worker pools written out as gcloud and the v2 API
would export them: v1 `run.googleapis.com/v1` Job and Execution (`--format export` drops the
status; `list --format json` keeps it), v2 JSON list responses; worker pools (and their
revisions other than the template's) as v2 JSON in every format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from google.cloud import run_v2

from tests.livefiles.exporter import _containers, _metadata, _parts, _short


def _time(message: Any, field: str) -> str:
    return getattr(message, field).rfc3339() if field in message else ""


def knative_job(job: Any, namespace: str, *, status: bool) -> Any:
    _project, region, name = _parts(job.name)
    aliases: dict[str, str] = {}
    containers = _containers(job.template.template.containers, aliases)
    template: dict[str, Any] = {
        "spec": {
            "taskCount": job.template.task_count or 1,
            "template": {"spec": {"containers": containers}},
        }
    }
    if aliases:
        template["metadata"] = {
            "annotations": {
                "run.googleapis.com/secrets": ",".join(
                    f"{a}:{p}" for a, p in sorted(aliases.items())
                )
            }
        }
    doc: dict[str, Any] = {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Job",
        "metadata": _metadata(name, namespace, region),
        "spec": {"template": template},
    }
    if status:
        doc["status"] = {"conditions": [{"type": "Ready", "status": "True"}]}
        latest = job.latest_created_execution
        if latest.name:
            doc["status"]["latestCreatedExecution"] = {
                "name": _short(latest.name),
                "creationTimestamp": _time(latest, "create_time"),
                **(
                    {"completionTimestamp": _time(latest, "completion_time")}
                    if "completion_time" in latest
                    else {}
                ),
            }
    return doc


def knative_execution(execution: Any, namespace: str) -> Any:
    parts = execution.name.split("/")
    aliases: dict[str, str] = {}
    containers = _containers(execution.template.containers, aliases)
    metadata = _metadata(parts[-1], namespace, parts[3], **{"run.googleapis.com/job": parts[5]})
    metadata["creationTimestamp"] = _time(execution, "create_time")
    if aliases:
        metadata["annotations"] = {
            "run.googleapis.com/secrets": ",".join(f"{a}:{p}" for a, p in sorted(aliases.items()))
        }
    status = {"startTime": _time(execution, "start_time")}
    if "completion_time" in execution:
        status["completionTime"] = _time(execution, "completion_time")
    return {
        "apiVersion": "run.googleapis.com/v1",
        "kind": "Execution",
        "metadata": metadata,
        "spec": {"template": {"spec": {"containers": containers}}},
        "status": status,
    }


def _executions(state: Any, names: list[str]) -> list[Any]:
    locations = sorted({"/".join(name.split("/")[:4]) for name in names})
    out = []
    for location in locations:
        found = state.jobs.list_executions(f"{location}/jobs/-", 1000, None)
        out += list(found.executions)
    return out


def export_workloads(state: Any, out: Path, fmt: str, ns: Any) -> list[Path]:
    """Every job, execution (of the locations that hold a workload) and worker pool."""
    jobs = [state.jobs.get_job(name) for name in state.jobs.names()]
    pools = [state.worker_pools.get_worker_pool(name) for name in state.worker_pools.names()]
    every = [*state.service_names(), *state.jobs.names(), *state.worker_pools.names()]
    runs = _executions(state, every)
    paths = []

    def write(name: str, text: str) -> None:
        path = out / name
        path.write_text(text)
        paths.append(path)

    if fmt == "v2":
        write("jobs.json", json.dumps({"jobs": [json.loads(run_v2.Job.to_json(j)) for j in jobs]}))
        body = [json.loads(run_v2.Execution.to_json(e)) for e in runs]
        write("executions.json", json.dumps({"executions": body}))
    else:
        if fmt == "list-json":
            docs = [knative_job(j, ns(j.name), status=True) for j in jobs]
            write("jobs.json", json.dumps(docs, indent=2))
        else:
            for i, job in enumerate(jobs):
                write(f"job-{i}.yaml", yaml.safe_dump(knative_job(job, ns(job.name), status=False)))
        # gcloud run jobs executions list --format json: a plain list. An empty one cannot be
        # told from any other empty list, so "none ran" is written as the README asks.
        listed = [knative_execution(e, ns(e.name)) for e in runs]
        write("executions.json", json.dumps(listed if listed else {"executions": []}))
    write(
        "pools.json",
        json.dumps({"workerPools": [json.loads(run_v2.WorkerPool.to_json(p)) for p in pools]}),
    )
    for pool in pools:
        for i, name in enumerate(state.worker_pools.revision_names(pool.name)):
            if name != pool.latest_created_revision:
                revision = state.worker_pools.require_revision(name)
                write(
                    f"pool-revision-{_short(pool.name)}-{i}.json", run_v2.Revision.to_json(revision)
                )
    return paths

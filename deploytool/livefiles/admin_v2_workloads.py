"""Cloud Run Admin API v2 JSON for jobs, executions and worker pools (`GET .../jobs/J`,
`.../jobs/J/executions/E`, `.../workerPools/W`, `.../workerPools/W/revisions/R`, and the items
of their list responses). Env entries and conditions are as for services (admin_v2.py).

A job's env is in `template.template.containers` (ExecutionTemplate → TaskTemplate); an
execution's in `template.containers` (what that run used), running while `completionTime` is
unset; `latestCreatedExecution {name, createTime, completionTime}` says whether a recent run
exists. A worker pool's `instanceSplitStatuses {type, revision, percent}` play the part of
traffic (no tags, no URLs)."""

from __future__ import annotations

import re

from deploytool.core.model import JOB, WORKER_POOL, LiveExecution, LiveWorkload, TrafficShare
from deploytool.livefiles import admin_v2
from deploytool.livefiles.nodes import Doc, optional_text
from deploytool.livefiles.parsed import (
    LatestExecution,
    ParsedExecution,
    ParsedRevision,
    ParsedService,
)

JOB_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/jobs/([^/]+)$")
EXECUTION_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/jobs/([^/]+)/executions/([^/]+)$")
POOL_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/workerPools/([^/]+)$")
POOL_REVISION_NAME = re.compile(
    r"^projects/([^/]+)/locations/([^/]+)/workerPools/([^/]+)/revisions/([^/]+)$"
)
_LATEST = "INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST"
KINDS = {
    "job": JOB_NAME,
    "execution": EXECUTION_NAME,
    "worker_pool": POOL_NAME,
    "worker_pool_revision": POOL_REVISION_NAME,
}


def kind_of(name: str) -> str | None:
    """The v2 resource kind by the shape of its name (one of KINDS), else None."""
    return next((kind for kind, shape in KINDS.items() if shape.match(name)), None)


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _state(doc: Doc, what: str) -> tuple[bool | None, str]:
    condition = doc.get("terminalCondition", what)
    if condition is None:
        return None, ""
    state = optional_text(condition, "state", "terminalCondition")
    ready = (
        True if state == "CONDITION_SUCCEEDED" else False if state == "CONDITION_FAILED" else None
    )
    return ready, optional_text(condition, "message", "terminalCondition")


def _annotations(doc: Doc, what: str) -> tuple[tuple[str, str], ...]:
    found = doc.get("annotations", what)
    return tuple(sorted((found.string_map("annotations") if found else {}).items()))


def job(doc: Doc) -> ParsedService:
    full = doc.require("name", "Job").text("name")
    project, region, name = JOB_NAME.match(full).groups()  # type: ignore[union-attr]
    what = f"job {name}"
    task = doc.require("template", what).require("template", f"{what} template")
    ready, message = _state(doc, what)
    latest = doc.get("latestCreatedExecution", what)
    latest_name = optional_text(latest, "name", "latestCreatedExecution") if latest else ""
    return ParsedService(
        LiveWorkload(
            name=name,
            project=project,
            region=region,
            containers=admin_v2._containers(task, what),
            etag=optional_text(doc, "etag", what),
            annotations=_annotations(doc, what),
            ready=ready,
            condition_message=message,
            kind=JOB,
        ),
        doc.where,
        LatestExecution(
            _short(latest_name),
            optional_text(latest, "createTime", "latestCreatedExecution"),
            running=not optional_text(latest, "completionTime", "latestCreatedExecution"),
        )
        if latest is not None and latest_name
        else None,
    )


def execution(doc: Doc) -> ParsedExecution:
    full = doc.require("name", "Execution").text("name")
    project, region, owner, name = EXECUTION_NAME.match(full).groups()  # type: ignore[union-attr]
    what = f"execution {name}"
    return ParsedExecution(
        LiveExecution(
            name=name,
            job=owner,
            project=project,
            region=region,
            containers=admin_v2._containers(doc.require("template", what), what),
            create_time=optional_text(doc, "createTime", what),
            start_time=optional_text(doc, "startTime", what),
            running=not optional_text(doc, "completionTime", what),
        ),
        doc.where,
    )


def worker_pool(doc: Doc) -> ParsedService:
    full = doc.require("name", "WorkerPool").text("name")
    project, region, name = POOL_NAME.match(full).groups()  # type: ignore[union-attr]
    what = f"worker pool {name}"
    ready, message = _state(doc, what)
    latest_ready = _short(optional_text(doc, "latestReadyRevision", what))
    return ParsedService(
        LiveWorkload(
            name=name,
            project=project,
            region=region,
            containers=admin_v2._containers(doc.require("template", what), what),
            etag=optional_text(doc, "etag", what),
            annotations=_annotations(doc, what),
            latest_created_revision=_short(optional_text(doc, "latestCreatedRevision", what)),
            latest_ready_revision=latest_ready,
            ready=ready,
            condition_message=message,
            traffic=_splits(doc.get("instanceSplitStatuses", what), latest_ready, what),
            kind=WORKER_POOL,
        ),
        doc.where,
    )


def _splits(entries: Doc | None, latest: str, what: str) -> tuple[TrafficShare, ...]:
    """A LATEST entry without a revision is the latest ready revision, as for services."""
    out = []
    for entry in entries.items(f"{what} instanceSplitStatuses") if entries else []:
        follows_latest = optional_text(entry, "type", "instance split") == _LATEST
        name = _short(optional_text(entry, "revision", "instance split")) or (
            latest if follows_latest else ""
        )
        percent = entry.get("percent", "instance split")
        if name:
            out.append(
                TrafficShare(
                    name,
                    percent.integer("percent") if percent else 0,
                    follows_latest=follows_latest,
                )
            )
    return tuple(out)


def worker_pool_revision(doc: Doc) -> ParsedRevision:
    return admin_v2.revision(doc, POOL_REVISION_NAME, WORKER_POOL)

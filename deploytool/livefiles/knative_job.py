"""Cloud Run Jobs in the v1 (Knative-style) shape, `run.googleapis.com/v1`: `Job` as `gcloud
run jobs describe --format export|yaml|json` and `gcloud run jobs list --format json` print
it, and `Execution` as `gcloud run jobs executions describe|list --format json` do.

Shapes (Cloud Run Admin API v1, `namespaces.jobs` / `namespaces.executions`): a job's env is in
`spec.template.spec.template.spec.containers[].env` (execution template → task template →
task spec); an execution's in `spec.template.spec.containers[].env`, and its job is the label
`run.googleapis.com/job`. `metadata.namespace`, the location label and the env entries are as
for services (knative.py). `status.latestCreatedExecution` `{name, creationTimestamp,
completionTimestamp}` tells whether a recent run exists; an execution without
`status.completionTime` is still running.
"""

from __future__ import annotations

from deploytool.core.model import JOB, LiveExecution, LiveWorkload
from deploytool.livefiles.knative import _aliases, _containers, _place, _ready
from deploytool.livefiles.nodes import Doc, optional_text
from deploytool.livefiles.parsed import LatestExecution, ParsedExecution, ParsedService

API_VERSION = "run.googleapis.com/v1"
JOB_LABEL = "run.googleapis.com/job"


def job(doc: Doc) -> ParsedService:
    metadata = doc.require("metadata", "Job")
    name = metadata.require("name", "metadata").text("metadata.name")
    what = f"job {name}"
    project, region = _place(metadata, what, f"gcloud run jobs describe {name}")
    execution_template = doc.require("spec", what).require("template", f"{what} spec")
    task_template = execution_template.require("spec", f"{what} template").require(
        "template", f"{what} template spec"
    )
    # The secret aliases annotation may sit on the job or on its execution template (the
    # reference documents annotations on both); either names the same secrets.
    aliases = {
        **_aliases(metadata, what),
        **_aliases(execution_template.get("metadata", what), what),
    }
    containers = _containers(task_template.require("spec", f"{what} task template"), aliases, what)
    annotations = metadata.get("annotations", "metadata")
    status = doc.get("status", what)
    ready, message = _ready(status, what) if status is not None else (None, "")
    latest = status.get("latestCreatedExecution", "status") if status is not None else None
    return ParsedService(
        LiveWorkload(
            name=name,
            project=project,
            region=region,
            containers=containers,
            annotations=tuple(
                sorted((annotations.string_map("annotations") if annotations else {}).items())
            ),
            ready=ready,
            condition_message=message,
            kind=JOB,
        ),
        doc.where,
        _latest(latest) if latest is not None else None,
    )


def _latest(latest: Doc) -> LatestExecution | None:
    name = optional_text(latest, "name", "latestCreatedExecution")
    if not name:
        return None
    return LatestExecution(
        name.rsplit("/", 1)[-1],
        optional_text(latest, "creationTimestamp", "latestCreatedExecution"),
        running=not optional_text(latest, "completionTimestamp", "latestCreatedExecution"),
    )


def execution(doc: Doc) -> ParsedExecution:
    metadata = doc.require("metadata", "Execution")
    name = metadata.require("name", "metadata").text("metadata.name")
    what = f"execution {name}"
    project, region = _place(
        metadata, what, f"gcloud run jobs executions describe {name} --format json"
    )
    labels = metadata.require("labels", what).string_map("labels")
    owner = labels.get(JOB_LABEL)
    if not owner:
        raise metadata.fail(f"{what}: the label {JOB_LABEL} (its job) is missing")
    spec = doc.require("spec", what).require("template", f"{what} spec")
    containers = _containers(
        spec.require("spec", f"{what} template"), _aliases(metadata, what), what
    )
    status = doc.get("status", what)
    # No status at all: nothing says the run finished, so it is taken as running (kept by
    # every window; checking one run too many is cheaper than missing a leak).
    completed = optional_text(status, "completionTime", "status") if status is not None else ""
    return ParsedExecution(
        LiveExecution(
            name=name,
            job=owner,
            project=project,
            region=region,
            containers=containers,
            create_time=optional_text(metadata, "creationTimestamp", "metadata"),
            start_time=optional_text(status, "startTime", "status") if status is not None else "",
            running=not completed,
        ),
        doc.where,
    )

"""Which format each exported document is, and its conversion: Knative documents by
`apiVersion`/`kind`, v2 JSON by the shape of its resource name, lists by their item key.
A new workload kind (jobs, worker pools) adds its entries to these tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from deploytool.errors import ManifestError, ManifestProblem, UsageError
from deploytool.livefiles import admin_v2, admin_v2_workloads, knative, knative_job
from deploytool.livefiles.nodes import Doc, optional_text
from deploytool.livefiles.parsed import ExecutionsListed, Parsed
from deploytool.manifest.yamlsafe import compose_documents

Converter = Callable[[Doc], Parsed]

# (apiVersion, kind) -> converter: `gcloud run ... describe|list` output.
KNATIVE_KINDS: dict[tuple[str, str], Converter] = {
    (knative.API_VERSION, "Service"): knative.service,
    (knative.API_VERSION, "Revision"): knative.revision,
    (knative_job.API_VERSION, "Job"): knative_job.job,
    (knative_job.API_VERSION, "Execution"): knative_job.execution,
}
# v2 resource kind (from its name) -> converter.
V2_KINDS: dict[str, Converter] = {
    "service": admin_v2.service,
    "revision": admin_v2.revision,
    "job": admin_v2_workloads.job,
    "execution": admin_v2_workloads.execution,
    "worker_pool": admin_v2_workloads.worker_pool,
    "worker_pool_revision": admin_v2_workloads.worker_pool_revision,
}
# v2 list responses: the key holding the items.
V2_LIST_KEYS = ("services", "revisions", "jobs", "executions", "workerPools")
MAX_FILE_BYTES = 64 * 1024 * 1024
_HINT = (
    "give the output of gcloud run services|jobs describe NAME --format export (or "
    "yaml/json), gcloud run services|jobs list --format json, gcloud run revisions describe "
    "R --format export, gcloud run jobs executions list --format json, or Cloud Run Admin "
    "API v2 JSON (services, revisions, jobs, executions, worker pools)"
)


def read_file(path: Path) -> list[Parsed]:
    """Everything one exported file holds; ManifestError (exit 2, file:line) if it is not
    one of the supported formats, UsageError if it cannot be read."""
    display = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"--live-from {display}: cannot read it ({exc.strerror or exc})", _HINT
        ) from exc
    if len(data) > MAX_FILE_BYTES:
        raise UsageError(f"--live-from {display}: larger than 64 MiB", "export fewer services")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _problem(display, data.count(b"\n", 0, exc.start) + 1, "not valid UTF-8") from exc
    if text.lstrip().startswith(("{", "[")):
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise _problem(display, exc.lineno, f"invalid JSON: {exc.msg}") from exc
    nodes, problems = compose_documents(text, display)
    if problems:
        raise ManifestError(problems)
    if not nodes:
        raise _problem(display, 1, f"the file is empty; {_HINT}")
    out: list[Parsed] = []
    for node in nodes:
        out += _document(Doc(node, display))
    return out


def _document(doc: Doc) -> list[Parsed]:
    if doc.is_sequence:  # gcloud ... list --format json
        return [found for item in doc.items("list") for found in _document(item)]
    if not doc.is_mapping:
        raise doc.fail(f"expected a Cloud Run resource (a mapping) or a list of them; {_HINT}")
    fields = doc.fields("document")
    if "apiVersion" in fields or "kind" in fields:
        api = optional_text(doc, "apiVersion", "document")
        kind = optional_text(doc, "kind", "document")
        if kind.endswith("List") and "items" in fields:
            return [
                found
                for item in doc.require("items", kind).items(kind)
                for found in _document(item)
            ]
        converter = KNATIVE_KINDS.get((api, kind))
        if converter is None:
            known = ", ".join(f"{a} {k}" for a, k in KNATIVE_KINDS)
            raise doc.fail(f"unsupported apiVersion/kind {api!r}/{kind!r} (supported: {known})")
        return [converter(doc)]
    for key in V2_LIST_KEYS:
        if key in fields:
            token = optional_text(doc, "nextPageToken", "list response")
            if token:
                raise doc.fail(
                    "a list response with nextPageToken set holds one page only; export every "
                    "page (or use gcloud run services list --format json)"
                )
            items = doc.get(key, key)
            found = [hit for item in (items.items(key) if items else []) for hit in _document(item)]
            # An empty list of executions still says that none ran (the API omits the key
            # of an empty list, so `{}` stays unrecognised rather than read as "none").
            return [ExecutionsListed(doc.where), *found] if key == "executions" else found
    name = optional_text(doc, "name", "document") if "name" in fields else ""
    resource = admin_v2.kind_of(name) or admin_v2_workloads.kind_of(name)
    if resource is None:
        raise doc.fail(f"not a Cloud Run resource this tool reads; {_HINT}")
    return [V2_KINDS[resource](doc)]


def _problem(display: str, line: int | None, message: str) -> ManifestError:
    return ManifestError([ManifestProblem(display, line, message)])

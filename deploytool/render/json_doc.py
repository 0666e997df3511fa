"""The versioned JSON envelope of CONTRACT.md. Keys only ever get added (schema_version 1)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from deploytool.commands.apply import ApplyResult
from deploytool.commands.results import GateResult, ValidateResult
from deploytool.core.diff import EnvChange, RevisionDrift, ServiceDiff
from deploytool.core.model import JOB, KIND_SECTIONS, WORKER_POOL, EnvVar
from deploytool.core.policy import Violation
from deploytool.core.report import EnvironmentReport, ReadError
from deploytool.errors import DeployToolError, ManifestError
from deploytool.redaction import scrub, scrub_document, shown_value
from deploytool.render import json_style
from deploytool.render.ack_doc import attribution_fields, note_fields
from deploytool.render.discovery_doc import discovery_fields
from deploytool.render.escape import json_text

SCHEMA_VERSION = 1


def dumps(document: dict[str, Any], *, one_line: bool | None = None) -> str:
    """The document as text: pretty, or on one line with `one_line` (None: as `--output`
    asked, see render/json_style.py)."""
    compact = json_style.one_line() if one_line is None else one_line
    # Scrub the strings first (escaping could hide a secret), then the text as a last net.
    text = scrub(
        json.dumps(
            scrub_document(document),
            indent=None if compact else 2,
            separators=(",", ":") if compact else None,
            ensure_ascii=False,
        )
    )
    return json_text(text)  # the same document, nothing in it a terminal or CI runner acts on


def value_doc(var: EnvVar | None, paired: EnvVar | None = None) -> Any:
    """A value as the document shows it; `paired` is the other side of its change."""
    if var is None:
        return None
    if var.secret is not None:
        return {"secret": var.secret.secret, "version": var.secret.version}
    return shown_value(var, paired)


def change_doc(change: EnvChange) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": change.name,
        "kind": str(change.kind),
        "desired": value_doc(change.desired, change.live),
        "live": value_doc(change.live, change.desired),
    }
    if change.origin is not None:
        doc["origin"] = str(change.origin)
    doc.update(note_fields(change.acknowledged))
    return doc


def service_doc(diff: ServiceDiff) -> dict[str, Any]:
    """One workload entry, one shape for every kind: `kind`, `name` and `service` (the
    workload's name, as violations carry it) always; a job also says `job`, a worker pool
    `worker_pool`."""
    doc: dict[str, Any] = {
        "kind": diff.kind,
        "name": diff.service,
        "service": diff.service,
        "project": diff.project,
        "region": diff.region,
        "status": str(diff.status),
        "changes": [change_doc(c) for c in diff.changes],
        "container": diff.container,
        "revisions": [revision_doc(r) for r in diff.revisions],
        "not_ready": diff.not_ready,
        **attribution_fields(diff.last_modifier, diff.update_time),
    }
    if diff.kind in (JOB, WORKER_POOL):
        doc[diff.kind] = diff.service
    if diff.error is not None:
        doc["error"] = diff.error
    return doc


def revision_doc(r: RevisionDrift) -> dict[str, Any]:
    """`uri` is the URL of the first tag (none for an untagged revision, which has no URL of
    its own); `uris` lists one per tag, in the order of `tags`."""
    return {
        "revision": r.revision,
        "percent": r.percent,
        "tags": [t.tag for t in r.tags],
        "uri": (r.tags[0].uri or None) if r.tags else None,
        "uris": [t.uri or None for t in r.tags],
        "changes": [change_doc(c) for c in r.changes],
        "creator": r.creator,
        "create_time": r.create_time,
    }


def violation_doc(v: Violation) -> dict[str, Any]:
    return {
        "rule": v.rule,
        "environment": v.environment,
        "service": v.service,
        "variable": v.variable,
        "source": v.source,
        "kind": v.kind,
        "revision": v.revision,
        "execution": v.execution,
        # `tag`: the (first) tag that makes the revision reachable; `tags`: all of them.
        "tag": v.tags[0] if v.tags else None,
        "tags": list(v.tags),
        "message": v.message,
    }


def error_doc(e: ReadError) -> dict[str, Any]:
    return {
        "kind": e.kind,
        "service": e.service,
        "project": e.project,
        "region": e.region,
        "message": e.message,
    }


def environment_doc(report: EnvironmentReport, *, audit: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "environment": report.environment,
        "status": str(report.verdict.status),
        "exit_code": int(report.verdict.exit_code),
        **workload_lists(report.services),
        "violations": [violation_doc(v) for v in report.violations],
        "errors": [error_doc(e) for e in report.errors],
        "warnings": list(report.warnings),
    }
    if audit:
        doc["unmanaged"] = [
            {
                "kind": u.kind,
                "name": u.service,
                "service": u.service,
                "project": u.project,
                "region": u.region,
            }
            for u in report.unmanaged
        ]
    return doc


def workload_lists(diffs: Sequence[ServiceDiff]) -> dict[str, list[dict[str, Any]]]:
    """`services`, `jobs` and `worker_pools`: each kind in its own array, one entry shape."""
    return {
        section: [service_doc(d) for d in diffs if d.kind == kind]
        for kind, section in KIND_SECTIONS.items()
    }


def gate_doc(result: GateResult) -> dict[str, Any]:
    return with_source(_gate_doc(result), result.source)


def with_source(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """Every managed workload entry says where its live state came from (`cloud_run` or
    `file`)."""
    for env in doc.get("environments", [doc]):
        for section in KIND_SECTIONS.values():
            for entry in env.get(section, ()):
                entry["source"] = source
    return doc


def _gate_doc(result: GateResult) -> dict[str, Any]:
    head = {
        "schema_version": SCHEMA_VERSION,
        "command": result.command,
    }
    if result.command == "audit":
        # Lets `audit --merge` refuse shards of different runs.
        run = (
            {"run_id": result.run.run_id, "started_at": result.run.started_at} if result.run else {}
        )
        doc = {
            **head,
            **run,
            "status": str(result.verdict.status),
            "exit_code": int(result.verdict.exit_code),
            "severity": json_style.severity(int(result.verdict.exit_code)),
            "environments": [environment_doc(r, audit=True) for r in result.reports],
            "warnings": list(result.warnings),
        }
        if result.discovery is not None:
            doc.update(discovery_fields(result.discovery, violation_doc, error_doc))
        if result.shard is not None:
            # Lets `audit --merge` prove every shard is there before it says "in sync".
            doc["shard"] = {"index": result.shard[0], "count": result.shard[1]}
        return doc
    (report,) = result.reports
    body = environment_doc(report, audit=False)
    body["severity"] = json_style.severity(body["exit_code"])
    return {**head, "environment": body.pop("environment"), **body}


def validate_doc(result: ValidateResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "validate",
        "status": "valid" if result.verdict.ok else str(result.verdict.status),
        "exit_code": int(result.verdict.exit_code),
        "environments": [
            {
                "environment": e.environment,
                "file": e.path,
                "services": e.services,
                "status": "valid" if e.verdict.ok else str(e.verdict.status),
                "violations": [violation_doc(v) for v in e.violations],
            }
            for e in result.environments
        ],
        "problems": [],
        "warnings": list(result.warnings),
    }


def failure_doc(command: str, environment: str | None, error: DeployToolError) -> dict[str, Any]:
    """A whole-command failure (bad manifest, no credentials) still yields one document, so a
    CI job parsing stdout never reads an empty string as success."""
    doc: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "command": command,
        "status": "error",
        "exit_code": int(error.exit_code),
    }
    if command in ("audit", "diff"):
        doc["severity"] = json_style.severity(int(error.exit_code))
    if environment is not None:
        doc["environment"] = environment
    problems = []
    if isinstance(error, ManifestError):
        problems = [{"file": p.path, "line": p.line, "message": p.message} for p in error.problems]
    message = error.message + (f" ({error.hint})" if error.hint else "")
    doc.update(
        {
            "services": [],
            "violations": [],
            "errors": [{"service": getattr(error, "service", None), "message": message}],
            "problems": problems,
        }
    )
    if command == "audit":
        doc["environments"] = []
    return doc


def apply_doc(result: ApplyResult) -> dict[str, Any]:
    """The diff envelope of the plan, plus each service's outcome; `verify` is the gate read
    back after the writes (what decided `exit_code` with `app`, what each written service's app
    said, as `verify` reports it), `remaining_leaks` what apply refused over."""
    from deploytool.render.verify_report import app_doc  # it imports this module

    body = environment_doc(result.plan, audit=False)
    body.pop("environment")
    outcomes = {(o.kind, o.service): o for o in result.outcomes}
    for service in (w for section in KIND_SECTIONS.values() for w in body[section]):
        o = outcomes.get((service["kind"], service["name"]))
        service["outcome"] = o.outcome.value if o else "unchanged"
        service["revision"] = o.revision if o else None
        service["message"] = o.message if o else None
        service["new_changes"] = [change_doc(c) for c in o.new_changes] if o else []
        service["removed_leaks"] = list(o.removed_leaks) if o else []
        service["traffic_command"] = o.traffic_command if o else None
        service["verified"] = service_doc(o.verified) if o and o.verified else None
        service["app"] = app_doc(o.app.result, o.app.probes) if o and o.app else None
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "apply",
        "environment": result.environment,
        **body,
        "status": str(result.verdict.status),
        "exit_code": int(result.verdict.exit_code),
        "dry_run": result.dry_run,
        "note": result.note,
        "remaining_leaks": [
            {
                "service": p.service,
                "project": p.project,
                "region": p.region,
                "variable": p.variable,
                "container": p.container,
                "revision": p.revision,
                "percent": p.percent,
                "reason": p.reason,
                "remedy": p.remedy,
            }
            for p in result.remaining_leaks
        ],
        "verify": environment_doc(result.verify, audit=False) if result.verify else None,
    }

"""GitHub Actions: workflow-command annotations and the job summary.

Annotations are written to stderr. The runner reads workflow commands from both streams of a
step (actions/runner's ScriptHandler hands stdout and stderr each to an OutputManager bound to
the ActionCommandManager), and stdout is taken: it carries the report, and with `--output json`
one JSON document that a `deploytool audit -o json | jq` step must be able to parse.

GitHub shows at most 10 error and 10 warning annotations per step, so beyond 9 of a kind the
10th says how many more there are and where to read them.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

from deploytool.redaction import scrub
from deploytool.render.doc_notes import acknowledged_only
from deploytool.render.escape import escape_document
from deploytool.render.markdown import (
    drifted,
    environment_docs,
    location,
    read_errors,
    workload_name,
    workloads,
)
from deploytool.render.revisions import revision_kind, revision_share

Doc = dict[str, Any]
MAX_PER_LEVEL = 10  # GitHub's per-step limit for each of error / warning
SUMMARY_LIMIT = 1024 * 1024  # GitHub refuses a step summary over 1 MiB
# A manifest finding starts with where it is: "configs/production.yaml:12: ..."
_WHERE = re.compile(r"^(?P<file>[^\s:]+\.ya?ml)(?::(?P<line>\d+))?: ")


def escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(level: str, message: str, **properties: str | None) -> str:
    """`::level key=value,...::message`, scrubbed before it is escaped (escaping would hide a
    secret containing `%`, `:` or `,` from `scrub`)."""
    props = ",".join(
        f"{key}={escape_property(scrub(value))}"
        for key, value in properties.items()
        if value is not None
    )
    head = f"::{level} {props}" if props else f"::{level}"
    return f"{head}::{escape_data(scrub(message))}"


def annotation_lines(doc: Doc) -> list[str]:
    """`::error` for violations and read errors, `::warning` for drift and revisions that are
    not ready; at most 10 of each kind."""
    # Values one line each first (visible escapes), then the workflow-command escaping.
    doc = escape_document(doc)
    errors: list[str] = []
    warnings: list[str] = []
    notices: list[str] = []
    for env in environment_docs(doc):
        name = env.get("environment")
        for v in env.get("violations", []):
            file, line = _manifest_position(v)
            errors.append(
                command(
                    "error",
                    str(v.get("message")),
                    file=file,
                    line=line,
                    title=f"deploytool {name}: {v.get('rule')}",
                )
            )
        for e in read_errors(env):
            subject = f"{e['service']} ({location(e)})" if e.get("service") else location(e)
            errors.append(
                command(
                    "error",
                    f"{subject}: {e.get('message')}",
                    title=f"deploytool {name}: live state not read",
                )
            )
        for s in workloads(env):
            if drifted(s):
                warnings.append(
                    command(
                        "warning",
                        _drift_message(s),
                        title=f"deploytool {name}: {workload_name(s)} {s.get('status')}",
                    )
                )
            elif acknowledged_only(s):
                # Shown, not a failure: a notice, never a warning that reads like drift.
                notices.append(
                    command(
                        "notice",
                        _drift_message(s).replace("differs from", "has acknowledged drift from"),
                        title=f"deploytool {name}: {workload_name(s)} drift acknowledged",
                    )
                )
            if s.get("not_ready"):
                warnings.append(
                    command(
                        "warning",
                        f"{workload_name(s)} ({location(s)}): {s['not_ready']}",
                        title=f"deploytool {name}: {workload_name(s)} not ready",
                    )
                )
    return _capped("error", errors) + _capped("warning", warnings) + _capped("notice", notices)


def _manifest_position(violation: Doc) -> tuple[str | None, str | None]:
    """The manifest file and line a finding names, as GitHub wants it: relative to the
    workspace (an absolute path outside it cannot be annotated, so then none)."""
    if violation.get("source") != "manifest":
        return None, None
    found = _WHERE.match(str(violation.get("message", "")))
    if found is None:
        return None, None
    file = found.group("file")
    if os.path.isabs(file):
        workspace = os.environ.get("GITHUB_WORKSPACE")
        if not workspace:
            return None, None
        relative = os.path.relpath(file, workspace)
        if relative.startswith(".."):
            return None, None
        file = relative
    return file, found.group("line")


def _drift_message(service: Doc) -> str:
    """Names only: values belong in the report, not in an annotation on every PR."""
    where = f"{service.get('service')} ({location(service)})"
    if service.get("status") == "missing":
        head = f"{where} is in the manifest but does not exist live"
    else:
        head = f"{where} differs from the manifest"
    parts = [_names(service.get("changes", []))]
    parts += [
        f"{revision_kind(r)} revision {r.get('revision')} ({revision_share(r)}): "
        f"{_names(r['changes'])}"
        for r in service.get("revisions", [])
        if r.get("changes")
    ]
    detail = "; ".join(p for p in parts if p)
    return f"{head}: {detail}" if detail else head


def _names(changes: list[Doc]) -> str:
    sign = {"missing": "+", "unexpected": "-", "changed": "~"}
    return ", ".join(f"{sign.get(str(c.get('kind')), '?')}{c.get('name')}" for c in changes)


def _capped(level: str, lines: list[str]) -> list[str]:
    if len(lines) <= MAX_PER_LEVEL:
        return lines
    kept = lines[: MAX_PER_LEVEL - 1]
    more = len(lines) - len(kept)
    noun = "errors" if level == "error" else "warnings"
    return [
        *kept,
        command(
            level,
            f"{more} more {noun}; see the job summary or the audit report",
            title=f"deploytool: {more} more {noun}",
        ),
    ]


def write_annotations(doc: Doc, stream: IO[str]) -> None:
    lines = annotation_lines(doc)
    if lines:
        stream.write("\n".join(lines) + "\n")
        stream.flush()


def summary_text(markdown: str, limit: int = SUMMARY_LIMIT) -> str:
    """The Markdown for the job summary, cut at a line when it would pass GitHub's limit."""
    if len(markdown.encode("utf-8")) <= limit:
        return markdown
    note = "\n\n_…truncated: the report is too long for the job summary; see the audit report._\n"
    budget = limit - len(note.encode("utf-8"))
    kept: list[str] = []
    used = 0
    for line in markdown.splitlines(keepends=True):
        size = len(line.encode("utf-8"))
        if used + size > budget:
            break
        kept.append(line)
        used += size
    return "".join(kept).rstrip("\n") + note

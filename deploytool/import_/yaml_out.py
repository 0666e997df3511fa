"""An ImportPlan as manifest YAML (ruamel.yaml, imported lazily): sorted keys, every value
double-quoted, a header naming project, regions and date; `--merge` adds the new workloads
to an existing file and keeps its comments and every existing entry as it was."""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from deploytool.core.model import workload_label
from deploytool.errors import UsageError
from deploytool.import_.plan import ImportPlan, WorkloadEntry

MOVE_TO_SECRET_MANAGER = "secret-looking plain value, not imported: move it to Secret Manager"


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round-trip: comments and order survive a load and dump
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never fold a long value
    return yaml


def _quoted(text: str) -> Any:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(text)


def _mapping(pairs: Sequence[tuple[str, str]]) -> Any:
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    for key, value in pairs:
        out[key] = _quoted(value)
    return out


def _strings(items: Sequence[str]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    return CommentedSeq(_quoted(item) for item in items)


def _entry(entry: WorkloadEntry, project: str, region: str) -> Any:
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    if entry.project != project:
        out["project"] = _quoted(entry.project)
    if entry.region != region:
        out["region"] = _quoted(entry.region)
    if entry.container is not None:
        out["container"] = _quoted(entry.container)
    if entry.env:
        out["env"] = _mapping(entry.env)
    if entry.secrets:
        out["secrets"] = _mapping(entry.secrets)
    ignore = [*entry.ignore, *entry.credentials]
    if ignore:
        out["ignore"] = _strings(ignore)
        for index, name in enumerate(ignore):
            if name in entry.credentials:
                out["ignore"].yaml_add_eol_comment(MOVE_TO_SECRET_MANAGER, index)
    return out


def _e2e(plan: ImportPlan) -> Any:
    """The `e2e:` block, listing its workloads per kind (`services:`, `jobs:`,
    `worker_pools:`): a kind left out gets no E2E set once any list is given."""
    from ruamel.yaml.comments import CommentedMap

    assert plan.e2e is not None
    block = CommentedMap()
    if plan.e2e.env:
        block["env"] = _mapping(plan.e2e.env)
    if plan.e2e.secrets:
        block["secrets"] = _mapping(plan.e2e.secrets)
    for section, names in plan.e2e.lists().items():
        block[section] = _strings(names)
    return block


def render_new(plan: ImportPlan, regions: Sequence[str], date: str) -> str:
    from ruamel.yaml.comments import CommentedMap

    doc = CommentedMap()
    doc["project"] = _quoted(plan.project)
    doc["region"] = _quoted(plan.region)
    if plan.ignore:
        doc["ignore"] = _strings(plan.ignore)
        doc.yaml_add_eol_comment("build-stamped: differs between services", "ignore")
    if plan.e2e is not None:
        doc["e2e"] = _e2e(plan)
    for kind, entries in plan.workloads.items():
        if entries:
            doc[kind] = CommentedMap(
                (e.name, _entry(e, plan.project, plan.region)) for e in entries
            )
    header = (
        f"# Imported by deploytool import from live Cloud Run on {date}.\n"
        f"# project: {plan.project}; regions: {', '.join(regions)}\n"
        "# Review it, then: deploytool validate && deploytool diff ENV, and commit.\n"
    )
    return header + _dump(doc)


def _dump(doc: Any) -> str:
    buffer = io.StringIO()
    _yaml().dump(doc, buffer)
    return buffer.getvalue()


def load_existing(path: Path) -> Any:
    return _yaml().load(path.read_text(encoding="utf-8"))


def render_merged(existing: Any, plan: ImportPlan) -> tuple[str, list[str]]:
    """`existing` (a round-trip document) with the plan's workloads that it does not have
    yet; (the text, the names added). Existing entries are never changed."""
    from ruamel.yaml.comments import CommentedMap

    added = []
    project = str(existing.get("project", plan.project))
    region = str(existing.get("region", plan.region))
    if plan.e2e is not None and "e2e" not in existing:
        existing["e2e"] = _e2e(plan)
    for kind, entries in plan.workloads.items():
        section = existing.get(kind)
        if section is None and entries:
            section = existing[kind] = CommentedMap()
        for entry in entries:
            if entry.name in section:
                continue
            section[entry.name] = _entry(entry, project, region)
            added.append(workload_label(entry.kind, entry.name))
    return _dump(existing), added


def write_atomically(path: Path, text: str) -> None:
    """A temp file in the same directory, then a rename: readers see the old file or the
    new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise UsageError(
            f"cannot write {path}: {exc.strerror or exc}", "check the directory"
        ) from exc

"""Exported files → the `LiveSnapshot` the gate reads, as the Cloud Run adapter would have
produced it. What the files do not hold is never taken as absent: a managed workload missing
from them is unknown (exit 5), and so is a serving or tagged revision (or a worker-pool
revision with an instance split), and a job's recent run that its status names."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from deploytool.core.executions import DEFAULT_WINDOW, in_window, parse_window
from deploytool.core.gate import serving_revisions_to_read
from deploytool.core.model import (
    JOB,
    KINDS,
    SERVICE,
    WORKER_POOL,
    LiveExecution,
    LiveRevision,
    LiveWorkload,
    Manifest,
)
from deploytool.core.report import EXECUTIONS, LiveSnapshot, LocationRead, RevisionRead
from deploytool.errors import ManifestError, ManifestProblem
from deploytool.livefiles.dispatch import read_file
from deploytool.livefiles.executions_check import executions_findings
from deploytool.livefiles.parsed import (
    ExecutionsListed,
    LatestExecution,
    ParsedExecution,
    ParsedRevision,
    ParsedService,
)

SOURCE = "file"
_V2 = "https://run.googleapis.com/v2/projects/{project}/locations/{region}"


def absent_message(kind: str, project: str, region: str) -> str:
    """What to export for a managed workload of `kind` missing from the files (`{name}` is
    the workload's name, filled in by the gate)."""
    where = f"--project {project} --region {region}"
    if kind == JOB:
        how = f"gcloud run jobs describe {{name}} {where} --format export"
    elif kind == WORKER_POOL:
        url = _V2.format(project=project, region=region)
        how = f"the Cloud Run Admin API v2 JSON of GET {url}/workerPools/{{name}}"
    else:
        how = f"gcloud run services describe {{name}} {where} --format export"
    return f"not in the --live-from files; export it with {how}"


def _revision_missing(kind: str, project: str, region: str, owner: str, name: str) -> str:
    if kind == WORKER_POOL:
        url = _V2.format(project=project, region=region)
        how = f"the Cloud Run Admin API v2 JSON of GET {url}/workerPools/{owner}/revisions/{name}"
    else:
        how = (
            f"gcloud run revisions describe {name} --project {project} --region {region} "
            "--format export"
        )
    return f"not in the --live-from files; export it with {how}, and pass that file too"


def read_files_snapshot(
    paths: Sequence[Path],
    locations: Iterable[tuple[str, str]],
    manifests: Iterable[Manifest],
    *,
    managed: Collection[tuple[str, str, str, str]],
    all_serving: bool = False,
    executions_since: timedelta | None = None,
    now: datetime | None = None,
) -> LiveSnapshot:
    """`manifests` are every manifest of the config dir (a project number in a file is
    matched against their `project` and `project_number`); `managed` the (kind, project,
    region, name) whose serving revisions are needed (every workload's when `all_serving`:
    a protected environment, whose job executions are then checked too)."""
    numbers = _project_numbers(manifests)
    workloads: dict[tuple[str, str, str, str], LiveWorkload] = {}
    latest: dict[tuple[str, str, str], LatestExecution] = {}
    revisions: dict[tuple[str, str, str, str, str], LiveRevision] = {}
    executions: dict[tuple[str, str, str, str], LiveExecution] = {}
    executions_exported = False
    for path in paths:
        for parsed in read_file(path):
            if isinstance(parsed, ParsedService):
                live = parsed.service
                live = replace(live, project=_project(live.project, numbers, parsed.where))
                key = (live.kind, live.project, live.region, live.name)
                _put(workloads, key, live, parsed.where)
                if parsed.latest_execution is not None:
                    latest[key[1:]] = parsed.latest_execution
            elif isinstance(parsed, ParsedRevision):
                rev = parsed.revision
                rev = replace(rev, project=_project(rev.project, numbers, parsed.where))
                _put(
                    revisions,
                    (rev.kind, rev.project, rev.region, rev.service, rev.name),
                    rev,
                    parsed.where,
                )
            elif isinstance(parsed, ParsedExecution):
                run = parsed.execution
                run = replace(run, project=_project(run.project, numbers, parsed.where))
                _put(executions, (run.project, run.region, run.job, run.name), run, parsed.where)
                executions_exported = True
            elif isinstance(parsed, ExecutionsListed):
                executions_exported = True
    window = executions_since if executions_since is not None else parse_window(DEFAULT_WINDOW)
    cutoff = (now or datetime.now(UTC)) - window
    reads = []
    revision_reads = []
    for project, region in sorted(set(locations)):
        here = {
            kind: tuple(
                live
                for (k, p, r, _), live in sorted(workloads.items())
                if (k, p, r) == (kind, project, region)
            )
            for kind in KINDS
        }
        runs = tuple(
            run
            for (p, r, _, _), run in sorted(executions.items())
            if (p, r) == (project, region) and in_window(run, cutoff)
        )
        errors: tuple[tuple[str, str], ...] = ()
        warnings: tuple[str, ...] = ()
        if all_serving:
            why, warnings = executions_findings(
                project, region, here[JOB], latest, executions, executions_exported, cutoff
            )
            errors = ((EXECUTIONS, why),) if why else ()
        reads.append(
            LocationRead(
                project,
                region,
                services=here[SERVICE],
                jobs=here[JOB],
                worker_pools=here[WORKER_POOL],
                executions=runs,
                absent=absent_message(SERVICE, project, region),
                absent_kinds=tuple((k, absent_message(k, project, region)) for k in KINDS),
                kind_errors=errors,
                warnings=warnings,
            )
        )
        for live in (*here[SERVICE], *here[WORKER_POOL]):
            if not all_serving and (live.kind, project, region, live.name) not in managed:
                continue
            for reachable in serving_revisions_to_read(live):
                name = reachable.revision
                found = revisions.get((live.kind, project, region, live.name, name))
                revision_reads.append(
                    RevisionRead(project, region, live.name, name, revision=found, kind=live.kind)
                    if found is not None
                    else RevisionRead(
                        project,
                        region,
                        live.name,
                        name,
                        error=_revision_missing(live.kind, project, region, live.name, name),
                        kind=live.kind,
                    )
                )
    return LiveSnapshot(locations=tuple(reads), revisions=tuple(revision_reads))


def _project_numbers(manifests: Iterable[Manifest]) -> dict[str, str]:
    numbers: dict[str, str] = {}
    for manifest in manifests:
        if manifest.project_number:
            numbers[manifest.project_number] = manifest.project
        if manifest.project.isdigit():
            numbers[manifest.project] = manifest.project
    return numbers


def _project(written: str, numbers: dict[str, str], where: str) -> str:
    """The project id a file's namespace names: an id as is, a number through the manifests."""
    if not written.isdigit():
        return written
    project = numbers.get(written)
    if project is None:
        path, _, line = where.rpartition(":")
        raise ManifestError(
            [
                ManifestProblem(
                    path,
                    int(line),
                    f"project number {written} (metadata.namespace) matches no manifest: no "
                    f'manifest has project: "{written}" or project_number: "{written}"; add '
                    "project_number: to the manifest of that project, or export files of the "
                    "environments' projects only",
                )
            ]
        )
    return project


def _put(store: dict[Any, Any], key: tuple[str, ...], value: object, where: str) -> None:
    if key in store and store[key] != value:
        path, _, line = where.rpartition(":")
        raise ManifestError(
            [
                ManifestProblem(
                    path,
                    int(line),
                    f"{'/'.join(key)} is given twice in the --live-from files, with other "
                    "contents; pass one export of it",
                )
            ]
        )
    store[key] = value

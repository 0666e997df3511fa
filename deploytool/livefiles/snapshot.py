"""Exported files → the `LiveSnapshot` the gate reads, as the Cloud Run adapter would have
produced it. What the files do not hold is never taken as absent: a managed service missing
from them is unknown (exit 5), and so is a serving or tagged revision."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from deploytool.core.gate import serving_revisions_to_read
from deploytool.core.model import LiveRevision, LiveService, Manifest
from deploytool.core.report import LiveSnapshot, LocationRead, RevisionRead
from deploytool.errors import ManifestError, ManifestProblem
from deploytool.livefiles.dispatch import read_file
from deploytool.livefiles.parsed import ParsedRevision, ParsedService

SOURCE = "file"


def read_files_snapshot(
    paths: Sequence[Path],
    locations: Iterable[tuple[str, str]],
    manifests: Iterable[Manifest],
    *,
    managed: Collection[tuple[str, str, str]],
    all_serving: bool = False,
) -> LiveSnapshot:
    """`manifests` are every manifest of the config dir (a project number in a file is
    matched against their `project` and `project_number`); `managed` the (project, region,
    name) whose serving revisions are needed (every service's when `all_serving`)."""
    numbers = _project_numbers(manifests)
    services: dict[tuple[str, str, str], LiveService] = {}
    revisions: dict[tuple[str, str, str, str], LiveRevision] = {}
    for path in paths:
        for parsed in read_file(path):
            if isinstance(parsed, ParsedService):
                live = parsed.service
                live = replace(live, project=_project(live.project, numbers, parsed.where))
                _put(services, (live.project, live.region, live.name), live, parsed.where)
            elif isinstance(parsed, ParsedRevision):
                rev = parsed.revision
                rev = replace(rev, project=_project(rev.project, numbers, parsed.where))
                key = (rev.project, rev.region, rev.service, rev.name)
                _put(revisions, key, rev, parsed.where)
    reads = []
    revision_reads = []
    for project, region in sorted(set(locations)):
        here = tuple(
            live for (p, r, _), live in sorted(services.items()) if (p, r) == (project, region)
        )
        reads.append(
            LocationRead(
                project,
                region,
                services=here,
                absent=(
                    "not in the --live-from files; export it with gcloud run services describe "
                    f"{{name}} --project {project} --region {region} --format export"
                ),
            )
        )
        for live in here:
            if not all_serving and (project, region, live.name) not in managed:
                continue
            for reachable in serving_revisions_to_read(live):
                key = (project, region, live.name, reachable.revision)
                found = revisions.get(key)
                revision_reads.append(
                    RevisionRead(*key, revision=found)
                    if found is not None
                    else RevisionRead(
                        *key,
                        error=(
                            "not in the --live-from files; export it with gcloud run revisions "
                            f"describe {reachable.revision} --project {project} --region "
                            f"{region} --format export, and pass that file too"
                        ),
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

"""Reading live state for the gate: one paginated list per (project, region), in parallel,
then only the revisions that serve traffic or carry a tag and whose env may differ from the
template (one `get` each)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool.core.gate import serving_revisions_to_read
from deploytool.core.model import Manifest
from deploytool.core.report import LiveSnapshot, LocationRead, RevisionRead
from deploytool.errors import LiveStateError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway

Progress = Callable[[str], None]


def read_snapshot(
    gateway: CloudRunGateway,
    locations: Iterable[tuple[str, str]],
    manifests: Iterable[Manifest],
    *,
    parallel: int = 4,
    progress: Progress | None = None,
    all_serving: bool = False,
    owns: Callable[[str, str, str], bool] | None = None,
) -> LiveSnapshot:
    """Never raises for a Cloud Run failure: each unread piece is recorded with its reason,
    so the verdict can fail closed while everything else is still reported.

    Serving and tagged revisions are read for managed services, and for every service when
    `all_serving` (a protected environment: leakage on what serves counts anywhere), and
    only for the services `owns` accepts (an audit shard reads its own share)."""
    wanted = sorted(set(locations))
    # Credentials are global: without them nothing can be read, but the verdict still
    # comes from evaluating the manifests, so an offline violation stays exit 4.
    try:
        gateway.connect()
    except LiveStateError as exc:
        return unreadable(wanted, exc)
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        reads = list(
            pool.map(lambda loc: _list_location(gateway, loc[0], loc[1], progress), wanted)
        )
        managed = {(s.project, s.region, s.name) for m in manifests for s in m.services}
        todo = [
            (loc.project, loc.region, svc.name, reachable.revision)
            for loc in reads
            for svc in loc.services
            if all_serving or (svc.project, svc.region, svc.name) in managed
            if owns is None or owns(svc.project, svc.region, svc.name)
            for reachable in serving_revisions_to_read(svc)
        ]
        revisions = list(pool.map(lambda key: _read_revision(gateway, *key), todo))
    return LiveSnapshot(locations=tuple(reads), revisions=tuple(revisions))


def read_live(
    gateway: CloudRunGateway | None,
    live_from: Sequence[Path],
    locations: Iterable[tuple[str, str]],
    manifests: Sequence[Manifest],
    others: Sequence[Manifest] = (),
    *,
    parallel: int = 4,
    progress: Progress | None = None,
    all_serving: bool = False,
    owns: Callable[[str, str, str], bool] | None = None,
) -> LiveSnapshot:
    """The snapshot from exported files when `live_from` names any (no Cloud Run client is
    built), else from Cloud Run. `others` (the config dir's other manifests) resolve a
    project number in a file."""
    if live_from:
        from deploytool.livefiles.snapshot import read_files_snapshot

        managed = {(s.project, s.region, s.name) for m in manifests for s in m.services}
        return read_files_snapshot(
            live_from,
            locations,
            (*manifests, *others),
            managed=managed,
            all_serving=all_serving,
        )
    if gateway is None:
        raise ValueError("no gateway and no --live-from files")
    return read_snapshot(
        gateway,
        locations,
        manifests,
        parallel=parallel,
        progress=progress,
        all_serving=all_serving,
        owns=owns,
    )


def source_of(live_from: Sequence[Path]) -> str:
    """The `source` label of reports: exported files or Cloud Run."""
    return "file" if live_from else "cloud_run"


def unreadable(locations: Iterable[tuple[str, str]], exc: LiveStateError) -> LiveSnapshot:
    """A snapshot in which every location failed for the same reason (no credentials)."""
    why = _describe(exc)
    return LiveSnapshot(
        locations=tuple(LocationRead(project, region, error=why) for project, region in locations)
    )


def _list_location(
    gateway: CloudRunGateway, project: str, region: str, progress: Progress | None
) -> LocationRead:
    try:
        services = gateway.list_services(project, region)
    except LiveStateError as exc:
        return LocationRead(project, region, error=_describe(exc))
    finally:
        if progress is not None:
            progress(f"{project}/{region}")
    return LocationRead(project, region, services=tuple(services))


def _read_revision(
    gateway: CloudRunGateway, project: str, region: str, service: str, name: str
) -> RevisionRead:
    try:
        revision = gateway.get_revision(project, region, service, name)
    except LiveStateError as exc:
        return RevisionRead(project, region, service, name, error=_describe(exc))
    return RevisionRead(project, region, service, name, revision=revision)


def _describe(exc: LiveStateError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message

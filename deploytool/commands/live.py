"""Reading live state for the gate: one paginated list per kind (services, jobs, worker pools,
and the `jobs/-` executions wildcard) per (project, region), in parallel, then only the
revisions that serve traffic, carry a tag or have an instance split and whose env may differ
from the template (one `get` each). Requests grow with pages, never with workloads."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from deploytool.core.executions import DEFAULT_WINDOW, in_window, parse_window
from deploytool.core.gate import serving_revisions_to_read
from deploytool.core.model import KINDS, Manifest
from deploytool.core.report import EXECUTIONS, LiveSnapshot, LocationRead, RevisionRead
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
    executions_since: timedelta | None = None,
    now: datetime | None = None,
) -> LiveSnapshot:
    """Never raises for a Cloud Run failure: each unread piece is recorded with its reason
    (per location and kind), so the verdict can fail closed while everything else is still
    reported.

    Serving and tagged revisions (and worker-pool revisions with an instance split) are read
    for managed workloads, and for every workload when `all_serving` (a protected
    environment: leakage on what runs counts anywhere), and only for the workloads `owns`
    accepts (an audit shard reads its own share). Job executions are listed when
    `all_serving` (they are checked for leakage only) and kept when running or created
    within `executions_since` (default 24 h) before `now`."""
    wanted = sorted(set(locations))
    # Credentials are global: without them nothing can be read, but the verdict still
    # comes from evaluating the manifests, so an offline violation stays exit 4.
    try:
        gateway.connect()
    except LiveStateError as exc:
        return unreadable(wanted, exc)
    window = executions_since if executions_since is not None else parse_window(DEFAULT_WINDOW)
    cutoff = (now or datetime.now(UTC)) - window
    lists = [*KINDS, EXECUTIONS] if all_serving else list(KINDS)
    jobs = [(project, region, what) for project, region in wanted for what in lists]
    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        listed = list(pool.map(lambda job: _list_one(gateway, *job), jobs))
        reads = [
            _location(project, region, [r for r in listed if r[:2] == (project, region)], cutoff)
            for project, region in wanted
        ]
        if progress is not None:
            for project, region in wanted:
                progress(f"{project}/{region}")
        managed = {(w.kind, w.project, w.region, w.name) for m in manifests for w in m.workloads}
        todo = [
            (loc.project, loc.region, live.name, reachable.revision, live.kind)
            for loc in reads
            for live in loc.workloads()
            if all_serving or (live.kind, live.project, live.region, live.name) in managed
            if owns is None or owns(live.project, live.region, live.name)
            for reachable in serving_revisions_to_read(live)
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
    executions_since: timedelta | None = None,
) -> LiveSnapshot:
    """The snapshot from exported files when `live_from` names any (no Cloud Run client is
    built), else from Cloud Run. `others` (the config dir's other manifests) resolve a
    project number in a file."""
    if live_from:
        from deploytool.livefiles.snapshot import read_files_snapshot

        managed = {(w.kind, w.project, w.region, w.name) for m in manifests for w in m.workloads}
        return read_files_snapshot(
            live_from,
            locations,
            (*manifests, *others),
            managed=managed,
            all_serving=all_serving,
            executions_since=executions_since,
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
        executions_since=executions_since,
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


# (project, region, kind or "execution", items read, why not)
_Listed = tuple[str, str, str, list[Any], str | None]


def _list_one(gateway: CloudRunGateway, project: str, region: str, what: str) -> _Listed:
    try:
        if what == EXECUTIONS:
            items: list[Any] = gateway.list_executions(project, region)
        else:
            items = gateway.list_workloads(what, project, region)
    except LiveStateError as exc:
        return project, region, what, [], _describe(exc)
    return project, region, what, items, None


def _location(project: str, region: str, listed: list[_Listed], cutoff: datetime) -> LocationRead:
    """One location's lists put together; a list that failed is that kind's error."""
    found = {what: items for _p, _r, what, items, _why in listed}
    failed = tuple(sorted((what, why) for _p, _r, what, _i, why in listed if why is not None))
    return LocationRead(
        project,
        region,
        services=tuple(found.get("service", ())),
        jobs=tuple(found.get("job", ())),
        worker_pools=tuple(found.get("worker_pool", ())),
        executions=tuple(e for e in found.get(EXECUTIONS, ()) if in_window(e, cutoff)),
        kind_errors=failed,
    )


def _read_revision(
    gateway: CloudRunGateway, project: str, region: str, service: str, name: str, kind: str
) -> RevisionRead:
    try:
        revision = gateway.get_revision(project, region, service, name, kind)
    except LiveStateError as exc:
        return RevisionRead(project, region, service, name, error=_describe(exc), kind=kind)
    return RevisionRead(project, region, service, name, revision=revision, kind=kind)


def _describe(exc: LiveStateError) -> str:
    return f"{exc.message} ({exc.hint})" if exc.hint else exc.message

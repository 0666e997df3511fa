"""What `apply` can and cannot do about live leakage in a protected environment. Pure.

apply removes an E2E variable only by writing the managed container's env, so the question
"would leakage remain?" is answered by the gate itself: the snapshot is rewritten as it will
look after the planned writes (`after_writes`) and evaluated again. Whatever the gate still
finds there is leakage apply cannot remove; `describe` says, per piece, why and how to remove
it by hand.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

from deploytool.core.diff import is_ignored
from deploytool.core.model import (
    JOB,
    SERVICE,
    WORKER_POOL,
    LiveRevision,
    LiveService,
    Manifest,
    select_container,
)
from deploytool.core.plan import ServicePlan
from deploytool.core.policy import Violation
from deploytool.core.report import LiveSnapshot, LocationRead, RevisionRead

# The revision a write will create has no name until Cloud Run cuts it.
NEXT_REVISION = "(next revision)"
# The gcloud command group that updates each kind (worker pools are in beta there).
GCLOUD_GROUPS = {SERVICE: "run services", JOB: "run jobs", WORKER_POOL: "beta run worker-pools"}


@dataclass(frozen=True)
class LeakPiece:
    """One E2E variable live that apply would leave in place, and how to remove it."""

    service: str
    project: str | None
    region: str | None
    variable: str | None
    reason: str
    remedy: str
    container: str | None = None
    revision: str | None = None
    percent: int | None = None


def update_traffic_command(service: str, project: str, region: str, to: str) -> str:
    return (
        f"gcloud run services update-traffic {shlex.quote(service)} --project "
        f"{shlex.quote(project)} --region {shlex.quote(region)} {to}"
    )


def remove_variable_command(live: LiveService, variable: str, container: str, secret: bool) -> str:
    # gcloud applies the flags that follow --container to that container.
    where = f" --container {shlex.quote(container)}" if len(live.containers) > 1 else ""
    flag = "--remove-secrets" if secret else "--remove-env-vars"
    return (
        f"gcloud {GCLOUD_GROUPS.get(live.kind, 'run services')} update "
        f"{shlex.quote(live.name)} --project "
        f"{shlex.quote(live.project)} --region {shlex.quote(live.region)}{where} "
        f"{flag} {shlex.quote(variable)}"
    )


def after_writes(snapshot: LiveSnapshot, plans: Sequence[ServicePlan]) -> LiveSnapshot:
    """The snapshot as it will read once every plan is written and rolled out: the managed
    container carries the planned env, traffic that follows LATEST moves to the new
    revision, and traffic pinned to the current template's revision stays there, with the
    env it has now."""
    by_key = {(p.kind, p.project, p.region, p.service): p for p in plans}
    extra: list[RevisionRead] = []
    locations = []
    for location in snapshot.locations:
        written: dict[str, list[LiveService]] = {}
        for live in location.workloads():
            out = written.setdefault(live.kind, [])
            plan = by_key.get((live.kind, live.project, live.region, live.name))
            if plan is None:
                out.append(live)
                continue
            out.append(_written(live, plan))
            current = live.latest_created_revision
            pinned_to_current = any(
                s.revision == current and not s.follows_latest for s in live.traffic
            )
            if (
                current
                and pinned_to_current
                and snapshot.revision(live.project, live.region, live.name, current, live.kind)
                is None
            ):
                extra.append(_template_revision(live))
        locations.append(
            replace(
                location,
                services=tuple(written.get(SERVICE, ())),
                jobs=tuple(written.get(JOB, ())),
                worker_pools=tuple(written.get(WORKER_POOL, ())),
            )
        )
    return LiveSnapshot(locations=tuple(locations), revisions=snapshot.revisions + tuple(extra))


def _written(live: LiveService, plan: ServicePlan) -> LiveService:
    containers = tuple(
        replace(c, env=plan.new_env) if c.name == plan.container else c for c in live.containers
    )
    traffic = tuple(
        replace(s, revision=NEXT_REVISION) if s.follows_latest else s for s in live.traffic
    )
    return replace(
        live,
        containers=containers,
        traffic=traffic,
        latest_created_revision=NEXT_REVISION,
        latest_ready_revision=NEXT_REVISION,
        ready=True,
    )


def _template_revision(live: LiveService) -> RevisionRead:
    revision = LiveRevision(
        live.latest_created_revision,
        live.name,
        live.project,
        live.region,
        live.containers,
        kind=live.kind,
    )
    return RevisionRead(
        live.project,
        live.region,
        live.name,
        live.latest_created_revision,
        revision=revision,
        kind=live.kind,
    )


def describe(
    remaining: Sequence[Violation],
    snapshot: LiveSnapshot,
    manifest: Manifest,
    planned: Collection[str],
) -> tuple[LeakPiece, ...]:
    """Each remaining live leak with why apply leaves it and the command that removes it.
    `snapshot` is the one `after_writes` made; `planned` names the services apply writes."""
    pieces: list[LeakPiece] = []
    for violation in remaining:
        found = _pieces(violation, snapshot, manifest, planned)
        if not found:  # a kind of leak this module does not know yet: still listed
            found = [
                LeakPiece(
                    violation.service or "?",
                    None,
                    None,
                    violation.variable,
                    violation.message,
                    "remove it by hand, then re-run apply",
                    revision=violation.revision,
                )
            ]
        pieces.extend(found)
    unique = dict.fromkeys(pieces)
    return tuple(
        sorted(
            unique,
            key=lambda p: (
                p.service,
                p.project or "",
                p.region or "",
                p.revision or "",
                p.container or "",
                p.variable or "",
            ),
        )
    )


def _pieces(
    violation: Violation, snapshot: LiveSnapshot, manifest: Manifest, planned: Collection[str]
) -> list[LeakPiece]:
    if violation.source != "live" or violation.variable is None or violation.service is None:
        return []
    variable = violation.variable
    out: list[LeakPiece] = []
    for location in snapshot.locations:
        for live in location.workloads(violation.kind):
            if live.name != violation.service:
                continue
            if violation.revision is not None:
                out.extend(_revision_piece(violation.revision, variable, live, location))
            else:
                out.extend(_template_pieces(variable, live, manifest, planned))
    return out


def _revision_piece(
    revision: str, variable: str, live: LiveService, location: LocationRead
) -> list[LeakPiece]:
    shares = [s for s in live.traffic if s.revision == revision]
    if not shares:
        return []
    percent = sum(s.percent for s in shares)
    how = f"serves {percent}% of the traffic" if percent else "is reachable through its tag"
    reason = (
        f"revision {revision} {how} and carries {variable}; apply writes only the template, "
        "and traffic pinned to a revision stays there"
    )
    route = update_traffic_command(live.name, live.project, live.region, "--to-latest")
    tags = sorted({s.tag for s in shares if s.tag})
    if tags:
        untag = update_traffic_command(
            live.name, live.project, live.region, f"--remove-tags {','.join(tags)}"
        )
        remedy = f"remove its tag ({untag})"
        if percent:
            remedy = f"route its traffic away ({route}) and {remedy}"
        remedy += ", then re-run apply"
    else:
        remedy = f"route its traffic away ({route}), then re-run apply"
    return [
        LeakPiece(
            live.name,
            live.project,
            live.region,
            variable,
            reason,
            remedy,
            revision=revision,
            percent=percent,
        )
    ]


def _template_pieces(
    variable: str, live: LiveService, manifest: Manifest, planned: Collection[str]
) -> list[LeakPiece]:
    spec = next(
        (
            s
            for s in manifest.workloads
            if (s.kind, s.project, s.region, s.name)
            == (live.kind, live.project, live.region, live.name)
        ),
        None,
    )
    managed = select_container(live.containers, spec.container) if spec else None
    out = []
    for container in live.containers:
        var = next((v for v in container.env if v.name == variable), None)
        if var is None:
            continue
        if spec is None:
            reason = f"{live.name} is not managed by {manifest.path}: apply never writes it"
        elif managed is None or container.name != managed.name:
            reason = (
                f"container {container.name!r} is not the managed container of {live.name}: "
                "apply writes only the managed one"
            )
        elif is_ignored(variable, spec.ignore):
            reason = (
                f"{manifest.path} ignores {variable} on {live.name}, so apply leaves it alone "
                "(drop the ignore entry, or remove the variable by hand)"
            )
        elif spec.name not in planned:
            reason = f"{live.name} is not among the services this apply writes (--service)"
        else:
            reason = f"apply's plan for {live.name} keeps {variable}"
        remedy = remove_variable_command(live, variable, container.name, var.is_secret_ref)
        out.append(
            LeakPiece(
                live.name,
                live.project,
                live.region,
                variable,
                reason,
                remedy,
                container=container.name,
            )
        )
    return out

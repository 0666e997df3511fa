"""After the writes, the gate decides: every written service is read back and checked exactly
as `diff` checks it (template, serving and tagged revisions, leakage), and the exit code is that
verdict, not the outcome of the write. A write whose new revision gets no traffic, or only part
of it while older env still serves, is not in sync, whatever the rollout said."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from deploytool.commands.apply_service import Outcome, ServiceOutcome
from deploytool.commands.live import read_snapshot
from deploytool.core.diff import ServiceDiff, ServiceStatus
from deploytool.core.gate import evaluate
from deploytool.core.model import LiveService, Manifest
from deploytool.core.policy import Policy
from deploytool.core.remediation import update_traffic_command
from deploytool.core.report import EnvironmentReport, LiveSnapshot
from deploytool.core.verdict import Verdict, decide
from deploytool.errors import LiveStateError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway

Key = tuple[str, str, str, str]  # (kind, project, region, name)

# What the gate re-checks: services apply wrote, or meant to and found already done.
_CHECKED = (Outcome.APPLIED, Outcome.UNCHANGED)
_WRITE_ERRORS = (Outcome.FAILED, Outcome.CONFLICT)
_NOT_IN_SYNC = (Outcome.NOT_SERVING, Outcome.PARTIALLY_SERVING, Outcome.DRIFTED)


@dataclass(frozen=True)
class Verification:
    outcomes: tuple[ServiceOutcome, ...]
    verdict: Verdict
    report: EnvironmentReport | None  # None when nothing was read back
    note: str | None = None


def verify_written(
    gateway: CloudRunGateway,
    manifest: Manifest,
    policy: Policy,
    outcomes: Sequence[ServiceOutcome],
    removing: Mapping[Key, tuple[str, ...]],
    *,
    parallel: int,
    others: Sequence[Manifest] = (),
) -> Verification:
    """`removing`: per service, the leaked E2E variables its write was planned to remove."""
    keys = {(o.kind, o.project, o.region, o.service) for o in outcomes if o.outcome in _CHECKED}
    if not keys:
        return Verification(tuple(outcomes), verdict_after(outcomes, None), None)
    try:
        snapshot = read_snapshot(
            gateway,
            {(project, region) for _, project, region, _ in keys},
            [manifest],
            parallel=parallel,
            all_serving=policy.is_protected(manifest.environment),
            owns=lambda project, region, name: any(k[1:] == (project, region, name) for k in keys),
        )
    except LiveStateError as exc:
        note = f"written, but nothing could be read back to verify it: {exc.message}"
        return Verification(tuple(outcomes), verdict_after(outcomes, None, unread=True), None, note)
    snapshot = _only(snapshot, keys)
    report = evaluate(
        manifest, policy, snapshot, only={(kind, name) for kind, _, _, name in keys}, others=others
    )
    checked = tuple(
        judge(o, report, snapshot, removing.get((o.kind, o.project, o.region, o.service), ()))
        if (o.kind, o.project, o.region, o.service) in keys
        else o
        for o in outcomes
    )
    return Verification(checked, verdict_after(checked, report), report)


def verdict_after(
    outcomes: Sequence[ServiceOutcome], report: EnvironmentReport | None, *, unread: bool = False
) -> Verdict:
    """4 > 5 > 3 > 0 over what was read back and what could not be written."""
    violations = sum(1 for o in outcomes if o.outcome is Outcome.REFUSED)
    errors = sum(1 for o in outcomes if o.outcome in _WRITE_ERRORS) + int(unread)
    drifted = sum(1 for o in outcomes if o.outcome in _NOT_IN_SYNC)
    if report is not None:
        violations += len(report.violations)
        errors += len(report.errors)
    return decide(violations=violations, errors=errors, drifted=drifted)


def _only(snapshot: LiveSnapshot, keys: set[Key]) -> LiveSnapshot:
    """The written workloads alone: the verdict after a write is about what was written
    (everything else in those regions, executions included, was checked before the write)."""

    def mine(items: tuple[LiveService, ...]) -> tuple[LiveService, ...]:
        return tuple(w for w in items if (w.kind, w.project, w.region, w.name) in keys)

    return replace(
        snapshot,
        locations=tuple(
            replace(
                loc,
                services=mine(loc.services),
                jobs=mine(loc.jobs),
                worker_pools=mine(loc.worker_pools),
                executions=(),
            )
            for loc in snapshot.locations
        ),
    )


def judge(
    outcome: ServiceOutcome,
    report: EnvironmentReport,
    snapshot: LiveSnapshot,
    removing: tuple[str, ...] = (),
) -> ServiceOutcome:
    """The outcome of one service as the gate's `report` of `snapshot` sees it."""
    diff = next(
        d
        for d in report.services
        if (d.kind, d.project, d.region, d.service)
        == (outcome.kind, outcome.project, outcome.region, outcome.service)
    )
    location = snapshot.location(outcome.project, outcome.region)
    live = (
        next((s for s in location.workloads(outcome.kind) if s.name == outcome.service), None)
        if location
        else None
    )
    leaks = [v for v in report.violations if (v.kind, v.service) == (outcome.kind, outcome.service)]
    still = {v.variable for v in leaks}
    removed = (
        tuple(n for n in removing if n not in still) if outcome.outcome is Outcome.APPLIED else ()
    )
    checked = replace(outcome, verified=diff, removed_leaks=removed)

    def becomes(kind: Outcome, message: str, command: str | None = None) -> ServiceOutcome:
        return replace(checked, outcome=kind, message=message, traffic_command=command)

    if leaks:
        return becomes(
            Outcome.LEAKAGE,
            "read back with E2E variables live: " + "; ".join(v.message for v in leaks),
        )
    if diff.status is ServiceStatus.ERROR:
        return replace(
            checked,
            message=_join(outcome.message, f"written, but not verified: {diff.error}"),
        )
    if diff.status is ServiceStatus.MISSING or live is None:
        return becomes(Outcome.DRIFTED, "the service no longer exists live")
    if diff.changes:
        names = ", ".join(c.name for c in diff.changes)
        return becomes(
            Outcome.DRIFTED,
            f"live differs from the manifest again after the write ({names}): changed by "
            "someone else since? Run `deploytool diff`",
        )
    if diff.revisions:
        return becomes(*_serving_gap(diff, live))
    return checked


def _serving_gap(diff: ServiceDiff, live: LiveService) -> tuple[Outcome, str, str | None]:
    """Older revisions with other env still serve: the written one serves nothing
    (traffic pinned elsewhere), only a share (a canary), or all of it while tagged older
    revisions stay reachable."""
    new = live.latest_ready_revision
    share = sum(s.percent for s in live.traffic if s.revision == new)
    older = ", ".join(
        f"{r.revision} ({r.percent}%, differs in {', '.join(c.name for c in r.changes)})"
        for r in diff.revisions
    )
    to_latest = update_traffic_command(live.name, live.project, live.region, "--to-latest")
    if share == 0:
        return (
            Outcome.NOT_SERVING,
            f"the template's revision {new} receives no traffic: traffic is pinned to "
            f"{older}. Route it: `{to_latest}` (or `--to-revisions {new}=100`)",
            to_latest,
        )
    if share >= 100:
        # Only revisions at 0% differ: reachable through their tags, not through the service.
        tags = sorted({t.tag for r in diff.revisions for t in r.tags}) or ["TAG"]
        untag = update_traffic_command(
            live.name, live.project, live.region, f"--remove-tags {','.join(tags)}"
        )
        return (
            Outcome.PARTIALLY_SERVING,
            f"the template's revision {new} serves all traffic, but older revisions with other "
            f"env are still reachable through their tags: {older}. Remove the tags (`{untag}`)",
            untag,
        )
    return (
        Outcome.PARTIALLY_SERVING,
        f"the template's revision {new} receives {share}% of the traffic; older env still "
        f"serves on {older}. Finish the rollout: `{to_latest}`",
        to_latest,
    )


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second

"""`deploytool audit [ENV ...]`: the scheduled audit of every environment, unmanaged services
and what really serves traffic included."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool import clock
from deploytool.commands.audit_run import AuditRun, start_run
from deploytool.commands.discover import (
    DiscoveryResult,
    discovered_locations,
    parse_scopes,
    unowned_report,
)
from deploytool.commands.live import read_live, source_of
from deploytool.commands.results import GateResult
from deploytool.core.gate import evaluate, verdict_of
from deploytool.core.model import LiveWorkload, ServiceSpec
from deploytool.core.policy import Violation
from deploytool.core.policy_advice import policy_warnings
from deploytool.core.regions import checked_regions
from deploytool.core.report import EnvironmentReport, LiveSnapshot
from deploytool.core.verdict import Verdict, combine
from deploytool.errors import UsageError
from deploytool.manifest import read_config

if TYPE_CHECKING:
    from deploytool.cloudrun.asset import AssetGateway
    from deploytool.cloudrun.gateway import CloudRunGateway


@dataclass(frozen=True)
class Shard:
    """This run audits the services whose stable hash falls in bucket `index` of `count`."""

    index: int = 0
    count: int = 1

    @classmethod
    def parse(cls, text: str | None) -> Shard:
        """`I/N` (0-based), else CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT, else 0/1."""
        if text is None:
            index = os.environ.get("CLOUD_RUN_TASK_INDEX")
            count = os.environ.get("CLOUD_RUN_TASK_COUNT")
            if index is None or count is None:
                return cls()
            text = f"{index}/{count}"
        try:
            index_text, count_text = text.split("/")
            shard = cls(int(index_text), int(count_text))
        except ValueError:
            raise UsageError(f"bad shard {text!r}", "use I/N with 0 <= I < N, e.g. 0/4") from None
        if not 0 <= shard.index < shard.count:
            raise UsageError(f"bad shard {text!r}", "use I/N with 0 <= I < N, e.g. 0/4")
        return shard

    def owns(self, project: str, region: str, service: str) -> bool:
        if self.count == 1:
            return True
        key = f"{project}/{region}/{service}".encode()
        return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % self.count == self.index

    @property
    def first(self) -> bool:
        """Findings that belong to no service (a manifest's e2e block, a project pin) are
        reported by shard 0 only, so merged shards count them once."""
        return self.index == 0

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


Progress = Callable[[str], None]


def run(
    config_dir: Path,
    environments: Sequence[str],
    gateway: CloudRunGateway | None,
    *,
    extra_regions: Sequence[str] = (),
    live_from: Sequence[Path] = (),
    parallel: int = 8,
    shard: Shard | None = None,
    progress: Progress | None = None,
    run: AuditRun | None = None,
    executions_since: timedelta | None = None,
    discover: Sequence[str] = (),
    asset: AssetGateway | None = None,
) -> GateResult:
    shard = shard or Shard()
    run = run or start_run()
    regions = checked_regions(extra_regions)
    scopes = parse_scopes(discover)
    if scopes and live_from:
        raise UsageError(
            "--discover searches Cloud Asset Inventory, which exported files cannot stand in "
            "for; it cannot be combined with --live-from",
            "drop --discover for an offline gate, or --live-from to discover live",
        )
    today = clock.today_utc()  # one date for the loader and the gate
    loaded = read_config(config_dir, list(environments) or None, today=today)
    everything = (*loaded.manifests, *loaded.others)
    locations: dict[str, set[tuple[str, str]]] = {}
    for manifest in loaded.manifests:
        touched = set(manifest.locations())
        projects = {project for project, _ in touched}
        more = (*loaded.policy.regions_of(manifest.environment), *regions)
        touched |= {(project, region) for project in projects for region in more}
        locations[manifest.environment] = touched
    found = None
    if scopes:
        if asset is None:
            raise ValueError("--discover needs an AssetGateway")
        found = discovered_locations(
            asset, scopes, loaded.manifests, loaded.others, loaded.policy, parallel=parallel
        )
        for env, more_locations in found[1].by_environment.items():
            locations[env] |= more_locations
    unowned = set(found[1].unowned) if found else set()
    every = set().union(unowned, *locations.values())
    protected = bool(unowned) or any(
        loaded.policy.is_protected(m.environment) for m in loaded.manifests
    )
    # One read of each (project, region), shared by the environments that touch it.
    snapshot = read_live(
        gateway,
        live_from,
        every,
        loaded.manifests,
        loaded.others,
        parallel=parallel,
        progress=progress,
        all_serving=protected,
        owns=shard.owns,
        executions_since=executions_since,
    )
    reports = []
    for manifest in loaded.manifests:
        env = manifest.environment
        mine = _shard_snapshot(snapshot, locations[env], shard)
        only = [
            (w.kind, w.name) for w in manifest.workloads if shard.owns(w.project, w.region, w.name)
        ]
        report = evaluate(
            manifest,
            loaded.policy,
            mine,
            only=only,
            list_unmanaged=True,
            warnings=tuple(w for w in loaded.warnings if _warning_of(w, manifest.path)),
            others=tuple(m for m in everything if m.environment != manifest.environment),
            today=today,
        )
        if shard.count > 1:
            report = _owned_findings(report, manifest.workloads, shard)
        reports.append(report)
    discovery = None
    if found is not None:
        discovery = unowned_report(
            found[0],
            found[1],
            snapshot,
            loaded.policy,
            everything,
            shard_snapshot=lambda snap, wanted: _shard_snapshot(snap, wanted, shard),
            warnings=found[2],
        )
    return GateResult(
        command="audit",
        reports=tuple(reports),
        verdict=combine([*(r.verdict for r in reports), *_verdicts(discovery)]),
        discovery=discovery,
        shard=(shard.index, shard.count) if shard.count > 1 else None,
        run=run,
        # Said once for the whole audit, not in every environment's report.
        warnings=tuple(policy_warnings(loaded.policy, loaded.environments)),
        manifests=loaded.manifests,
        source=source_of(live_from),
    )


def _shard_snapshot(
    snapshot: LiveSnapshot, wanted: set[tuple[str, str]], shard: Shard
) -> LiveSnapshot:
    """The part of the snapshot this environment and shard own."""
    locations = []
    for loc in snapshot.locations:
        if (loc.project, loc.region) not in wanted:
            continue
        if loc.error is not None:
            locations.append(loc)
            continue

        def mine(items: tuple[LiveWorkload, ...]) -> tuple[LiveWorkload, ...]:
            return tuple(w for w in items if shard.owns(w.project, w.region, w.name))

        locations.append(
            replace(
                loc,
                services=mine(loc.services),
                jobs=mine(loc.jobs),
                worker_pools=mine(loc.worker_pools),
                # An execution belongs to the shard that owns its job.
                executions=tuple(
                    e for e in loc.executions if shard.owns(e.project, e.region, e.job)
                ),
            )
        )
    return LiveSnapshot(tuple(locations), snapshot.revisions)


def _owned_findings(
    report: EnvironmentReport, specs: Sequence[ServiceSpec], shard: Shard
) -> EnvironmentReport:
    """Manifest findings go to the shard owning their service (shard 0 when they name none);
    live findings are already partitioned by the sharded snapshot. Read errors stay in every
    shard that could not see its part: each shard fails closed on its own."""
    where = {(s.kind, s.name): (s.project, s.region) for s in specs}

    def owned(v: Violation) -> bool:
        if v.source != "manifest":
            return True
        if v.service is None or (v.kind, v.service) not in where:
            return shard.first
        project, region = where[(v.kind, v.service)]
        return shard.owns(project, region, v.service)

    violations = tuple(filter(owned, report.violations))
    return replace(
        report,
        violations=violations,
        verdict=verdict_of(report.services, violations, report.errors),
    )


def _verdicts(discovery: DiscoveryResult | None) -> list[Verdict]:
    return [discovery.report.verdict] if discovery is not None else []


def _warning_of(warning: str, path: str) -> bool:
    return warning.startswith(path + ":") or warning.startswith(path + " ")

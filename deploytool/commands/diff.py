"""`deploytool diff ENV`: the drift gate, manifest against live Cloud Run."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool import clock
from deploytool.commands.live import read_live, source_of
from deploytool.commands.results import GateResult
from deploytool.core.gate import evaluate
from deploytool.core.model import Manifest
from deploytool.core.policy import Policy
from deploytool.core.regions import checked_regions
from deploytool.core.report import EnvironmentReport, LiveSnapshot
from deploytool.errors import UsageError
from deploytool.manifest import read_config

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway


def check_service_names(manifest: Manifest, names: Sequence[str]) -> frozenset[str] | None:
    """The --service filter, refusing names the manifest does not manage."""
    if not names:
        return None
    known = {s.name for s in manifest.workloads}
    unknown = sorted(set(names) - known)
    if unknown:
        raise UsageError(
            f"{manifest.path}: no service named {', '.join(unknown)} in environment "
            f"{manifest.environment!r}",
            f"managed workloads: {', '.join(sorted(known))}",
        )
    return frozenset(names)


@dataclass(frozen=True)
class GateRead:
    """One environment compared: what apply plans from and what diff reports."""

    manifest: Manifest
    snapshot: LiveSnapshot
    report: EnvironmentReport
    policy: Policy
    others: tuple[Manifest, ...] = ()  # every other environment's manifest (ownership)


def read_gate(
    config_dir: Path,
    environment: str,
    services: Sequence[str],
    gateway: CloudRunGateway | None,
    parallel: int,
    *,
    extra_regions: Sequence[str] = (),
    live_from: Sequence[Path] = (),
    executions_since: timedelta | None = None,
) -> GateRead:
    """`extra_regions` (`--region`) and the policy's `regions:` for this environment are read
    too, in each project of the selected services: leakage there counts as anywhere.
    `live_from` (exported files) replaces Cloud Run: `gateway` is then not used."""
    regions = checked_regions(extra_regions)
    today = clock.today_utc()  # one date for the loader and the gate
    loaded = read_config(config_dir, [environment], today=today)
    manifest = loaded.manifests[0]
    only = check_service_names(manifest, services)
    specs = [s for s in manifest.workloads if only is None or s.name in only]
    locations = {(s.project, s.region) for s in specs}
    more = (*loaded.policy.regions_of(environment), *regions)
    locations |= {(project, region) for project, _ in set(locations) for region in more}
    snapshot = read_live(
        gateway,
        live_from,
        locations,
        [manifest],
        loaded.others,
        parallel=parallel,
        all_serving=loaded.policy.is_protected(environment),
        executions_since=executions_since,
    )
    report = evaluate(
        manifest,
        loaded.policy,
        snapshot,
        only=only,
        warnings=tuple(loaded.warnings),
        others=loaded.others,
        today=today,
    )
    return GateRead(manifest, snapshot, report, loaded.policy, loaded.others)


def run(
    config_dir: Path,
    environment: str,
    services: Sequence[str],
    gateway: CloudRunGateway | None,
    *,
    parallel: int = 4,
    extra_regions: Sequence[str] = (),
    live_from: Sequence[Path] = (),
    executions_since: timedelta | None = None,
) -> GateResult:
    read = read_gate(
        config_dir,
        environment,
        services,
        gateway,
        parallel,
        extra_regions=extra_regions,
        live_from=live_from,
        executions_since=executions_since,
    )
    return GateResult(
        command="diff",
        reports=(read.report,),
        verdict=read.report.verdict,
        manifests=(read.manifest,),
        source=source_of(live_from),
    )

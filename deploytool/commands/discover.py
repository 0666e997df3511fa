"""`audit --discover SCOPE`: where Cloud Asset Inventory finds Cloud Run workloads, and the check
of the ones no environment owns.

The audit asks `discovered_locations` where to read, reads those locations together with the
environments' own (one read each), hands the environments their share, and asks
`unowned_report` for the rest: the workloads in projects no environment pins or names, checked
as a protected environment's are (E2E leakage there is exit 4), every kind the gate reads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from deploytool.core.discovery import (
    UNOWNED,
    DiscoveredLocations,
    Discovery,
    DiscoveryScope,
    assign_locations,
    parse_scope,
    skipped_warnings,
)
from deploytool.core.gate import evaluate, verdict_of
from deploytool.core.model import Manifest
from deploytool.core.policy import Policy, Violation
from deploytool.core.report import EnvironmentReport, LiveSnapshot, ReadError, UnmanagedService
from deploytool.errors import UsageError

if TYPE_CHECKING:
    from deploytool.cloudrun.asset import AssetGateway

SCOPE_HINT = "use projects/PROJECT, folders/FOLDER_NUMBER or organizations/ORGANIZATION_NUMBER"


@dataclass(frozen=True)
class DiscoveryResult:
    """What `--discover` found: the scopes searched, the (project, region) locations holding
    workloads, the kinds seen, and `report`: the unowned workloads (its `unmanaged`), their
    violations, and every read error of theirs and of the searches (fail closed)."""

    scopes: tuple[str, ...]
    locations: tuple[tuple[str, str], ...]
    kinds: tuple[str, ...]
    report: EnvironmentReport


def parse_scopes(texts: Sequence[str]) -> list[DiscoveryScope]:
    """The scopes of `--discover`, in order, once each; UsageError (exit 2) for any other."""
    scopes: list[DiscoveryScope] = []
    for text in texts:
        scope = parse_scope(text)
        if scope is None:
            raise UsageError(
                f"--discover {text!r} is not a project, folder or organisation", SCOPE_HINT
            )
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def discovered_locations(
    asset: AssetGateway,
    scopes: Sequence[DiscoveryScope],
    audited: Sequence[Manifest],
    others: Sequence[Manifest],
    policy: Policy,
    *,
    parallel: int,
) -> tuple[Discovery, DiscoveredLocations, list[str]]:
    """Search every scope and split what it found: (the search results, where to read,
    warnings about locations nobody will read)."""
    discovery = asset.discover(scopes, parallel=parallel)
    placed = assign_locations(discovery, audited, others, policy)
    every_env = [m.environment for m in (*audited, *others)]
    return discovery, placed, skipped_warnings(placed.skipped, every_env)


def unowned_report(
    discovery: Discovery,
    placed: DiscoveredLocations,
    snapshot: LiveSnapshot,
    policy: Policy,
    manifests: Sequence[Manifest],
    *,
    shard_snapshot: Callable[[LiveSnapshot, set[tuple[str, str]]], LiveSnapshot],
    warnings: Sequence[str] = (),
) -> DiscoveryResult:
    """Check each unowned location as a protected environment with no manifest would be:
    every workload read there is unmanaged, and E2E variables on it are leakage. Evaluated
    one location at a time, so each finding names its project and region."""
    violations: list[Violation] = []
    errors = [
        ReadError(f"discovery of {f.scope} failed: {f.message}", None, None, None)
        for f in discovery.failures
    ]
    unmanaged: list[UnmanagedService] = []
    found_warnings = list(warnings)
    for project, region in sorted(placed.unowned):
        part = shard_snapshot(snapshot, {(project, region)})
        report = evaluate(
            _no_manifest(project, region),
            policy,
            part,
            only=[],
            list_unmanaged=True,
            others=manifests,
        )
        where = (
            f"in project {project} (region {region}), which no environment owns "
            "(policy environments: pins none of it and no manifest names it), so it is checked "
            "as protected"
        )
        violations += [
            replace(v, message=v.message.replace(f"in protected environment {UNOWNED!r}", where))
            for v in report.violations
        ]
        errors += report.errors
        unmanaged += report.unmanaged
        found_warnings += report.warnings
    report = EnvironmentReport(
        environment=UNOWNED,
        verdict=verdict_of((), violations, errors),
        violations=tuple(violations),
        errors=tuple(errors),
        unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.project, u.region, u.service))),
        warnings=tuple(found_warnings),
    )
    return DiscoveryResult(
        scopes=discovery.scopes,
        locations=tuple(sorted(discovery.locations())),
        kinds=tuple(sorted(discovery.kinds())),
        report=report,
    )


def _no_manifest(project: str, region: str) -> Manifest:
    """The manifest of an environment that manages nothing: everything live is unmanaged."""
    return Manifest(
        environment=UNOWNED, path="--discover", project=project, region=region, services=()
    )

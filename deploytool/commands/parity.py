"""`deploytool parity A B [--live]`: the variables two environments must share, by name and
kind, from their manifests or (with --live) from what runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool.commands.live import read_snapshot
from deploytool.core.model import Manifest, select_container
from deploytool.core.parity import ParityReport, ServiceVariables, parity
from deploytool.core.report import LiveSnapshot
from deploytool.core.verdict import Verdict
from deploytool.errors import UsageError
from deploytool.manifest import read_config

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway


@dataclass(frozen=True)
class ParityResult:
    report: ParityReport
    live: bool
    warnings: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return self.report.verdict


def run(
    config_dir: Path,
    env_a: str,
    env_b: str,
    *,
    gateway: CloudRunGateway | None = None,
    parallel: int = 4,
) -> ParityResult:
    """Manifests when `gateway` is None; otherwise the live templates of the services both
    manifests manage (the managed container, the manifests' ignores applied)."""
    if env_a == env_b:
        raise UsageError(
            f"parity compares two environments, {env_a!r} was given twice",
            "name two environments, e.g. deploytool parity staging production",
        )
    loaded = read_config(config_dir, [env_a, env_b])
    manifest_a, manifest_b = loaded.manifests
    errors: list[str] = []
    if gateway is None:
        side_a, side_b = _declared(manifest_a), _declared(manifest_b)
    else:
        locations = {*manifest_a.locations(), *manifest_b.locations()}
        snapshot = read_snapshot(gateway, locations, [], parallel=parallel)
        side_a = _live(manifest_a, snapshot, errors)
        side_b = _live(manifest_b, snapshot, errors)
    report = parity(env_a, side_a, env_b, side_b, loaded.policy, errors=errors)
    return ParityResult(report, live=gateway is not None, warnings=tuple(loaded.warnings))


def _declared(manifest: Manifest) -> list[ServiceVariables]:
    return [ServiceVariables.of(s.name, s.env, s.ignore) for s in manifest.services]


def _live(manifest: Manifest, snapshot: LiveSnapshot, errors: list[str]) -> list[ServiceVariables]:
    """A service whose live state is unknown is left out of the pairing and named in
    `errors`: parity is never green on a side it could not see."""
    out = []
    for spec in manifest.services:
        where = f"{manifest.environment}: {spec.name} ({spec.project}/{spec.region})"
        location = snapshot.location(spec.project, spec.region)
        if location is None or location.error is not None:
            why = location.error if location is not None else "live state was not read"
            errors.append(f"{where}: {why}")
            continue
        live = next((s for s in location.services if s.name == spec.name), None)
        if live is None:
            errors.append(
                f"{where}: not found live; deploy it, or compare manifests without --live"
            )
            continue
        container = select_container(live.containers, spec.container)
        if container is None:
            errors.append(
                f"{where}: the managed container cannot be chosen; set container: in "
                f"{manifest.path}"
            )
            continue
        out.append(ServiceVariables.of(spec.name, container.env, spec.ignore))
    return out

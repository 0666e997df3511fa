"""Ownership: each workload belongs to one environment, and an environment that may carry E2E
variables never shares a project with a protected one unless the policy pins it for both.

The incident this exists for: `staging.yaml` copied from `production.yaml` and left pointing
at production's project, so `apply staging` wrote staging's E2E set into production. Neither
manifest is wrong on its own; only looking at all of them together shows it. Pure: manifests
and the policy in, violations out (rule `ownership`, exit 4), one per environment involved, so
every command that looks at either environment refuses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from deploytool.core.model import KIND_WORDS, Manifest
from deploytool.core.model import SERVICE as SERVICE  # re-exported: callers name kinds here
from deploytool.core.policy import Policy, Violation

RULE_OWNERSHIP = "ownership"


@dataclass(frozen=True, order=True)
class WorkloadKey:
    """What identifies a workload in Cloud Run: its kind, project, region and name."""

    kind: str
    project: str
    region: str
    name: str

    def describe(self) -> str:
        word = KIND_WORDS.get(self.kind, self.kind)
        return f"{word} {self.name} (project {self.project}, region {self.region})"


@dataclass(frozen=True)
class _Claim:
    """Where a manifest names a workload or a project."""

    environment: str
    where: str  # path:line


def workloads_of(manifest: Manifest) -> list[tuple[WorkloadKey, int | None]]:
    """Every workload the manifest manages, with the line that declares it."""
    return [(WorkloadKey(w.kind, w.project, w.region, w.name), w.line) for w in manifest.workloads]


def managed_elsewhere(environment: str, manifests: Iterable[Manifest]) -> frozenset[WorkloadKey]:
    """The workloads that environments other than `environment` manage: they are theirs to
    report, never "unmanaged" (or anyone else's leakage) here."""
    return frozenset(
        key for m in manifests if m.environment != environment for key, _line in workloads_of(m)
    )


def ownership_violations(manifests: Sequence[Manifest], policy: Policy) -> list[Violation]:
    """Every ownership breach among `manifests`, once for each environment involved, sorted."""
    found = _double_managed(manifests) + _shared_projects(manifests, policy)
    return sorted(set(found), key=lambda v: (v.environment, v.service or "", v.message))


def ownership_of(
    environment: str, manifests: Sequence[Manifest], policy: Policy
) -> list[Violation]:
    """The breaches that involve `environment`."""
    return [v for v in ownership_violations(manifests, policy) if v.environment == environment]


def _double_managed(manifests: Sequence[Manifest]) -> list[Violation]:
    claims: dict[WorkloadKey, list[_Claim]] = {}
    for manifest in manifests:
        for key, line in workloads_of(manifest):
            claims.setdefault(key, []).append(
                _Claim(manifest.environment, _where(manifest.path, line))
            )
    found = []
    for key, owners in claims.items():
        for mine in owners:
            for theirs in owners:
                if theirs.environment == mine.environment:
                    continue
                found.append(
                    Violation(
                        rule=RULE_OWNERSHIP,
                        environment=mine.environment,
                        service=key.name,
                        kind=key.kind,
                        message=(
                            f"{mine.where}: {key.describe()} is also managed by environment "
                            f"{theirs.environment!r} ({theirs.where}); a workload belongs to "
                            f"one environment: remove it from one of the two manifests, or "
                            f"point that manifest at its own project"
                        ),
                    )
                )
    return found


def _shared_projects(manifests: Sequence[Manifest], policy: Policy) -> list[Violation]:
    allowed = [m for m in manifests if not policy.is_protected(m.environment)]
    protected = [m for m in manifests if policy.is_protected(m.environment)]
    found = []
    for open_env in allowed:
        open_projects = _projects_named(open_env)
        for closed_env in protected:
            for project, closed_line in sorted(_projects_named(closed_env).items()):
                if project not in open_projects or _pinned_for_both(
                    policy, project, open_env.environment, closed_env.environment
                ):
                    continue
                open_where = _where(open_env.path, open_projects[project])
                closed_where = _where(closed_env.path, closed_line)
                advice = (
                    f"point {open_env.environment!r} at its own project, or, if the project "
                    f"is meant to be shared, pin {project!r} for both {open_env.environment!r} "
                    f"and {closed_env.environment!r} under environments: in policy.yaml"
                )
                found.append(
                    Violation(
                        rule=RULE_OWNERSHIP,
                        environment=open_env.environment,
                        message=(
                            f"{open_where}: project {project!r} of {open_env.environment!r}, "
                            f"where E2E variables are allowed, is also named by protected "
                            f"environment {closed_env.environment!r} ({closed_where}), so "
                            f"E2E variables could be written there; {advice}"
                        ),
                    )
                )
                found.append(
                    Violation(
                        rule=RULE_OWNERSHIP,
                        environment=closed_env.environment,
                        message=(
                            f"{closed_where}: project {project!r} of protected environment "
                            f"{closed_env.environment!r} is also named by "
                            f"{open_env.environment!r} ({open_where}), where E2E variables "
                            f"are allowed; {advice}"
                        ),
                    )
                )
    return found


def _projects_named(manifest: Manifest) -> dict[str, int | None]:
    """Every project the manifest names (its own and services' overrides) -> first line."""
    named: dict[str, int | None] = {manifest.project: manifest.project_line}
    for workload in manifest.workloads:
        named.setdefault(workload.project, workload.line)
    return named


def _pinned_for_both(policy: Policy, project: str, first: str, second: str) -> bool:
    return all(project in (policy.pinned_projects(env) or ()) for env in (first, second))


def _where(path: str, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else path

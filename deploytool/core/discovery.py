"""Discovery (`audit --discover SCOPE`): the workloads Cloud Asset Inventory found, and which
environment each (project, region) they sit in belongs to. Pure: scopes and search results in,
locations to read out.

Discovery only names locations. What is read there, and which kinds, is the gate's business:
each discovered (project, region) is read exactly as an environment's own locations are, so
every kind the gate knows is covered wherever discovery found any workload at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from deploytool.core.model import Manifest
from deploytool.core.policy import Policy

SCOPE_KINDS = ("projects", "folders", "organizations")

# The pseudo-environment that unowned workloads are checked in. Parentheses cannot appear in
# a manifest's file stem that names a real environment, and it is in no policy's
# `allowed_environments`, so it is protected.
UNOWNED = "(unowned)"


@dataclass(frozen=True, order=True)
class DiscoveryScope:
    """`projects/P`, `folders/F` or `organizations/O`."""

    kind: str
    id: str

    def __str__(self) -> str:
        return f"{self.kind}/{self.id}"


def parse_scope(text: str) -> DiscoveryScope | None:
    """The scope `text` names, or None when it is not one of the three forms."""
    kind, slash, ident = text.strip().partition("/")
    if not slash or kind not in SCOPE_KINDS or not ident or "/" in ident:
        return None
    if any(ch.isspace() or ch in ":?#" for ch in ident):
        return None
    if kind != "projects" and not ident.isdigit():
        return None  # folders and organizations are only ever named by number
    return DiscoveryScope(kind, ident)


@dataclass(frozen=True, order=True)
class FoundWorkload:
    """A Cloud Run workload that a search returned. `project` is the project id when the
    asset's name carries one, else the project number; `project_number` is the number the
    result's `project` field gives (None if it gave none)."""

    project: str
    region: str
    kind: str  # service | job | worker_pool
    name: str
    project_number: str | None = None


@dataclass(frozen=True)
class ScopeFailure:
    """A search that could not be completed: nothing it would have found is known."""

    scope: str
    message: str


@dataclass(frozen=True)
class Discovery:
    """What the searches of every scope returned, and which of them failed."""

    scopes: tuple[str, ...]
    workloads: tuple[FoundWorkload, ...] = ()
    failures: tuple[ScopeFailure, ...] = ()

    def locations(self) -> set[tuple[str, str]]:
        return {(w.project, w.region) for w in self.workloads}

    def kinds(self) -> set[str]:
        return {w.kind for w in self.workloads}


@dataclass(frozen=True)
class DiscoveredLocations:
    """Where discovered workloads are read: each environment's share (projects it owns) and
    the unowned rest. `skipped` are locations owned by an environment this audit does not
    cover (named on the command line or not), left to that environment's own audit."""

    by_environment: Mapping[str, frozenset[tuple[str, str]]]
    unowned: frozenset[tuple[str, str]]
    skipped: frozenset[tuple[str, str, str]] = frozenset()  # (environment, project, region)


def projects_of(manifest: Manifest) -> set[str]:
    """Every project a manifest names: its own and its workloads' overrides."""
    return {manifest.project} | {project for project, _region in manifest.locations()}


def owners(
    workload: FoundWorkload, manifests: Sequence[Manifest], policy: Policy
) -> tuple[str, ...]:
    """The environments that own the workload's project: the policy pins it for them, or
    their manifest names it. Both spellings of a project count (id and number), so a pin by
    number owns what the search named by id."""
    names = {workload.project} | ({workload.project_number} if workload.project_number else set())
    found = {env for env, projects in policy.pins if names & set(projects)}
    found |= {m.environment for m in manifests if names & projects_of(m)}
    return tuple(sorted(found))


def assign_locations(
    discovery: Discovery,
    audited: Sequence[Manifest],
    others: Sequence[Manifest],
    policy: Policy,
) -> DiscoveredLocations:
    """Split the discovered locations between the audited environments that own them and
    the unowned. A location owned by an environment outside this audit is skipped: it is
    that environment's to report, never unowned."""
    audited_envs = {m.environment for m in audited}
    every = [*audited, *others]
    mine: dict[str, set[tuple[str, str]]] = {env: set() for env in sorted(audited_envs)}
    unowned: set[tuple[str, str]] = set()
    skipped: set[tuple[str, str, str]] = set()
    for workload in discovery.workloads:
        where = (workload.project, workload.region)
        envs = owners(workload, every, policy)
        if not envs:
            unowned.add(where)
            continue
        for env in envs:
            if env in audited_envs:
                mine[env].add(where)
            else:
                skipped.add((env, *where))
    return DiscoveredLocations(
        by_environment={env: frozenset(locs) for env, locs in mine.items()},
        unowned=frozenset(unowned),
        skipped=frozenset(skipped),
    )


def skipped_warnings(
    skipped: Iterable[tuple[str, str, str]], environments_with_manifest: Iterable[str]
) -> list[str]:
    """A pinned environment without a manifest is audited nowhere: what discovery found in
    its projects is then read by no one, which someone should hear about."""
    have = set(environments_with_manifest)
    return [
        f"--discover found Cloud Run workloads in {project}/{region}, pinned to environment "
        f"{env!r} in policy.yaml, which has no manifest: nothing reads them; add "
        f"configs/{env}.yaml or drop the pin so they are audited as unowned"
        for env, project, region in sorted(skipped)
        if env not in have
    ]

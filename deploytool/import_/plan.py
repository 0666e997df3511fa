"""What an imported manifest says, decided from live workloads and the policy. Pure: no YAML,
no I/O. Workload kinds come from one list (`KINDS`): jobs and worker pools sit beside
services, each in its own manifest section, decided by the same rules."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from deploytool.core.diff import is_ignored
from deploytool.core.model import (
    KIND_SECTIONS,
    SERVICE,
    EnvVar,
    LiveContainer,
    LiveService,
    select_container,
    workload_label,
)
from deploytool.core.policy import Policy
from deploytool.import_.credentials import must_not_be_written

# The manifest section of each workload kind this import writes, in the manifest's order.
KINDS = tuple(KIND_SECTIONS.values())
_ORDER = {kind: index for index, kind in enumerate(KIND_SECTIONS)}
# Names build systems stamp on every deploy: proposed as ignore globs when they differ.
BUILD_STAMPED = (
    "GIT_SHA",
    "GIT_COMMIT",
    "COMMIT_SHA",
    "SOURCE_VERSION",
    "BUILD_*",
    "*_BUILD_ID",
    "*_BUILD_NUMBER",
    "IMAGE_TAG",
    "DEPLOYED_AT",
)


@dataclass(frozen=True)
class WorkloadEntry:
    """One workload as the manifest will declare it."""

    name: str
    project: str
    region: str
    container: str | None  # written when the workload has several containers
    env: tuple[tuple[str, str], ...]
    secrets: tuple[tuple[str, str], ...]  # name -> "SECRET:VERSION"
    credentials: tuple[str, ...] = ()  # credential-looking plain values: ignored, not written
    ignore: tuple[str, ...] = ()  # build-stamped globs (when the top level may not change)
    kind: str = SERVICE


@dataclass(frozen=True)
class E2ESet:
    """The `e2e:` block; `members` are the (kind, name) that carry exactly this set, written
    as `e2e.services` / `e2e.jobs` / `e2e.worker_pools` (only the lists that have names)."""

    env: tuple[tuple[str, str], ...]
    secrets: tuple[tuple[str, str], ...]
    members: tuple[tuple[str, str], ...]

    def lists(self) -> dict[str, tuple[str, ...]]:
        """Manifest key -> names, for each kind with members."""
        out: dict[str, tuple[str, ...]] = {}
        for kind, section in KIND_SECTIONS.items():
            names = tuple(sorted(name for k, name in self.members if k == kind))
            if names:
                out[section] = names
        return out


@dataclass(frozen=True)
class ImportPlan:
    project: str
    region: str
    ignore: tuple[str, ...]
    e2e: E2ESet | None
    workloads: Mapping[str, tuple[WorkloadEntry, ...]]  # kind section -> entries, sorted
    skipped: tuple[str, ...] = field(default=())  # why some live workloads were left out


@dataclass(frozen=True)
class Leak:
    """An E2E variable live in a protected environment: import refuses. `revision` is a
    serving/tagged/split revision's name, or `execution N` for a job's run."""

    service: str
    container: str
    variable: str
    revision: str | None = None
    kind: str = SERVICE

    @property
    def label(self) -> str:
        return workload_label(self.kind, self.service)


# (kind, name) -> [(revision or "execution E", containers)]
Places = Mapping[tuple[str, str], Sequence[tuple[str, Sequence[LiveContainer]]]]


def leaks(
    workloads: Sequence[LiveService], revisions: Places, policy: Policy, environment: str
) -> list[Leak]:
    """E2E names on any container of the workloads, or of what runs from older templates:
    serving/tagged revisions, worker-pool revisions with a split, recent job executions."""
    if not policy.is_protected(environment):
        return []
    found = []
    for live in workloads:
        places = [(None, live.containers), *revisions.get((live.kind, live.name), ())]
        for revision, containers in places:
            for container in containers:
                found += [
                    Leak(live.name, container.name, v.name, revision, live.kind)
                    for v in container.env
                    if policy.is_e2e_name(v.name)
                ]
    return sorted(
        set(found),
        key=lambda x: (_ORDER[x.kind], x.service, x.revision or "", x.container, x.variable),
    )


def _ref(var: EnvVar, project: str) -> str:
    assert var.secret is not None
    secret = var.secret
    # The short form when the secret lives in the service's own project.
    name = secret.short_name if secret.project == project else secret.secret
    return f"{name}:{secret.version}"


def build_stamped_globs(managed: Mapping[tuple[str, str], tuple[EnvVar, ...]]) -> tuple[str, ...]:
    """The build-stamped globs whose names carry different values on different workloads."""
    out = []
    for pattern in BUILD_STAMPED:
        values: dict[str, set[str | None]] = {}
        for env in managed.values():
            for var in env:
                if fnmatchcase(var.name, pattern):
                    values.setdefault(var.name, set()).add(var.value)
        if any(len(seen) > 1 for seen in values.values()):
            out.append(pattern)
    return tuple(out)


def _key(live: LiveService) -> tuple[int, str, str]:
    return (_ORDER.get(live.kind, len(_ORDER)), live.name, live.region)


def plan_import(
    environment: str,
    project: str,
    regions: Sequence[str],
    services: Sequence[LiveService],
    policy: Policy,
    *,
    top_ignore: Sequence[str] = (),
    e2e_allowed_in_block: bool = True,
    merging: bool = False,
) -> ImportPlan:
    """`services` are the live workloads of every kind to adopt (already filtered).
    `top_ignore` is the existing manifest's top-level ignore (--merge): names it matches are
    not written, and new build-stamped globs then go to each workload's own `ignore:`."""
    skipped = []
    managed: dict[tuple[str, str], tuple[EnvVar, ...]] = {}
    chosen: dict[tuple[str, str], LiveContainer] = {}
    ordered = sorted(services, key=_key)
    for live in ordered:
        container = select_container(live.containers, None)
        if container is None:
            names = ", ".join(c.name or "(unnamed)" for c in live.containers)
            skipped.append(
                f"{workload_label(live.kind, live.name)}: several containers ({names}) and not "
                "exactly one with a port; add it by hand with container: set"
            )
            continue
        chosen[(live.kind, live.name)] = container
        managed[(live.kind, live.name)] = container.env
    globs = build_stamped_globs(managed)
    skip = (*top_ignore, *globs)
    e2e_sets: dict[tuple[str, str], frozenset[EnvVar]] = {}
    entries = []
    for live in ordered:
        if (live.kind, live.name) not in chosen:
            continue
        container = chosen[(live.kind, live.name)]
        env, secrets, credentials, e2e = [], [], [], set()
        for var in {v.name: v for v in container.env}.values():  # the last of a name wins
            if is_ignored(var.name, skip):
                continue
            if var.secret is None and must_not_be_written(var.name, var.value or ""):
                credentials.append(var.name)
            elif policy.is_e2e_name(var.name) and e2e_allowed_in_block:
                e2e.add(var)
            elif var.secret is not None:
                secrets.append((var.name, _ref(var, live.project)))
            else:
                env.append((var.name, var.value or ""))
        if e2e:
            e2e_sets[(live.kind, live.name)] = frozenset(e2e)
        entries.append(
            WorkloadEntry(
                live.name,
                live.project,
                live.region,
                container.name if len(live.containers) > 1 else None,
                tuple(sorted(env)),
                tuple(sorted(secrets)),
                tuple(sorted(credentials)),
                globs if merging else (),
                kind=live.kind,
            )
        )
    block, entries = _e2e_block(e2e_sets, entries, project)
    return ImportPlan(
        project=project,
        region=regions[0],
        ignore=() if merging else globs,
        e2e=block,
        workloads={
            section: tuple(e for e in entries if e.kind == kind)
            for kind, section in KIND_SECTIONS.items()
        },
        skipped=tuple(skipped),
    )


def _e2e_block(
    sets: Mapping[tuple[str, str], frozenset[EnvVar]], entries: list[WorkloadEntry], project: str
) -> tuple[E2ESet | None, list[WorkloadEntry]]:
    """The most common E2E set becomes the `e2e:` block for the workloads carrying exactly
    it; a workload with another set keeps its E2E variables in its own env."""
    if not sets:
        return None, entries
    counts = Counter(sets.values())
    common = max(counts, key=lambda s: (counts[s], sorted(v.name for v in s)))
    members = tuple(sorted(key for key, found in sets.items() if found == common))
    out = []
    for entry in entries:
        own = sets.get((entry.kind, entry.name))
        if own is None or (entry.kind, entry.name) in members:
            out.append(entry)
            continue
        out.append(
            WorkloadEntry(
                entry.name,
                entry.project,
                entry.region,
                entry.container,
                tuple(
                    sorted(
                        (*entry.env, *((v.name, v.value or "") for v in own if v.secret is None))
                    )
                ),
                tuple(
                    sorted(
                        (
                            *entry.secrets,
                            *(
                                (v.name, _ref(v, entry.project))
                                for v in own
                                if v.secret is not None
                            ),
                        )
                    )
                ),
                entry.credentials,
                entry.ignore,
                kind=entry.kind,
            )
        )
    block = E2ESet(
        env=tuple(sorted((v.name, v.value or "") for v in common if v.secret is None)),
        secrets=tuple(sorted((v.name, _ref(v, project)) for v in common if v.secret is not None)),
        members=members,
    )
    return block, out

"""`deploytool import ENV --project P --region R`: adopt what runs into `configs/ENV.yaml`.

Refuses (exit 4, nothing written) an E2E variable live in a protected environment; never
writes a credential-looking plain value; an existing file is exit 2 unless --merge (adds the
workloads not there yet) or --force. The text written is loaded back through the manifest
loader before it replaces anything: what import writes always passes `validate`."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool.commands.live import read_snapshot
from deploytool.core.model import (
    JOB,
    KIND_SECTIONS,
    KINDS,
    LiveContainer,
    LiveWorkload,
    Manifest,
    workload_label,
)
from deploytool.core.ownership import WorkloadKey, managed_elsewhere
from deploytool.core.policy import Policy
from deploytool.core.regions import checked_regions
from deploytool.core.report import EXECUTIONS
from deploytool.core.verdict import Status, Verdict, verdict_for
from deploytool.errors import LiveStateError, PolicyViolationError, UsageError
from deploytool.import_.plan import leaks, plan_import
from deploytool.import_.yaml_out import (
    load_existing,
    render_merged,
    render_new,
    write_atomically,
)
from deploytool.manifest import list_environments, load_policy, read_all, read_manifest
from deploytool.manifest.files import ENVIRONMENT_NAME, find_manifest

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway


@dataclass(frozen=True)
class ImportResult:
    path: Path
    text: str
    added: tuple[str, ...]
    written: bool
    to_stdout: bool
    warnings: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return verdict_for(Status.IN_SYNC)


@dataclass(frozen=True)
class ImportOptions:
    merge: bool = False
    force: bool = False
    stdout: bool = False
    today: str | None = None  # YYYY-MM-DD for the header (a seam for tests)


def run(
    config_dir: Path,
    environment: str,
    project: str,
    regions: Sequence[str],
    services: Sequence[str],
    gateway: CloudRunGateway,
    options: ImportOptions = ImportOptions(),
) -> ImportResult:
    if not ENVIRONMENT_NAME.match(environment):
        raise UsageError(
            f"{environment!r} is not an environment name",
            "lowercase letters, digits, - and _ (the stem of configs/<environment>.yaml)",
        )
    if options.merge and options.force:
        raise UsageError("--merge and --force exclude each other", "choose one")
    wanted_regions = checked_regions(regions)
    if not wanted_regions:
        raise UsageError("no --region given", "name the region(s) to import from: --region R")
    if not project or "/" in project or any(ch.isspace() for ch in project):
        raise UsageError(f"--project {project!r} is not a project id", "give the GCP project id")
    policy, others = _config(config_dir, environment)
    existing_path = find_manifest(config_dir, environment) if config_dir.is_dir() else None
    target = existing_path or config_dir / f"{environment}.yaml"
    if existing_path is not None and not (options.merge or options.force or options.stdout):
        raise UsageError(
            f"{existing_path} exists",
            "pass --merge to add the workloads it does not have yet, --force to replace it, "
            "or --stdout to print the import",
        )
    pinned = policy.pinned_projects(environment)
    if pinned is not None and project not in pinned:
        raise PolicyViolationError(
            f"project {project!r} is not pinned to environment {environment!r} (allowed: "
            f"{', '.join(pinned)})",
            "import from a pinned project, or pin it in policy.yaml",
        )
    live, revisions = _read(gateway, project, wanted_regions, policy.is_protected(environment))
    live = _chosen(live, services, environment, others)
    found = leaks(live, revisions, policy, environment)
    if found:
        listed = "; ".join(
            f"{leak.variable} on {leak.label}"
            + (
                f" {leak.revision}"
                if leak.revision and leak.revision.startswith("execution ")
                else f" revision {leak.revision}"
                if leak.revision
                else ""
            )
            + f" (container {leak.container or '(unnamed)'})"
            for leak in found
        )
        raise PolicyViolationError(
            f"E2E/test variables are live in protected environment {environment!r}, nothing "
            f"written: {listed}",
            "remove them from the workloads first (deploytool apply can; a job's run with an "
            "override ages out of --executions-since), then import",
        )
    existing = load_existing(existing_path) if existing_path and options.merge else None
    existing_manifest = (
        read_manifest(config_dir, environment, policy).manifest if existing is not None else None
    )
    plan = plan_import(
        environment,
        project,
        wanted_regions,
        live,
        policy,
        top_ignore=existing_manifest.ignore if existing_manifest else (),
        e2e_allowed_in_block=existing_manifest is None or existing_manifest.e2e is None,
        merging=existing_manifest is not None,
    )
    warnings = list(plan.skipped)
    today = options.today or datetime.now(UTC).date().isoformat()
    if existing is not None and existing_manifest is not None:
        new = [
            e
            for entries in plan.workloads.values()
            for e in entries
            if existing_manifest.workload(e.kind, e.name) is None
        ]
        block = existing_manifest.e2e
        if new and block is not None and block.services is block.jobs is block.worker_pools is None:
            raise UsageError(
                f"{existing_path}: the e2e: block applies to every workload, so adding "
                f"{', '.join(workload_label(e.kind, e.name) for e in new)} would change what "
                "it covers",
                "list the workloads it is for under e2e.services: / e2e.jobs: / "
                "e2e.worker_pools:, then import --merge again",
            )
        text, added = render_merged(existing, plan)
        if not added:
            text = existing_path.read_text(encoding="utf-8") if existing_path else text
    else:
        text = render_new(plan, wanted_regions, today)
        added = [
            workload_label(e.kind, e.name) for entries in plan.workloads.values() for e in entries
        ]
    if not added and existing is None:
        raise LiveStateError(
            f"no workloads to import from {project} in {', '.join(wanted_regions)}",
            "check --project, --region and --service",
        )
    _check_valid(text, environment, policy, config_dir)
    written = False
    if not options.stdout and added:
        write_atomically(target, text)
        written = True
    return ImportResult(target, text, tuple(added), written, options.stdout, tuple(warnings))


def _config(config_dir: Path, environment: str) -> tuple[Policy, tuple[Manifest, ...]]:
    """The policy, and every other environment's manifest (what they manage is not
    imported here)."""
    if not config_dir.is_dir():
        return Policy(), ()
    policy = load_policy(config_dir)
    if not list_environments(config_dir):
        return policy, ()
    loaded = read_all(config_dir)
    return policy, tuple(m for m in loaded.manifests if m.environment != environment)


Revisions = dict[tuple[str, str], list[tuple[str, tuple[LiveContainer, ...]]]]


def _read(
    gateway: CloudRunGateway, project: str, regions: Sequence[str], protected: bool
) -> tuple[list[LiveWorkload], Revisions]:
    """Every workload of every kind, and (in a protected environment) what runs from older
    templates, executions included: a kind that could not be listed is exit 5, never
    read as empty."""
    snapshot = read_snapshot(gateway, [(project, r) for r in regions], [], all_serving=protected)
    workloads: list[LiveWorkload] = []
    revisions: Revisions = {}
    for location in snapshot.locations:
        lists = [*KINDS, EXECUTIONS] if protected else list(KINDS)
        for kind in lists:
            why = location.error_of(kind)
            if why is not None:
                raise LiveStateError(
                    f"could not read {location.project}/{location.region} "
                    f"({KIND_SECTIONS.get(kind, 'executions')}): {why}"
                )
        workloads += location.workloads()
        for run in location.executions:
            revisions.setdefault((JOB, run.job), []).append(
                (f"execution {run.name}", run.containers)
            )
    for read in snapshot.revisions:
        if read.revision is None:
            raise LiveStateError(
                f"could not read revision {read.name} of "
                f"{workload_label(read.kind, read.service)}: {read.error}",
                "import checks what runs for E2E variables before it writes",
            )
        revisions.setdefault((read.kind, read.service), []).append(
            (read.name, read.revision.containers)
        )
    return workloads, revisions


def _chosen(
    live: list[LiveWorkload], names: Sequence[str], environment: str, others: Sequence[Manifest]
) -> list[LiveWorkload]:
    """`--service NAME` keeps the workloads of that name, whatever their kind."""
    theirs = managed_elsewhere(environment, others)
    if names:
        known = {s.name for s in live}
        unknown = sorted(set(names) - known)
        if unknown:
            raise UsageError(
                f"no live workload named {', '.join(unknown)}",
                f"live workloads: {', '.join(sorted(known)) or 'none'}",
            )
    return [
        s
        for s in live
        if (not names or s.name in names)
        and WorkloadKey(s.kind, s.project, s.region, s.name) not in theirs
    ]


def _check_valid(text: str, environment: str, policy: Policy, config_dir: Path) -> None:
    """Load the text back as the loader will: a failure here is a bug, reported as one
    before anything is replaced."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / f"{environment}.yaml"
        path.write_text(text, encoding="utf-8")
        read_manifest(Path(scratch), environment, policy)

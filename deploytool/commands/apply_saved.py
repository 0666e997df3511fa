"""Saved plans for `apply`: made by `--dry-run --plan-out FILE`, checked by `--plan FILE`.

The plan binds the review to the write: before anything is read from Cloud Run the plan must
be for this environment, fresh enough and made from byte-identical manifests and policy; after
the gate read every workload's etag must be the one planned and the plan recomputed now (with
the saved salt) must be the saved one. Any difference is exit 5 and nothing is written."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from deploytool import __version__
from deploytool.commands.apply_service import plan_from_live
from deploytool.core.diff import ServiceStatus
from deploytool.core.model import Manifest
from deploytool.core.report import EnvironmentReport, LiveSnapshot
from deploytool.core.saved_plan import (
    CLOCK_SKEW,
    PlannedWorkload,
    SavedPlan,
    age_problem,
    manifest_changes,
    planned_workload,
    workload_changes,
)
from deploytool.errors import PlanChangedError, UsageError
from deploytool.manifest.files import SUFFIXES
from deploytool.plan_file import read_plan, write_plan

DEFAULT_MAX_AGE = "24h"


def utc_now() -> datetime:
    """The clock (a seam for tests)."""
    return datetime.now(UTC)


def new_salt() -> str:
    return secrets.token_hex(16)


def manifest_digests(config_dir: Path) -> tuple[tuple[str, str], ...]:
    """sha256 of the bytes of every manifest and the policy in `config_dir`, by file name.
    Every environment's manifest counts: ownership is judged against all of them."""
    found = []
    for entry in sorted(config_dir.iterdir()):
        if entry.name.startswith(".") or entry.suffix not in SUFFIXES:
            continue
        try:
            data = entry.read_bytes()
        except OSError as exc:
            raise UsageError(
                f"cannot read {entry}: {exc.strerror or exc}", "check its permissions"
            ) from exc
        found.append((entry.name, hashlib.sha256(data).hexdigest()))
    return tuple(found)


def load_plan(path: Path, environment: str, config_dir: Path, max_age: timedelta) -> SavedPlan:
    """The plan in `path`, checked offline: for `environment` (else exit 2), not older than
    `max_age` (else exit 5) and made from the config files as they are now (else exit 5)."""
    plan = read_plan(path)
    if plan.environment != environment:
        raise UsageError(
            f"{path}: the plan is for environment {plan.environment!r}, not {environment!r}",
            f"run `deploytool apply {plan.environment} --plan {path}`, or re-plan for "
            f"{environment}",
        )
    now = utc_now()
    if plan.created_at > now + CLOCK_SKEW:
        raise UsageError(
            f"{path}: created_at {plan.created_at.isoformat()} is in the future",
            "check the clock of the machine that made the plan, then re-plan",
        )
    stale = age_problem(plan, now, max_age)
    if stale is not None:
        raise PlanChangedError(f"{path}: {stale}", "nothing was written")
    changed = manifest_changes(plan.manifests, manifest_digests(config_dir))
    if changed:
        raise PlanChangedError(
            f"{path}: the config files are not the ones planned: " + "; ".join(changed),
            "nothing was written; re-plan with the manifests you mean to apply",
        )
    return plan


def planned_now(
    salt: str, manifest: Manifest, report: EnvironmentReport, snapshot: LiveSnapshot
) -> tuple[PlannedWorkload, ...]:
    """Every managed workload the gate read (changed or not), as a plan would record it."""
    out = []
    for diff in report.services:
        if diff.status is ServiceStatus.MISSING:
            continue
        spec = manifest.workload(diff.kind, diff.service)
        location = snapshot.location(diff.project, diff.region)
        if spec is None or location is None:
            continue
        live = next((w for w in location.workloads(diff.kind) if w.name == diff.service), None)
        if live is None:
            continue
        out.append(planned_workload(salt, plan_from_live(spec, live), live.etag))
    return tuple(out)


def make_plan(
    environment: str,
    selection: Sequence[str],
    config_dir: Path,
    manifest: Manifest,
    report: EnvironmentReport,
    snapshot: LiveSnapshot,
) -> SavedPlan:
    salt = new_salt()
    return SavedPlan(
        environment=environment,
        created_at=utc_now(),
        tool_version=__version__,
        salt=salt,
        manifests=manifest_digests(config_dir),
        selection=tuple(sorted(set(selection))),
        workloads=planned_now(salt, manifest, report, snapshot),
    )


def require_unchanged(
    path: Path,
    saved: SavedPlan,
    manifest: Manifest,
    report: EnvironmentReport,
    snapshot: LiveSnapshot,
) -> None:
    """Exit 5 (nothing written) unless live is exactly as planned."""
    differences = workload_changes(
        saved.workloads, planned_now(saved.salt, manifest, report, snapshot)
    )
    if differences:
        raise PlanChangedError(
            f"{path}: live state is not what was planned: " + "; ".join(differences),
            "nothing was written; re-plan (`deploytool apply ENV --dry-run --plan-out FILE`) "
            "and review the new plan",
        )


__all__ = ["write_plan"]  # apply writes the plan through this module


def checked_plan_options(
    *,
    dry_run: bool,
    plan_out: Path | None,
    plan: Path | None,
    services: Sequence[str],
    max_age: str,
) -> timedelta:
    """The saved-plan options, checked together (exit 2); returns `--plan-max-age`."""
    from deploytool.core.executions import parse_window

    if plan_out is not None and not dry_run:
        raise UsageError(
            "--plan-out needs --dry-run: a plan is saved only by a dry run",
            "run `deploytool apply ENV --dry-run --plan-out FILE`",
        )
    if plan is not None and plan_out is not None:
        raise UsageError(
            "--plan and --plan-out cannot be used together",
            "apply a saved plan with --plan FILE, or make one with --dry-run --plan-out FILE",
        )
    if plan is not None and services:
        raise UsageError(
            "--service cannot be used with --plan: the plan fixes which workloads are applied",
            "re-plan with --service to apply fewer workloads",
        )
    try:
        return parse_window(max_age)
    except ValueError as exc:
        raise UsageError(f"--plan-max-age: {exc}", "pass e.g. 30m, 6h, 24h or 2d") from None

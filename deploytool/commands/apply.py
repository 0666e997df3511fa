"""`deploytool apply ENV`: plan → policy → confirm → preflight → write → roll out → verify.

In a protected environment live leakage on managed containers is removed by the write itself
(the plan drops undeclared variables); apply refuses, writing nothing, only when leakage would
remain that it cannot remove. The exit code after writing is the gate read back from live."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from deploytool.commands import apply_saved
from deploytool.commands.apply_app import DEFAULT_VERIFY_TIMEOUT, AppWait, verify_apps
from deploytool.commands.apply_service import (
    Outcome,
    ServiceOutcome,
    plan_from_live,
)
from deploytool.commands.apply_verify import judge, verdict_after, verify_written
from deploytool.commands.audit_log import AuditLog
from deploytool.commands.diff import read_gate
from deploytool.commands.preflight import preflight_all
from deploytool.commands.rollout import write_all
from deploytool.core.diff import ChangeKind, ServiceStatus
from deploytool.core.gate import evaluate
from deploytool.core.model import KIND_WORDS, ServiceSpec
from deploytool.core.plan import ServicePlan
from deploytool.core.remediation import LeakPiece, after_writes, describe
from deploytool.core.report import EnvironmentReport
from deploytool.core.verdict import Status, Verdict, combine, verdict_for
from deploytool.errors import ExitCode, UsageError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway


@dataclass(frozen=True)
class ApplyResult:
    environment: str
    plan: EnvironmentReport  # what diff saw before any write
    outcomes: tuple[ServiceOutcome, ...]
    verdict: Verdict
    dry_run: bool
    note: str | None = None
    # Live leakage apply would leave in place (it then wrote nothing), each with its remedy.
    remaining_leaks: tuple[LeakPiece, ...] = ()
    verify: EnvironmentReport | None = None  # the gate read back after the writes


@dataclass(frozen=True)
class ApplyOptions:
    yes: bool = False
    dry_run: bool = False
    parallel: int = 4
    rollout_timeout: float = 600.0
    audit_log: Path | None = None
    verify_timeout: float = DEFAULT_VERIFY_TIMEOUT  # for the apps (`verify:`) to agree
    plan_out: Path | None = None  # with dry_run: save the plan here (apply_saved)
    plan: Path | None = None  # apply this saved plan, only if it still holds exactly
    plan_max_age: timedelta = timedelta(hours=24)


ShowPlan = Callable[[EnvironmentReport], None]
Confirm = Callable[[int], bool]  # number of services to change → go ahead?
Progress = Callable[[ServiceOutcome], None]


def run(
    config_dir: Path,
    environment: str,
    services: Sequence[str],
    gateway: CloudRunGateway,
    options: ApplyOptions,
    *,
    show_plan: ShowPlan,
    confirm: Confirm | None,
    progress: Progress | None = None,
    notify: Callable[[str], None] = lambda _message: None,
    on_write_start: Callable[[int], None] | None = None,
) -> ApplyResult:
    """`confirm` is None when nobody can answer (stdin is not a terminal)."""
    saved = None
    if options.plan is not None:
        saved = apply_saved.load_plan(options.plan, environment, config_dir, options.plan_max_age)
        services = saved.selection  # the plan fixes what is applied
    gate = read_gate(config_dir, environment, services, gateway, options.parallel)
    manifest, snapshot, report, policy = gate.manifest, gate.snapshot, gate.report, gate.policy
    protected = policy.is_protected(environment)

    def done(
        status: Status,
        outcomes: Sequence[ServiceOutcome] = (),
        note: str | None = None,
        remaining: tuple[LeakPiece, ...] = (),
    ) -> ApplyResult:
        # Nothing was written: live is as the gate read it, so a leak seen there stays a 4.
        verdict = combine(
            [verdict_for(status)] + ([verdict_for(Status.LEAKAGE)] if report.violations else [])
        )
        return ApplyResult(
            environment, report, tuple(outcomes), verdict, options.dry_run, note, remaining
        )

    show_plan(report)
    if any(v.source != "live" for v in report.violations):
        # The manifests themselves break the policy: nothing below runs, whatever is live.
        return done(Status.LEAKAGE, note="policy violations: nothing was written")
    if report.errors:
        return done(Status.ERROR, note="live state could not be read: nothing was written")

    plans: list[tuple[ServicePlan, ServiceSpec]] = []
    blocked: list[ServiceOutcome] = []
    for diff in report.services:
        spec = manifest.workload(diff.kind, diff.service)
        assert spec is not None
        if diff.status is ServiceStatus.MISSING:
            blocked.append(
                ServiceOutcome(
                    diff.service,
                    diff.project,
                    diff.region,
                    Outcome.FAILED,
                    diff.changes,
                    message=f"the {KIND_WORDS[diff.kind]} does not exist; deploytool changes "
                    "env of deployed workloads only: deploy it first (gcloud run deploy, "
                    "gcloud run jobs deploy)",
                    kind=diff.kind,
                )
            )
            continue
        if not diff.changes:
            continue
        live = next(
            s
            for loc in snapshot.locations
            for s in loc.workloads(spec.kind)
            if (s.project, s.region, s.name) == (spec.project, spec.region, spec.name)
        )
        plans.append((plan_from_live(spec, live), spec))
    if saved is not None and options.plan is not None:
        apply_saved.require_unchanged(options.plan, saved, manifest, report, snapshot)
        notify(
            f"saved plan {options.plan} holds: manifests and etags unchanged since "
            f"{saved.created_at.isoformat()}"
        )

    def keep_plan() -> None:
        if options.plan_out is not None:
            apply_saved.write_plan(
                options.plan_out,
                apply_saved.make_plan(
                    environment, services, config_dir, manifest, report, snapshot
                ),
            )
            notify(
                f"plan written to {options.plan_out}; apply it with `deploytool apply "
                f"{environment} --plan {options.plan_out}`"
            )

    if report.violations:
        # Live leakage: allowed to go on only if the planned writes remove every piece.
        after = after_writes(snapshot, [plan for plan, _ in plans])
        left = evaluate(
            manifest,
            policy,
            after,
            only={(d.kind, d.service) for d in report.services},
            others=gate.others,
        )
        if left.violations:
            pieces = describe(left.violations, after, manifest, {p.service for p, _ in plans})
            return done(
                Status.LEAKAGE,
                note="leakage would remain that apply cannot remove: nothing was written. "
                "Remove each piece listed, then re-run apply",
                remaining=pieces,
            )
    removing = {
        (plan.kind, plan.project, plan.region, plan.service): tuple(
            c.name
            for c in plan.changes
            if c.kind is ChangeKind.UNEXPECTED and protected and policy.is_e2e_name(c.name)
        )
        for plan, _ in plans
    }

    if blocked:
        return done(Status.ERROR, blocked, note="nothing was written")
    if not plans:
        # Nothing to write, but the gate may still see drift (older revisions serving other
        # env): that is said with the command that fixes it, never reported as in sync.
        idle = [
            judge(
                ServiceOutcome(d.service, d.project, d.region, Outcome.UNCHANGED, kind=d.kind),
                report,
                snapshot,
            )
            for d in report.services
            if d.status is ServiceStatus.DRIFT
        ]
        if idle:
            keep_plan()
            return ApplyResult(
                environment, report, tuple(idle), verdict_after(idle, report), options.dry_run,
                "nothing apply can write: the templates match the manifest, but what serves "
                "does not (see each service)",
            )  # fmt: skip
        keep_plan()
        return done(Status.IN_SYNC, note="nothing to do: live already matches the manifest")
    if not options.dry_run and not options.yes:
        if confirm is None:
            raise UsageError(
                "refusing to apply without confirmation: stdin is not a terminal",
                "review the plan above, then re-run with --yes (or --dry-run to preflight)",
            )
        if not confirm(len(plans)):
            return done(Status.DRIFT, note="not confirmed: nothing was written")

    forbidden = policy.is_e2e_name if protected else None
    audit = AuditLog(options.audit_log or (Path(".deploytool") / "audit.jsonl"))
    if not options.dry_run:
        audit.check_writable()
    preflight = preflight_all(
        gateway, plans, options.parallel, options.rollout_timeout, environment, forbidden
    )
    if any(o.outcome is Outcome.REFUSED for o in preflight):
        return done(Status.LEAKAGE, preflight, note="refused: nothing was written")
    if any(o.outcome in (Outcome.FAILED, Outcome.CONFLICT) for o in preflight):
        return done(
            Status.ERROR,
            preflight,
            note="preflight failed: nothing was written to any service",
        )
    if options.dry_run:
        keep_plan()
        return done(
            Status.DRIFT,
            preflight,
            note="dry run: the plan passed Cloud Run's preflight; nothing was written",
        )

    if on_write_start is not None:
        on_write_start(len(plans))
    outcomes, interrupted = write_all(
        gateway,
        plans,
        environment=environment,
        audit=audit,
        workers=options.parallel,
        rollout_timeout=options.rollout_timeout,
        progress=progress,
        notify=notify,
        forbidden=forbidden,
        etags={w.key: w.etag for w in saved.workloads} if saved is not None else None,
    )
    if interrupted is not None:
        return ApplyResult(
            environment,
            report,
            tuple(outcomes),
            Verdict(Status.ERROR, ExitCode.INTERRUPTED),
            options.dry_run,
            interrupted,
        )
    checked = verify_written(
        gateway,
        manifest,
        policy,
        outcomes,
        removing,
        parallel=options.parallel,
        others=gate.others,
    )
    # Then the app of each written service is asked (manifest `verify:`), as `verify` asks it.
    asked = verify_apps(
        gateway,
        manifest,
        protected,
        checked.outcomes,
        audit=audit,
        wait=AppWait(timeout=options.verify_timeout),
        notify=notify,
    )
    verdict = combine([checked.verdict] + ([asked.verdict] if asked.verdict else []))
    return ApplyResult(
        environment,
        report,
        asked.outcomes,
        verdict,
        options.dry_run,
        checked.note,
        verify=checked.report,
    )

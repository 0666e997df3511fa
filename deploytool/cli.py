"""The command line: options in, a command run, a renderer called, an exit code out
(through `cli_exec.execute`, the one place errors become exit codes)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from deploytool.cli_app import app
from deploytool.cli_exec import (
    asset_gateway_for,
    execute,
    gate_renderer,
    gateway_for,
    say,
    warn_about,
)
from deploytool.cli_options import (
    DEFAULT_TIMEOUT,
    DEFAULT_WINDOW,
    ConfigDir,
    Debug,
    ExecutionsSince,
    Impersonate,
    LiveFrom,
    Output,
    OutputFormat,
    Regions,
    Sarif,
    Services,
    Timeout,
    checked_window,
    positive_seconds,
)


def stdin_is_terminal() -> bool:
    """Whether someone can answer a question (a seam for tests)."""
    return sys.stdin.isatty()


@app.command()
def validate(
    environments: Annotated[
        list[str] | None, typer.Argument(help="Environments (default: all).")
    ] = None,
    config_dir: ConfigDir = Path("configs"),
    output: Output = OutputFormat.text,
    sarif: Sarif = None,
    debug: Debug = False,
) -> None:
    """Check manifests and policy offline: schema, E2E leakage, project pins."""
    from deploytool.cli_sarif import with_sarif
    from deploytool.commands import validate as command

    def render(result: Any) -> None:
        warn_about(result)
        if output is OutputFormat.json:
            from deploytool.render.json_doc import dumps, validate_doc

            typer.echo(dumps(validate_doc(result)))
        else:
            from deploytool.render.text import render_validate

            render_validate(result)

    run, show = with_sarif(
        sarif,
        "validate",
        config_dir,
        environments or [],
        lambda: command.run(config_dir, environments or []),
        render,
    )
    execute(
        run,
        show,
        command="validate",
        debug=debug,
        json_output=output is OutputFormat.json,
    )


@app.command()
def diff(
    environment: Annotated[str, typer.Argument(help="Environment (manifest stem).")],
    service: Services = None,
    region: Regions = None,
    live_from: LiveFrom = None,
    executions_since: ExecutionsSince = DEFAULT_WINDOW,
    config_dir: ConfigDir = Path("configs"),
    output: Output = OutputFormat.text,
    sarif: Sarif = None,
    impersonate: Impersonate = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    debug: Debug = False,
) -> None:
    """The drift gate: compare the manifest with live Cloud Run (exit 3 on drift)."""
    from deploytool.cli_sarif import with_sarif
    from deploytool.commands import diff as command

    run, show = with_sarif(
        sarif,
        "diff",
        config_dir,
        [environment],
        lambda: command.run(
            config_dir,
            environment,
            service or [],
            None if live_from else gateway_for(impersonate, timeout),
            extra_regions=region or [],
            live_from=live_from or [],
            executions_since=checked_window(executions_since),
        ),
        gate_renderer(output),
    )
    execute(
        run,
        show,
        command="diff",
        debug=debug,
        json_output=output is OutputFormat.json,
        environment=environment,
    )


@app.command()
def apply(
    environment: Annotated[str, typer.Argument(help="Environment (manifest stem).")],
    service: Services = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan and preflight only (exit 3 if changes).")
    ] = False,
    parallel: Annotated[int, typer.Option(min=1, max=32, help="Services written at once.")] = 4,
    audit_log: Annotated[
        Path | None, typer.Option(help="JSON-lines audit trail [default: .deploytool/audit.jsonl].")
    ] = None,
    rollout_timeout: Annotated[
        float,
        typer.Option(callback=positive_seconds, help="Seconds to wait for each new revision."),
    ] = 600.0,
    verify_timeout: Annotated[
        float,
        typer.Option(
            callback=positive_seconds,
            help="Seconds for each written service's app to agree (manifest `verify:`).",
        ),
    ] = 120.0,
    plan_out: Annotated[
        Path | None,
        typer.Option(
            "--plan-out",
            metavar="FILE",
            help="With --dry-run: save the plan (etags and digests, no values) for --plan.",
        ),
    ] = None,
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            metavar="FILE",
            help="Apply this saved plan, only if manifests and live etags are unchanged since.",
        ),
    ] = None,
    plan_max_age: Annotated[
        str,
        typer.Option(
            "--plan-max-age", metavar="DURATION", help="Refuse older plans (e.g. 30m, 6h, 2d)."
        ),
    ] = "24h",
    config_dir: ConfigDir = Path("configs"),
    output: Output = OutputFormat.text,
    impersonate: Impersonate = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    debug: Debug = False,
) -> None:
    """Make live match the manifest: plan, confirm, preflight, roll out, verify."""
    from dataclasses import replace

    from deploytool.commands import apply as command
    from deploytool.commands.apply_saved import checked_plan_options
    from deploytool.render import progress as progress_ui

    text = output is OutputFormat.text
    options = command.ApplyOptions(
        yes=yes,
        dry_run=dry_run,
        parallel=parallel,
        rollout_timeout=rollout_timeout,
        audit_log=audit_log,
        verify_timeout=verify_timeout,
        plan_out=plan_out,
        plan=plan,
    )

    def show_plan(report: Any) -> None:
        if text:
            from deploytool.render.apply_text import render_plan

            render_plan(report)

    def confirm(count: int) -> bool:
        return typer.confirm(
            f"Apply these changes to {count} service(s) in {environment}?", default=False, err=True
        )

    def render(result: Any) -> None:
        warn_about(result)
        if text:
            from deploytool.render.apply_text import render_outcomes

            render_outcomes(result)
        else:
            from deploytool.render.json_doc import apply_doc, dumps

            typer.echo(dumps(apply_doc(result)))

    def run() -> Any:
        max_age = checked_plan_options(
            dry_run=dry_run, plan_out=plan_out, plan=plan, services=service or [],
            max_age=plan_max_age,
        )  # fmt: skip
        with progress_ui.rollout_bar() as bar:
            return command.run(
                config_dir,
                environment,
                service or [],
                gateway_for(impersonate, timeout),
                replace(options, plan_max_age=max_age),
                show_plan=show_plan,
                confirm=confirm if stdin_is_terminal() else None,
                progress=bar,
                on_write_start=bar.begin,
                notify=say,
            )

    execute(
        run, render, command="apply", debug=debug, json_output=not text, environment=environment
    )


@app.command()
def audit(
    environments: Annotated[
        list[str] | None, typer.Argument(help="Environments (default: all).")
    ] = None,
    region: Regions = None,
    live_from: LiveFrom = None,
    executions_since: ExecutionsSince = DEFAULT_WINDOW,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the JSON report here too.")
    ] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML here.")] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write a Markdown report here.")
    ] = None,
    sarif: Sarif = None,
    shard: Annotated[
        str | None,
        typer.Option(
            "--shard",
            metavar="I/N",
            help="Audit shard I of N (default from CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT).",
        ),
    ] = None,
    merge: Annotated[
        list[Path] | None,
        typer.Option(
            "--merge",
            metavar="REPORT",
            help="Merge shard JSON reports instead of reading Cloud Run (repeatable).",
        ),
    ] = None,
    run_id: Annotated[
        str | None,
        typer.Option(
            "--run-id",
            envvar="DEPLOYTOOL_RUN_ID",
            metavar="ID",
            help="The run this audit (shard) is part of [default: CLOUD_RUN_EXECUTION, else a "
            "new id]; with --merge, the run every report must be of.",
        ),
    ] = None,
    discover: Annotated[
        list[str] | None,
        typer.Option(
            "--discover",
            metavar="SCOPE",
            help="Also audit every (project, region) where Cloud Asset Inventory finds Cloud Run "
            "workloads in projects/P, folders/F or organizations/O (repeatable).",
        ),
    ] = None,
    parallel: Annotated[int, typer.Option(min=1, max=64, help="Concurrent reads.")] = 8,
    config_dir: ConfigDir = Path("configs"),
    output: Output = OutputFormat.text,
    impersonate: Impersonate = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    debug: Debug = False,
) -> None:
    """Scheduled audit of every environment, unmanaged services and serving revisions."""
    from deploytool.commands import audit as command
    from deploytool.render import progress as progress_ui

    def run() -> Any:
        from deploytool.render.reports import check_report_paths

        # Before any work: a report that cannot be written must not cost a whole audit.
        check_report_paths(report=report, junit=junit, markdown=markdown, sarif=sarif)
        if merge:
            from deploytool.commands.audit_merge import merge_inputs, merge_reports

            return merge_reports(merge_inputs(merge, environments or [], shard), run_id=run_id)
        from deploytool.commands.audit_run import start_run

        this_run = start_run(run_id)
        with progress_ui.location_bar("auditing") as tick:
            return command.run(
                config_dir,
                environments or [],
                None if live_from else gateway_for(impersonate, timeout),
                extra_regions=region or [],
                live_from=live_from or [],
                parallel=parallel,
                shard=command.Shard.parse(shard),
                executions_since=checked_window(executions_since),
                progress=tick,
                run=this_run,
                discover=discover or [],
                asset=asset_gateway_for(impersonate, timeout) if discover else None,
            )

    def render(result: Any) -> None:
        from deploytool.render.reports import write_reports

        # Findings first: if a file then fails to write, they were still shown.
        gate_renderer(output)(result)
        write_reports(result, report=report, junit=junit, markdown=markdown)

    from deploytool.cli_sarif import with_sarif

    gated_run, show = with_sarif(
        sarif, "audit", config_dir, environments or [], run, render, checked=True
    )
    execute(gated_run, show, command="audit", debug=debug, json_output=output is OutputFormat.json)


# The commands around the gate register themselves on `app` (their own modules keep this one
# to the gate: validate, diff, apply, audit).
from deploytool import cli_adopt, cli_probe  # noqa: E402, F401  (registers commands)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()

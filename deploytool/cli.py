"""The command line: options in, a command run, a renderer called, an exit code out
(through `cli_exec.execute`, the one place errors become exit codes)."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from deploytool import __version__
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
    seconds_or_zero,
)

app = typer.Typer(
    name="deploytool",
    help="Keep Cloud Run environment configuration honest: manifests against live services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"deploytool {__version__}")
        raise typer.Exit(0)


@app.callback()
def main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """deploytool: drift gate, safe apply and scheduled audit for Cloud Run env vars."""


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


@app.command()
def verify(
    environment: Annotated[str, typer.Argument(help="Environment (manifest stem).")],
    service: Services = None,
    tag: Annotated[
        str | None, typer.Option("--tag", help="Probe this traffic tag's URL instead.")
    ] = None,
    config_dir: ConfigDir = Path("configs"),
    output: Output = OutputFormat.text,
    impersonate: Impersonate = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds per service for the app to answer.")
    ] = 30.0,
    debug: Debug = False,
) -> None:
    """Ask the running app (health JSON, WebSocket) whether it sees its configuration."""
    from deploytool.commands import verify as command

    def render(result: Any) -> None:
        warn_about(result)
        from deploytool.render import verify_report

        if output is OutputFormat.json:
            from deploytool.render.json_doc import dumps

            typer.echo(dumps(verify_report.verify_doc(result)))
        else:
            verify_report.render_verify(result)

    execute(
        lambda: command.run(
            config_dir,
            environment,
            service or [],
            gateway_for(impersonate, max(timeout, 5.0)),
            tag=tag,
            timeout=timeout,
            impersonate=impersonate,
        ),
        render,
        command="verify",
        debug=debug,
        json_output=output is OutputFormat.json,
        environment=environment,
    )


class SchemaName(StrEnum):
    manifest = "manifest"
    policy = "policy"


@app.command()
def schema(
    which: Annotated[SchemaName, typer.Argument(help="manifest or policy.")],
    config_dir: Annotated[
        Path,
        typer.Option(
            "--config-dir",
            envvar="DEPLOYTOOL_CONFIG_DIR",
            help="Accepted like every command; the schema does not depend on it.",
        ),
    ] = Path("configs"),
    debug: Debug = False,
) -> None:
    """Print the JSON Schema of a manifest or of policy.yaml (for editors and pre-commit)."""
    from deploytool.commands import schema as command

    def render(result: Any) -> None:
        import json

        typer.echo(json.dumps(result.document, indent=2, ensure_ascii=False))

    execute(lambda: command.run(which.value), render, command="schema", debug=debug)


@app.command("import")
def import_(
    environment: Annotated[str, typer.Argument(help="Environment (writes configs/ENV.yaml).")],
    project: Annotated[str, typer.Option("--project", help="GCP project to import from.")],
    region: Annotated[
        list[str], typer.Option("--region", metavar="REGION", help="Region (repeatable).")
    ],
    service: Annotated[
        list[str] | None,
        typer.Option("--service", "-s", help="Only workloads of this name, any kind (repeatable)."),
    ] = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="Add workloads the existing file does not have.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    stdout: Annotated[
        bool, typer.Option("--stdout", help="Print the manifest instead of writing it.")
    ] = False,
    config_dir: ConfigDir = Path("configs"),
    impersonate: Impersonate = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    debug: Debug = False,
) -> None:
    """Adopt live services into configs/ENV.yaml (secret refs kept, credentials never)."""
    from deploytool.commands import import_live as command

    def render(result: Any) -> None:
        warn_about(result)
        if result.to_stdout:
            typer.echo(result.text, nl=False)
        elif result.written:
            typer.echo(
                f"wrote {result.path}: {len(result.added)} added ({', '.join(result.added)})"
            )
        else:
            typer.echo(f"{result.path}: nothing to add, unchanged")

    execute(
        lambda: command.run(
            config_dir,
            environment,
            project,
            region,
            service or [],
            gateway_for(impersonate, timeout),
            command.ImportOptions(merge=merge, force=force, stdout=stdout),
        ),
        render,
        command="import",
        debug=debug,
        environment=environment,
    )


@app.command()
def parity(
    environment_a: Annotated[str, typer.Argument(help="First environment (manifest stem).")],
    environment_b: Annotated[str, typer.Argument(help="Second environment (manifest stem).")],
    live: Annotated[
        bool, typer.Option("--live", help="Compare live Cloud Run instead of the manifests.")
    ] = False,
    config_dir: ConfigDir = Path("configs"),
    output: Output = OutputFormat.text,
    impersonate: Impersonate = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
    debug: Debug = False,
) -> None:
    """The variables two environments must share, by name and kind (exit 3 on a gap)."""
    from deploytool.commands import parity as command

    def render(result: Any) -> None:
        warn_about(result)
        from deploytool.render import parity_report

        if output is OutputFormat.json:
            from deploytool.render.json_doc import dumps

            for message in result.report.errors:
                say(f"error: {message}")
            typer.echo(dumps(parity_report.parity_doc(result)))
        else:
            parity_report.render_parity(result)

    execute(
        lambda: command.run(
            config_dir,
            environment_a,
            environment_b,
            gateway=gateway_for(impersonate, timeout) if live else None,
        ),
        render,
        command="parity",
        debug=debug,
        json_output=output is OutputFormat.json,
    )


@app.command()
def emulator(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free).")] = 8089,
    state: Annotated[
        Path | None, typer.Option(help="YAML/JSON file to seed services from.")
    ] = None,
    latency: Annotated[
        float, typer.Option(callback=seconds_or_zero, help="Seconds added to every request.")
    ] = 0.0,
    operation_delay: Annotated[
        float, typer.Option(callback=seconds_or_zero, help="Seconds each rollout takes.")
    ] = 0.0,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            metavar="ROUTE:STATUS[:RATE]",
            help="Answer HTTP STATUS on ROUTE (services.list|get|update, revisions.list|get, "
            "operations.get, or *) at RATE (repeatable).",
        ),
    ] = None,
    drop: Annotated[
        list[str] | None,
        typer.Option("--drop", metavar="ROUTE[:RATE]", help="Drop connections on ROUTE."),
    ] = None,
    deny: Annotated[
        list[str] | None,
        typer.Option("--deny", metavar="PREFIX", help="403 on resources under PREFIX."),
    ] = None,
    fail_rollout: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-rollout",
            metavar="SERVICE=MESSAGE",
            help="New revisions of SERVICE (full name) fail with MESSAGE.",
        ),
    ] = None,
    race_etag: Annotated[
        list[str] | None,
        typer.Option(
            "--race-etag",
            metavar="SERVICE[:TIMES]",
            help="Change SERVICE out of band before its next TIMES updates.",
        ),
    ] = None,
    repeat_page_token: Annotated[
        list[str] | None,
        typer.Option(
            "--repeat-page-token",
            metavar="ROUTE",
            help="Lists on ROUTE (services.list, revisions.list or *) name a page token "
            "already served as the next page, forever.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the fault dice.")] = None,
    apps: Annotated[
        bool,
        typer.Option(
            "--apps", help="Give each service a stand-in app on 127.0.0.1 (for `verify`)."
        ),
    ] = False,
    config_dir: Annotated[
        Path,
        typer.Option(
            "--config-dir",
            envvar="DEPLOYTOOL_CONFIG_DIR",
            help="Accepted like every command; the emulator reads no manifests.",
        ),
    ] = Path("configs"),
    debug: Debug = False,
) -> None:
    """Serve a local Cloud Run Admin API v2 for demos and tests (Ctrl-C stops it)."""
    from deploytool.commands import emulator as command

    flags = command.FaultFlags(
        errors=fault or [],
        drops=drop or [],
        deny=deny or [],
        fail_rollout=fail_rollout or [],
        races=race_etag or [],
        repeat_tokens=repeat_page_token or [],
        seed=seed,
        latency=latency,
        operation_delay=operation_delay,
    )
    execute(
        lambda: command.run(host, port, state, flags, apps=apps),
        lambda _result: None,
        command="emulator",
        debug=debug,
    )


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()

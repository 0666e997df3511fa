"""The commands that talk to running things: `verify` (ask the app what it sees) and
`emulator` (the local Cloud Run stand-in, with `--apps` for the app). Registered on the one
`app` of cli.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from deploytool.cli_app import app
from deploytool.cli_exec import (
    execute,
    gateway_for,
    warn_about,
)
from deploytool.cli_options import (
    ConfigDir,
    Debug,
    Impersonate,
    Output,
    OutputFormat,
    Services,
    seconds_or_zero,
)


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

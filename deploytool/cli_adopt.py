"""The commands that adopt and describe an estate: `import` (live into a manifest), `parity`
(what two environments must share) and `schema` (JSON Schemas for editors and pre-commit).
Registered on the one `app` of cli.py."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from deploytool.cli_app import app
from deploytool.cli_exec import (
    execute,
    gateway_for,
    say,
    warn_about,
)
from deploytool.cli_options import (
    DEFAULT_TIMEOUT,
    ConfigDir,
    Debug,
    Impersonate,
    Output,
    OutputFormat,
    Timeout,
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

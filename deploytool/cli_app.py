"""The one typer application every command registers on (cli.py, cli_adopt.py,
cli_probe.py), with the options that belong to no command (`--version`)."""

from __future__ import annotations

from typing import Annotated

import typer

from deploytool import __version__

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

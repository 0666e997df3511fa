"""The options several commands share, declared once."""

from __future__ import annotations

import math
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from deploytool.core.executions import DEFAULT_WINDOW, parse_window
from deploytool.errors import UsageError

__all__ = ["DEFAULT_WINDOW"]

DEFAULT_TIMEOUT = 30.0  # CONTRACT.md "Reaching Cloud Run": --timeout defaults to 30 s


# Longer than any sensible wait, and small enough for socket timeouts (1e12 s overflows them).
MAX_SECONDS = 86_400.0


def positive_seconds(value: float) -> float:
    """A duration option: click's FloatRange lets `nan` through (no comparison holds for it),
    and nan or inf would make a deadline that is always past or never comes."""
    if not math.isfinite(value) or not 0 < value <= MAX_SECONDS:
        raise typer.BadParameter(
            f"{value!r} is not a number of seconds above 0 and at most {MAX_SECONDS:g} (e.g. 30)"
        )
    return value


def seconds_or_zero(value: float) -> float:
    """A delay option: 0 means none."""
    if not math.isfinite(value) or not 0 <= value <= MAX_SECONDS:
        raise typer.BadParameter(
            f"{value!r} is not a number of seconds from 0 to {MAX_SECONDS:g} (e.g. 0.5)"
        )
    return value


def config_directory(value: Path) -> Path:
    """An existing --config-dir must be a directory; a missing one is reported by the
    loaders, which say which manifest they looked for."""
    if value.exists() and not value.is_dir():
        raise typer.BadParameter(f"{value} is a file, not a directory of manifests")
    return value


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    json_line = "json-line"  # never reaches a command: see `output_format`


def output_format(value: OutputFormat) -> OutputFormat:
    """`json-line` is `json` printed on one line: commands see `json`, the JSON writer is
    told to print one line (reset on every parse, so one process can run several)."""
    from deploytool.render.json_style import set_one_line

    set_one_line(value is OutputFormat.json_line)
    return OutputFormat.json if value is OutputFormat.json_line else value


ConfigDir = Annotated[
    Path,
    typer.Option(
        "--config-dir",
        envvar="DEPLOYTOOL_CONFIG_DIR",
        callback=config_directory,
        help="Directory of <env>.yaml manifests and policy.yaml.",
    ),
]
Output = Annotated[
    OutputFormat,
    typer.Option(
        "--output",
        "-o",
        callback=output_format,
        help="text, json, or json-line (the same JSON document on one line, for log "
        "collectors).",
    ),
]
Debug = Annotated[
    bool,
    typer.Option(
        "--debug",
        envvar="DEPLOYTOOL_DEBUG",
        help="Tracebacks and request logging (secrets still redacted).",
    ),
]
Impersonate = Annotated[
    str | None,
    typer.Option(
        "--impersonate-service-account",
        metavar="SA",
        help="Act as this service account (needs Token Creator on it).",
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        callback=positive_seconds,
        help="Total seconds per Cloud Run read, retries included.",
    ),
]
Services = Annotated[
    list[str] | None,
    typer.Option("--service", "-s", help="Only this managed service (repeatable)."),
]
Sarif = Annotated[
    Path | None,
    typer.Option(
        "--sarif",
        metavar="FILE",
        help="Also write the findings as SARIF 2.1.0 (GitHub code scanning), whatever the "
        "verdict.",
    ),
]
Regions = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Also read this region in every project of the environment (repeatable).",
    ),
]
LiveFrom = Annotated[
    list[Path] | None,
    typer.Option(
        "--live-from",
        metavar="FILE",
        help="Read live state from this exported file instead of Cloud Run (repeatable): "
        "gcloud run services|jobs describe --format export|yaml|json, services|jobs list "
        "--format json, revisions describe, jobs executions list --format json, or Admin API "
        "v2 JSON (worker pools too). No credentials needed.",
    ),
]

ExecutionsSince = Annotated[
    str,
    typer.Option(
        "--executions-since",
        metavar="DURATION",
        help="Check job executions created within this window (e.g. 30m, 6h, 2d), plus every "
        "one still running.",
    ),
]


def checked_window(text: str) -> timedelta:
    """`--executions-since`: a malformed duration is a usage error (exit 2)."""
    try:
        return parse_window(text)
    except ValueError as exc:
        raise UsageError(f"--executions-since: {exc}", "pass e.g. 30m, 6h, 24h or 2d") from None

"""The options several commands share, declared once."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


ConfigDir = Annotated[
    Path,
    typer.Option(
        "--config-dir",
        envvar="DEPLOYTOOL_CONFIG_DIR",
        help="Directory of <env>.yaml manifests and policy.yaml.",
    ),
]
Output = Annotated[OutputFormat, typer.Option("--output", "-o", help="text or json.")]
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
    typer.Option("--timeout", min=1.0, help="Total seconds per Cloud Run read, retries included."),
]
Services = Annotated[
    list[str] | None,
    typer.Option("--service", "-s", help="Only this managed service (repeatable)."),
]
Regions = Annotated[
    list[str] | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Also read this region in every project of the environment (repeatable).",
    ),
]

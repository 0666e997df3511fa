"""Which audit run a report belongs to, so `audit --merge` never joins shards of different runs.

The run id is, in order: `--run-id` (or `DEPLOYTOOL_RUN_ID`), for CI systems that shard their
own way; `CLOUD_RUN_EXECUTION`, which every task of one Cloud Run job execution shares; else a
fresh random id, so two runs never look like one. `started_at` is when this audit began, UTC.

Merging: every report must carry the same run id. Reports written before run ids existed are
merged only with each other (all of them lack one: the older checks still apply, the shard
count and each service reported once); one such report among reports with a run id is refused,
since nothing shows it belongs to that run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from deploytool.errors import UsageError

EXECUTION_VARIABLE = "CLOUD_RUN_EXECUTION"
# Cloud Run execution names are short DNS-like labels; CI run ids are numbers or slugs.
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}")
_HINT = "a run id is 1 to 128 letters, digits and . _ : / @ + -, starting with a letter or digit"


@dataclass(frozen=True)
class AuditRun:
    """`run_id` names the run; `started_at` is ISO-8601 in UTC (`2026-01-31T09:30:00Z`)."""

    run_id: str
    started_at: str


def start_run(
    run_id: str | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> AuditRun:
    """The run this audit is part of, starting now."""
    env = os.environ if environ is None else environ
    if run_id is not None:
        chosen = check_run_id(run_id, "--run-id")
    elif env.get(EXECUTION_VARIABLE):
        chosen = check_run_id(env[EXECUTION_VARIABLE], EXECUTION_VARIABLE)
    else:
        chosen = uuid.uuid4().hex
    return AuditRun(chosen, utc_timestamp(now or datetime.now(UTC)))


def check_run_id(text: str, source: str) -> str:
    if not _RUN_ID.fullmatch(text):
        raise UsageError(f"{source}: {text!r} is not a valid run id", _HINT)
    return text


def utc_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """An ISO-8601 time with a zone (ValueError otherwise), as an aware datetime."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no time zone")
    return moment


def one_run(
    reports: Sequence[tuple[Path, AuditRun | None]], expected: str | None
) -> AuditRun | None:
    """The run all `reports` belong to (started when its first shard started), None when they
    are all older reports without one; a UsageError listing run id → files otherwise."""
    by_run: dict[str | None, list[Path]] = {}
    for path, run in reports:
        by_run.setdefault(run.run_id if run else None, []).append(path)
    if expected is not None and set(by_run) != {expected}:
        raise UsageError(
            f"--run-id {expected}: not every report is of that run ({_listing(by_run)})",
            "merge the reports that the shards of that run wrote",
        )
    if len(by_run) > 1:
        raise UsageError(
            f"the reports come from different audit runs ({_listing(by_run)})",
            "merge the reports of one run: its shards share CLOUD_RUN_EXECUTION on Cloud Run, "
            "elsewhere pass the same --run-id (or DEPLOYTOOL_RUN_ID) to every shard",
        )
    runs = [run for _path, run in reports if run is not None]
    if not runs:
        return None
    first = min(runs, key=lambda run: parse_timestamp(run.started_at))
    return AuditRun(first.run_id, utc_timestamp(parse_timestamp(first.started_at)))


def _listing(by_run: dict[str | None, list[Path]]) -> str:
    def label(run_id: str | None) -> str:
        return f"run_id {run_id}" if run_id is not None else "no run_id (an older report)"

    ordered = sorted(by_run.items(), key=lambda item: (item[0] is None, item[0] or ""))
    return "; ".join(f"{label(run_id)}: {', '.join(map(str, paths))}" for run_id, paths in ordered)

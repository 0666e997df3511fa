"""Whether the exported files show every job execution a protected environment must check
(running, or created within `--executions-since`). Files are partial by nature, so:

- a job whose status names a latest execution in the window that the files do not hold is
  unknown live state: the location's executions are an error (exit 5) with the export
  command, whether or not other executions were given;
- when no executions were exported at all (no execution document, no `{"executions": []}`)
  while jobs were given, the executions were not read either: an error too (exit 5 unless a
  violation makes it 4), never "in sync" on a run nobody looked at. `{"executions": []}` is
  how a file says that none ran.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from deploytool.core.executions import in_window
from deploytool.core.model import LiveExecution, LiveWorkload
from deploytool.livefiles.parsed import LatestExecution

NOT_EXPORTED = "executions were not exported, so they could not be checked"


def executions_findings(
    project: str,
    region: str,
    jobs: Sequence[LiveWorkload],
    latest: Mapping[tuple[str, str, str], LatestExecution],
    executions: Mapping[tuple[str, str, str, str], LiveExecution],
    exported: bool,
    cutoff: datetime,
) -> tuple[str | None, tuple[str, ...]]:
    """(why the executions of this location are unknown, or None; warnings)."""
    missing = []
    for job in jobs:
        run = latest.get((project, region, job.name))
        if run is None or (project, region, job.name, run.name) in executions:
            continue
        probe = LiveExecution(
            run.name, job.name, project, region, (), run.create_time, running=run.running
        )
        if in_window(probe, cutoff):
            state = "still running" if run.running else f"created {run.create_time or '?'}"
            missing.append(
                f"execution {run.name} of job {job.name} ({state}) is not in the --live-from "
                f"files; export it with gcloud run jobs executions list --job {job.name} "
                f"--project {project} --region {region} --format json, and pass that file too"
            )
    if not missing and jobs and not exported:
        names = ", ".join(job.name for job in jobs)
        missing.append(
            f"{project}/{region}: {NOT_EXPORTED} (jobs {names}): a run started with an E2E "
            "override would not be seen; export them with gcloud run jobs executions list "
            f"--project {project} --region {region} --format json and pass that file too "
            '(a file holding {"executions": []} says that none ran)'
        )
    return "; ".join(missing) or None, ()

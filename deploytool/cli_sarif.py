"""`--sarif FILE` for validate, diff and audit: the command's run and render wrapped so that
the SARIF log is written whatever happens, findings or a failure (invalid manifests give one
result per problem). The path is checked before any work, like the other reports."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from deploytool.errors import DeployToolError, ManifestError

Run = Callable[[], Any]
Render = Callable[[Any], None]


def with_sarif(
    sarif: Path | None,
    command: str,
    config_dir: Path,
    environments: Sequence[str],
    run: Run,
    render: Render,
    *,
    checked: bool = False,
) -> tuple[Run, Render]:
    """`run` and `render` that also write the SARIF log to `sarif` (unchanged when None).
    `checked`: the command checks the path itself (audit, with its other reports)."""
    if sarif is None:
        return run, render
    automation = "/".join(["deploytool", command, *sorted(set(environments))]) + "/"

    def run_and_record() -> Any:
        from deploytool.render.reports import check_report_paths

        if not checked:
            check_report_paths(sarif=sarif)
        try:
            return run()
        except DeployToolError as error:
            _write_failure(sarif, error, config_dir, automation)
            raise

    def render_and_record(result: Any) -> None:
        try:
            render(result)
        finally:
            _write_result(sarif, command, result, config_dir, automation)

    return run_and_record, render_and_record


def _write_result(path: Path, command: str, result: Any, config_dir: Path, automation: str) -> None:
    from deploytool.render import sarif_findings
    from deploytool.render.reports import SARIF_REPORT, write_text
    from deploytool.render.sarif import repository_root, sarif_log, sarif_text

    if command == "validate":
        findings = sarif_findings.validate_findings(result, config_dir)
    else:
        findings = sarif_findings.gate_findings(result, config_dir)
    document = sarif_log(
        findings,
        root=repository_root(config_dir),
        exit_code=int(result.verdict.exit_code),
        successful=True,
        automation_id=automation,
    )
    write_text(path, sarif_text(document), SARIF_REPORT)


def _write_failure(path: Path, error: DeployToolError, config_dir: Path, automation: str) -> None:
    from deploytool.render.reports import SARIF_REPORT, write_text
    from deploytool.render.sarif import repository_root, sarif_log, sarif_text
    from deploytool.render.sarif_findings import problem_findings

    if isinstance(error, ManifestError):
        findings, notes = problem_findings(error), []
    else:
        findings, notes = [], [error.message + (f" ({error.hint})" if error.hint else "")]
    document = sarif_log(
        findings,
        root=repository_root(config_dir),
        exit_code=int(error.exit_code),
        # An invalid manifest was checked to the end: its problems are the findings.
        successful=isinstance(error, ManifestError),
        automation_id=automation,
        notifications=notes,
    )
    with contextlib.suppress(DeployToolError):  # the command's own error is the one to report
        write_text(path, sarif_text(document), SARIF_REPORT)

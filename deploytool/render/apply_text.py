"""Text for `apply`: the plan before the question, the per-service outcomes after."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from deploytool.commands.apply import ApplyResult
from deploytool.commands.apply_service import Outcome
from deploytool.core.remediation import LeakPiece
from deploytool.core.report import EnvironmentReport
from deploytool.render.escape import shown
from deploytool.render.text import (
    emit,
    environment_block,
    is_rich,
    make_console,
    service_change_lines,
    verdict_line,
)
from deploytool.render.verify_report import app_lines

OUTCOME_STYLE = {
    Outcome.APPLIED: "green",
    Outcome.UNCHANGED: "dim",
    Outcome.PENDING: "yellow",
    Outcome.FAILED: "bold red",
    Outcome.CONFLICT: "bold red",
    Outcome.SKIPPED: "yellow",
    Outcome.INTERRUPTED: "bold red",
    Outcome.REFUSED: "bold red",
    Outcome.NOT_SERVING: "bold yellow",
    Outcome.PARTIALLY_SERVING: "bold yellow",
    Outcome.DRIFTED: "bold yellow",
    Outcome.LEAKAGE: "bold red",
    Outcome.UNVERIFIED: "bold yellow",
}


def render_plan(report: EnvironmentReport, console: Console | None = None) -> None:
    console = console or make_console()
    emit(console, environment_block(report, "plan for", is_rich(console), verdict=False))


def render_outcomes(result: ApplyResult, console: Console | None = None) -> None:
    console = console or make_console()
    parts: list[object] = []
    if result.outcomes:
        if is_rich(console):
            table = Table(
                title="apply outcome",
                title_justify="left",
                box=None,
                padding=(0, 1),
                header_style="bold",
            )
            for col in ("service", "outcome", "changes", "revision", "detail"):
                table.add_column(col)
            for o in result.outcomes:
                # Text cells, never str: rich would read `[...]` in a value as markup.
                table.add_row(
                    Text(shown(o.service)),
                    Text(o.outcome.value, OUTCOME_STYLE[o.outcome]),
                    str(len(o.changes)),
                    Text(shown(o.revision or "-")),
                    Text(shown(o.message or "")),
                )
            parts.append(table)
        else:
            for o in result.outcomes:
                parts.append(
                    Text(
                        f"{shown(o.service)}: {o.outcome.value} ({len(o.changes)} changes)"
                        + (f", revision {shown(o.revision)}" if o.revision else "")
                        + (f": {shown(o.message)}" if o.message else "")
                    )
                )
        for o in result.outcomes:
            if o.removed_leaks:
                parts.append(
                    Text(
                        f"{o.service}: removed leaked E2E variable(s) "
                        f"{', '.join(o.removed_leaks)} (verified gone live)",
                        "green",
                    )
                )
            if o.app is not None:
                parts += app_lines(o.service, o.app.result, o.app.probes)
            if o.traffic_command:
                parts.append(Text(f"{o.service}: route traffic: {o.traffic_command}", "yellow"))
            if o.new_changes:
                parts.append(Text(f"new plan for {shown(o.service)} (not applied):", "bold yellow"))
                parts += service_change_lines(o.new_changes)
    parts += remaining_leak_lines(result.remaining_leaks)
    if result.note:
        parts.append(Text(shown(result.note)))
    label = "apply --dry-run" if result.dry_run else "apply"
    parts.append(verdict_line(f"{label} {result.environment}", result.verdict))
    emit(console, parts)


def remaining_leak_lines(pieces: tuple[LeakPiece, ...]) -> list[object]:
    """Each piece of leakage apply cannot remove, with the command that does."""
    if not pieces:
        return []
    out: list[object] = [
        Text(f"LEAKAGE APPLY CANNOT REMOVE ({len(pieces)}): nothing was written", "bold red")
    ]
    for p in pieces:
        where = f"{p.service} ({p.project}/{p.region})" if p.project else p.service
        if p.revision:
            where += f" revision {p.revision}"
        if p.container:
            where += f" container {p.container}"
        out.append(Text(f"  ✗ {p.variable or '?'} on {where}: {p.reason}", "red"))
        out.append(Text(f"    fix: {p.remedy}"))
    return out

"""`parity` as text (a two-column table per pair) and as the JSON document of CONTRACT.md."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from deploytool.commands.parity import ParityResult
from deploytool.core.parity import Gap, GapKind, PairReport
from deploytool.render.escape import shown
from deploytool.render.text import emit, is_rich, make_console, verdict_line

SCHEMA_VERSION = 1


def parity_doc(result: ParityResult) -> dict[str, Any]:
    """Exactly the keys of CONTRACT.md; why live state was unreadable goes to stderr."""
    report = result.report
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "parity",
        "status": str(report.verdict.status),
        "exit_code": int(report.verdict.exit_code),
        "environments": list(report.environments),
        "pairs": [
            {
                "a": pair.a,
                "b": pair.b,
                "gaps": [{"name": gap.name, "gap": str(gap.kind)} for gap in pair.gaps],
            }
            for pair in report.pairs
        ],
        "unpaired": [{"environment": u.environment, "service": u.service} for u in report.unpaired],
    }


def _cells(gap: Gap) -> tuple[str, str]:
    """What each side has: the name, `(absent)`, or the kind when they disagree."""
    if gap.kind is GapKind.ONLY_IN_A:
        return "set", "(absent)"
    if gap.kind is GapKind.ONLY_IN_B:
        return "(absent)", "set"
    return ("secret", "plain") if gap.secret_side == "a" else ("plain", "secret")


def _pair_block(pair: PairReport, env_a: str, env_b: str, rich_mode: bool) -> list[object]:
    title = Text(f"{shown(pair.a)} ↔ {shown(pair.b)}: ", "bold")
    if not pair.gaps:
        title.append("same variables", "green")
        return [title]
    title.append(f"{len(pair.gaps)} gaps", "yellow")
    out: list[object] = [title]
    if rich_mode:
        table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
        for column in ("variable", f"{env_a} ({pair.a})", f"{env_b} ({pair.b})"):
            table.add_column(shown(column))
        for gap in pair.gaps:
            left, right = _cells(gap)
            table.add_row(Text(shown(gap.name), "yellow"), left, right)
        out.append(table)
    else:
        out.append(Text(f"  variable | {shown(env_a)} | {shown(env_b)}"))
        for gap in pair.gaps:
            left, right = _cells(gap)
            out.append(Text(f"  {shown(gap.name)} | {left} | {right} [{gap.kind.value}]"))
    return out


def render_parity(result: ParityResult, console: Console | None = None) -> None:
    console = console or make_console()
    report = result.report
    env_a, env_b = report.environments
    source = "live" if result.live else "manifests"
    parts: list[object] = [
        verdict_line(f"parity {env_a} {env_b} ({source})", report.verdict, ok_word="IN PARITY"),
        Text(""),
    ]
    for message in report.errors:
        parts.append(Text(f"! {shown(message)}", "red"))
    for pair in report.pairs:
        parts += _pair_block(pair, env_a, env_b, is_rich(console))
    if report.unpaired:
        parts.append(Text(f"unpaired services ({len(report.unpaired)}):", "bold"))
        parts += [Text(f"  ? {shown(u.service)} ({shown(u.environment)})") for u in report.unpaired]
    gaps = sum(len(p.gaps) for p in report.pairs)
    parts += [
        Text(""),
        Text(f"{len(report.pairs)} pairs, {gaps} gaps, {len(report.unpaired)} unpaired"),
    ]
    emit(console, parts)

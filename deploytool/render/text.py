"""Human reports: rich tables on a terminal, plain lines when piped or NO_COLOR is set."""

from __future__ import annotations

import os
import sys
from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from deploytool.commands.results import GateResult, ValidateResult
from deploytool.core.acknowledge import expiry_text
from deploytool.core.diff import (
    ChangeKind,
    EnvChange,
    Origin,
    RevisionDrift,
    ServiceDiff,
    ServiceStatus,
)
from deploytool.core.model import JOB, KIND_SECTIONS, SERVICE, WORKER_POOL, EnvVar, workload_label
from deploytool.core.policy import Violation
from deploytool.core.reachable import share_text
from deploytool.core.report import EnvironmentReport
from deploytool.core.verdict import Status, Verdict
from deploytool.redaction import MASK, scrub, shown_value
from deploytool.render.escape import guard_commands, shown

SIGN = {ChangeKind.MISSING: "+", ChangeKind.UNEXPECTED: "-", ChangeKind.CHANGED: "~"}
STYLE = {ChangeKind.MISSING: "green", ChangeKind.UNEXPECTED: "red", ChangeKind.CHANGED: "yellow"}
STATUS_STYLE = {
    Status.IN_SYNC: "bold green",
    Status.DRIFT: "bold yellow",
    Status.LEAKAGE: "bold red",
    Status.ERROR: "bold red",
}
ORIGIN_NOTE = {
    Origin.DRIFT: ", changed live since deploytool applied",
    Origin.PENDING: ", manifest changed since deploytool applied",
}
SERVICE_STYLE = {
    ServiceStatus.IN_SYNC: "green",
    ServiceStatus.DRIFT: "yellow",
    ServiceStatus.MISSING: "red",
    ServiceStatus.ERROR: "red",
}


def make_console(file: IO[str] | None = None) -> Console:
    """Colour and tables only on a terminal, and never when NO_COLOR is set."""
    no_color = "NO_COLOR" in os.environ
    return Console(
        file=file or sys.stdout, no_color=no_color, highlight=False, soft_wrap=False, emoji=False
    )


def is_rich(console: Console) -> bool:
    return console.is_terminal and not console.no_color


def display(var: EnvVar | None, paired: EnvVar | None = None) -> str:
    """A value as printed; `paired` is the other side of its change (masked together)."""
    if var is None:
        return "-"
    if var.secret is not None:
        return f"secret:{shown(var.secret)}"
    return shown(shown_value(var, paired))


def emit(console: Console, build: list[object]) -> None:
    """Print through a capture so the final scrub sees every character."""
    plain = not is_rich(console)
    with console.capture() as captured:
        for item in build:
            # Piped output is for grep and CI logs: one line per fact, never wrapped. On a
            # terminal a Text line is not broken by rich either: a break inside a value would
            # start a line with it (tables wrap inside their columns, behind the padding).
            console.print(item, soft_wrap=plain or isinstance(item, Text))
    console.file.write(guard_commands(scrub(captured.get())))
    console.file.flush()


def verdict_line(label: str, verdict: Verdict, ok_word: str | None = None) -> Text:
    text = Text(f"{shown(label)}: ")
    word = ok_word if ok_word and verdict.ok else verdict.status.value.upper().replace("_", " ")
    text.append(word, STATUS_STYLE[verdict.status])
    text.append(f" (exit {int(verdict.exit_code)})")
    return text


def violation_lines(violations: tuple[Violation, ...]) -> list[object]:
    if not violations:
        return []
    out: list[object] = [Text(f"POLICY VIOLATIONS ({len(violations)})", "bold red")]
    for v in violations:
        out.append(Text(f"  ✗ [{v.rule}] {shown(v.message)}", "red"))
    out.append(Text(""))
    return out


def _change_row(change: EnvChange) -> tuple[str, str, str, str]:
    origin = ORIGIN_NOTE.get(change.origin, "") if change.origin else ""
    if change.kind is ChangeKind.CHANGED:
        live, desired = display(change.live, change.desired), display(change.desired, change.live)
        what = f"{live} → {desired}"
        if live == desired == MASK:  # both masked: say so, or it reads like no change at all
            what += " (changed)"
    elif change.kind is ChangeKind.MISSING:
        what = f"{display(change.desired)} (in manifest, not live)"
    else:
        what = f"{display(change.live)} (live, not in manifest)"
    note = f", {expiry_text(change.acknowledged)}" if change.acknowledged else ""
    return SIGN[change.kind], shown(change.name), what, shown(f"{change.kind.value}{origin}{note}")


def _change_style(change: EnvChange) -> str:
    """Acknowledged drift is shown, dimmed: it does not fail the gate."""
    return "dim" if not change.gates else STYLE[change.kind]


def changed_by(who: str | None, when: str | None) -> str:
    """`changed by alice@example.com at 2026-01-02T03:04:05Z` (empty when neither is known)."""
    if not who and not when:
        return ""
    return "changed by " + " at ".join(part for part in (who or "(unknown)", when) if part)


def service_block(diff: ServiceDiff, rich_mode: bool) -> list[object]:
    head = Text(f"{shown(workload_label(diff.kind, diff.service))} ", "bold")
    head.append(f"({shown(diff.project)}/{shown(diff.region)}) ", "dim")
    head.append(diff.status.value.replace("_", " "), SERVICE_STYLE[diff.status])
    if diff.status is ServiceStatus.DRIFT and not diff.gating_drift:
        head.append(" (acknowledged)", "dim")
    out: list[object] = [head]
    who = changed_by(diff.last_modifier, diff.update_time)
    if diff.has_drift and who:
        out.append(Text(f"  {shown(who)}", "dim"))
    if diff.error:
        out.append(Text(f"  ! {shown(diff.error)}", "red"))
    if diff.not_ready:
        out.append(Text(f"  ! {shown(diff.not_ready)}", "yellow"))
    groups = [("", diff.changes)] + [
        (shown(_revision_heading(r)), r.changes) for r in diff.revisions
    ]
    for title, changes in groups:
        if not changes:
            continue
        if title:
            out.append(Text(f"  {title}:", "yellow"))
        if rich_mode:
            table = Table(show_header=True, header_style="bold", box=None, padding=(0, 1))
            for col in ("", "variable", "live → manifest", "kind"):
                table.add_column(col)
            for change in changes:
                sign, name, what, kind = _change_row(change)
                style = _change_style(change)
                dim = "" if change.gates else "dim"
                table.add_row(
                    Text(sign, style), Text(name, style), Text(what, dim), Text(kind, dim)
                )
            out.append(table)
        else:
            out += service_change_lines(changes)
    return out


def _revision_heading(r: RevisionDrift) -> str:
    who = changed_by(r.creator, r.create_time)
    return f"{revision_title(r)}, {who}" if who else revision_title(r)


def revision_title(r: RevisionDrift) -> str:
    """`serving revision r-2 (20% of traffic)`, or for a revision only a tag reaches
    `tagged revision r-1 (0% of traffic, tag canary, https://canary---...)`."""
    kind = "serving" if r.percent > 0 else "tagged"
    return f"{kind} revision {r.revision} ({share_text(r.percent, r.tags, unit='% of traffic')})"


def service_change_lines(changes: tuple[EnvChange, ...]) -> list[object]:
    out: list[object] = []
    for change in changes:
        sign, name, what, kind = _change_row(change)
        out.append(Text(f"  {sign} {name}: {what} [{kind}]", _change_style(change)))
    return out


def summary_line(report: EnvironmentReport) -> Text:
    counts = {status: 0 for status in ServiceStatus}
    changes = acknowledged = 0
    for diff in report.services:
        counts[diff.status] += 1
        every = [*diff.changes, *(c for r in diff.revisions for c in r.changes)]
        changes += len(every)
        acknowledged += sum(1 for c in every if not c.gates)
    noted = f", {acknowledged} acknowledged" if acknowledged else ""
    kinds = [d.kind for d in report.services]
    others = "".join(
        f", {kinds.count(kind)} {KIND_SECTIONS[kind].replace('_', ' ')}"
        for kind in (JOB, WORKER_POOL)
        if kind in kinds
    )
    return Text(
        f"{kinds.count(SERVICE)} services{others}: {counts[ServiceStatus.IN_SYNC]} in sync, "
        f"{counts[ServiceStatus.DRIFT]} drifted ({changes} changes{noted}), "
        f"{counts[ServiceStatus.MISSING]} missing, {counts[ServiceStatus.ERROR]} unreadable; "
        f"{len(report.violations)} policy violations"
    )


def environment_block(
    report: EnvironmentReport, command: str, rich_mode: bool, *, verdict: bool = True
) -> list[object]:
    if verdict:
        out: list[object] = [verdict_line(f"{command} {report.environment}", report.verdict)]
    else:
        out = [Text(f"{command} {shown(report.environment)}", "bold")]
    out.append(Text(""))
    out += violation_lines(report.violations)
    for error in report.errors:
        if error.service is None:
            what = "" if error.kind == SERVICE else f"{error.kind.replace('_', ' ')}s in "
            out.append(
                Text(
                    f"! could not read {what}{shown(error.project)}/{shown(error.region)}: "
                    f"{shown(error.message)}",
                    "red",
                )
            )
    for diff in report.services:
        out += service_block(diff, rich_mode)
    if report.unmanaged:
        out.append(Text(f"unmanaged workloads ({len(report.unmanaged)}):", "bold"))
        out += [
            Text(
                f"  ? {shown(workload_label(u.kind, u.service))} "
                f"({shown(u.project)}/{shown(u.region)})"
            )
            for u in report.unmanaged
        ]
    out += [Text(""), summary_line(report)]
    return out


def render_gate(result: GateResult, console: Console | None = None) -> None:
    console = console or make_console()
    rich_mode = is_rich(console)
    parts: list[object] = []
    for report in result.reports:
        parts += environment_block(report, result.command, rich_mode)
        parts.append(Text(""))
    if result.discovery is not None:
        from deploytool.render.discovery_text import discovery_block

        parts += [*discovery_block(result.discovery, violation_lines, verdict_line), Text("")]
    if result.command == "audit":
        parts.append(verdict_line("audit", result.verdict))
    emit(console, parts)


def render_validate(result: ValidateResult, console: Console | None = None) -> None:
    console = console or make_console()
    parts: list[object] = []
    for env in result.environments:
        line = Text(f"{shown(env.path)}: ")
        line.append(
            "valid" if env.verdict.ok else env.verdict.status.value,
            STATUS_STYLE[env.verdict.status],
        )
        line.append(f" ({env.services} services)")
        parts.append(line)
        parts += violation_lines(env.violations)
    parts.append(verdict_line("validate", result.verdict, ok_word="VALID"))
    emit(console, parts)

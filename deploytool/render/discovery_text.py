"""The text part of `audit --discover`: what the searches found, the unowned workloads, their
violations and whatever could not be read."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from deploytool.commands.discover import DiscoveryResult
from deploytool.core.policy import Violation
from deploytool.core.verdict import Verdict
from deploytool.render.escape import shown

# text.py's own helpers, handed in (text.py imports this module, not the other way round).
ViolationLines = Callable[[tuple[Violation, ...]], list[object]]
VerdictLine = Callable[[str, Verdict], Text]


def discovery_block(
    found: DiscoveryResult, violation_lines: ViolationLines, verdict_line: VerdictLine
) -> list[object]:
    report = found.report
    out: list[object] = [verdict_line("discovery (unowned workloads)", report.verdict)]
    kinds = ", ".join(found.kinds) or "none"  # what the searches returned
    out.append(
        Text(
            f"searched {', '.join(map(shown, found.scopes))}: Cloud Run workloads in "
            f"{len(found.locations)} (project, region) location(s); kinds seen: {kinds}"
        )
    )
    out.append(Text(""))
    out += violation_lines(report.violations)
    for error in report.errors:
        where = f"{shown(error.project)}/{shown(error.region)}: " if error.project else ""
        subject = f"{shown(error.service)} " if error.service else ""
        out.append(Text(f"! could not read {subject}{where}{shown(error.message)}", "red"))
    if report.unmanaged:
        out.append(
            Text(f"unowned workloads ({len(report.unmanaged)}), checked as protected:", "bold")
        )
        out += [
            Text(
                f"  ? {shown(getattr(u, 'kind', 'service'))} {shown(u.service)} "
                f"({shown(u.project)}/{shown(u.region)})"
            )
            for u in report.unmanaged
        ]
    out += [
        Text(""),
        Text(
            f"{len(report.unmanaged)} unowned workloads; {len(report.violations)} policy "
            f"violations; {len(report.errors)} read errors"
        ),
    ]
    return out

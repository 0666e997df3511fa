"""The gate's results as SARIF findings, each pinned to a manifest line.

Lines come from the loaded manifest model (specs and variables carry `line`), never from
parsing messages. The small accessors at the top are the only places that know how results
name their workloads, so other kinds of workload (jobs, worker pools) plug in there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploytool.commands.results import GateResult, ValidateResult
from deploytool.core.acknowledge import expiry_text
from deploytool.core.diff import EnvChange, ServiceDiff, ServiceStatus
from deploytool.core.model import EnvVar, Manifest
from deploytool.core.policy import RULE_LEAKAGE, Violation
from deploytool.core.report import EnvironmentReport, ReadError
from deploytool.errors import ManifestError
from deploytool.redaction import shown_value


@dataclass(frozen=True)
class Finding:
    """One SARIF result before encoding. `detail` identifies a finding that names no
    workload (a project pin, an invalid line) for its fingerprint."""

    rule: str
    message: str
    path: str | None
    line: int | None
    environment: str | None = None
    kind: str | None = None
    name: str | None = None
    variable: str | None = None
    revision: str | None = None
    detail: str = ""
    # An acknowledged change: SARIF carries it with a suppression (this justification)
    # rather than dropping it.
    suppressed: str | None = None


# ---- accessors: how results and manifests name workloads ------------------------------------


def manifest_workloads(manifest: Manifest) -> list[Any]:
    """Every workload spec of a manifest (services; jobs and worker pools where the model
    has them)."""
    return [
        *manifest.services,
        *getattr(manifest, "jobs", ()),
        *getattr(manifest, "worker_pools", ()),
    ]


def spec_kind(spec: Any) -> str:
    return str(getattr(spec, "kind", None) or "service")


def report_workloads(report: EnvironmentReport) -> list[ServiceDiff]:
    return [*report.services, *getattr(report, "jobs", ()), *getattr(report, "worker_pools", ())]


def diff_workload(diff: ServiceDiff) -> tuple[str, str]:
    """(kind, name) of a compared workload."""
    return str(getattr(diff, "kind", None) or "service"), getattr(
        diff, "name", None
    ) or diff.service


def violation_workload(v: Violation) -> tuple[str | None, str | None]:
    if v.service is None:
        return None, None
    return str(getattr(v, "kind", None) or "service"), v.service


# ---- locating -------------------------------------------------------------------------------


class Locator:
    """Where a finding is written: the variable's line, else the workload's, else line 1 of
    the environment's manifest."""

    def __init__(self, manifests: Sequence[Manifest], config_dir: Path) -> None:
        self._manifests = {m.environment: m for m in manifests}
        self._config_dir = config_dir

    def path(self, environment: str) -> str:
        manifest = self._manifests.get(environment)
        # Merged audit reports carry no manifests: the file named by convention, at line 1.
        return manifest.path if manifest else str(self._config_dir / f"{environment}.yaml")

    def line(
        self, environment: str, kind: str | None, name: str | None, variable: str | None
    ) -> int:
        manifest = self._manifests.get(environment)
        if manifest is None:
            return 1
        spec = next(
            (s for s in manifest_workloads(manifest) if (spec_kind(s), s.name) == (kind, name)),
            None,
        )
        if spec is None:
            return 1
        var = next((v for v in spec.env if v.name == variable), None) if variable else None
        return (var.line if var else None) or spec.line or 1

    def manifest_line(self, environment: str, rule: str) -> int:
        """A finding about the manifest as a whole: the e2e block or the project line."""
        manifest = self._manifests.get(environment)
        if manifest is None:
            return 1
        if rule == RULE_LEAKAGE and manifest.e2e is not None:
            return manifest.e2e.line or 1
        # project-pin and ownership (of a project) are about the project: line.
        return manifest.project_line or 1


# ---- results → findings ---------------------------------------------------------------------


def gate_findings(result: GateResult, config_dir: Path) -> list[Finding]:
    where = Locator(result.manifests, config_dir)
    found: list[Finding] = []
    for report in result.reports:
        found += violation_findings(report.environment, report.violations, where)
        for diff in report_workloads(report):
            found += _diff_findings(report.environment, diff, where)
        found += [_read_error(report.environment, e, where) for e in report.errors]
    return found


def validate_findings(result: ValidateResult, config_dir: Path) -> list[Finding]:
    where = Locator(result.manifests, config_dir)
    found: list[Finding] = []
    for env in result.environments:
        found += violation_findings(env.environment, env.violations, where)
    return found


def problem_findings(error: ManifestError) -> list[Finding]:
    return [
        Finding(
            rule="invalid-manifest",
            message=p.message,
            path=p.path,
            line=p.line or 1,
            detail=f"{p.path}\0{_without_lines(p.message)}",
        )
        for p in error.problems
    ]


def violation_findings(
    environment: str, violations: Iterable[Violation], where: Locator
) -> list[Finding]:
    found = []
    for v in violations:
        kind, name = violation_workload(v)
        line = (
            where.line(environment, kind, name, v.variable)
            if name is not None
            else where.manifest_line(environment, v.rule)
        )
        found.append(
            Finding(
                rule=v.rule,
                message=f"{environment}: {v.message}",
                path=where.path(environment),
                line=line,
                environment=environment,
                kind=kind,
                name=name,
                variable=v.variable,
                revision=v.revision,
                detail=f"{v.source}\0{_without_lines(v.message)}" if name is None else v.source,
            )
        )
    return found


def _diff_findings(environment: str, diff: ServiceDiff, where: Locator) -> list[Finding]:
    kind, name = diff_workload(diff)
    path = where.path(environment)
    label = f"{environment}: {kind.replace('_', ' ')} {name}"
    if diff.status is ServiceStatus.MISSING:
        return [
            Finding(
                rule="workload-missing",
                message=f"{label} does not exist live in {diff.project}/{diff.region}",
                path=path,
                line=where.line(environment, kind, name, None),
                environment=environment,
                kind=kind,
                name=name,
            )
        ]
    if diff.status is ServiceStatus.ERROR:
        return [
            Finding(
                rule="live-unreadable",
                message=f"{label} could not be compared: {diff.error or 'unknown error'}",
                path=path,
                line=where.line(environment, kind, name, None),
                environment=environment,
                kind=kind,
                name=name,
            )
        ]
    found = [
        Finding(
            rule=str(change.kind),
            message=f"{label}: {_change_text(change)}",
            path=path,
            line=(change.desired.line if change.desired else None)
            or where.line(environment, kind, name, change.name),
            environment=environment,
            kind=kind,
            name=name,
            variable=change.name,
            suppressed=_suppressed(change),
        )
        for change in diff.changes
    ]
    for revision in diff.revisions:
        share = f"{revision.percent}% of the traffic"
        tags = [t.tag for t in revision.tags]
        if tags:
            share += f", tag {', '.join(tags)}"
        found += [
            Finding(
                rule="revision-drift",
                message=f"{label}, revision {revision.revision} ({share}): {_change_text(change)}",
                path=path,
                line=where.line(environment, kind, name, change.name),
                environment=environment,
                kind=kind,
                name=name,
                variable=change.name,
                revision=revision.revision,
                detail=str(change.kind),
                suppressed=_suppressed(change),
            )
            for change in revision.changes
        ]
    return found


def _read_error(environment: str, error: ReadError, where: Locator) -> Finding:
    kind = "service" if error.service else None
    place = "/".join(p for p in (error.project, error.region) if p)
    return Finding(
        rule="live-unreadable",
        message=f"{environment}: {error.message}",
        path=where.path(environment),
        line=where.line(environment, kind, error.service, None),
        environment=environment,
        kind=kind,
        name=error.service,
        detail=place,
    )


def _suppressed(change: EnvChange) -> str | None:
    """The justification of an acknowledgement that holds today (an expired one is drift)."""
    if change.acknowledged is None or change.acknowledged.expired:
        return None
    return change.acknowledged.reason


def _change_text(change: EnvChange) -> str:
    text = _difference_text(change)
    return f"{text} ({expiry_text(change.acknowledged)})" if change.acknowledged else text


def _difference_text(change: EnvChange) -> str:
    desired, live = _value_text(change.desired), _value_text(change.live)
    if change.live is None:
        return f"{change.name} is in the manifest ({desired}) but not set live"
    if change.desired is None:
        return f"{change.name} is set live ({live}) but not in the manifest"
    return f"{change.name}: the manifest wants {desired}, live has {live}"


def _value_text(var: EnvVar | None) -> str:
    if var is None:
        return "nothing"
    if var.secret is not None:
        return f"secret {var.secret}"
    return json.dumps(shown_value(var), ensure_ascii=False)


def _without_lines(message: str) -> str:
    """A message without the line numbers it quotes, so that editing lines above a
    finding does not make it a new one."""
    return re.sub(r"(:|line )\d+", r"\1", message)

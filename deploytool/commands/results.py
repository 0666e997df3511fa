"""What commands return; renderers turn these into text, JSON, JUnit or Markdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from deploytool.commands.audit_run import AuditRun
from deploytool.core.model import Manifest
from deploytool.core.policy import Violation
from deploytool.core.report import EnvironmentReport
from deploytool.core.verdict import Verdict

if TYPE_CHECKING:
    from deploytool.commands.discover import DiscoveryResult


@dataclass(frozen=True)
class GateResult:
    """`diff` (one environment) or `audit` (several)."""

    command: str
    reports: tuple[EnvironmentReport, ...]
    verdict: Verdict
    shard: tuple[int, int] | None = None  # (index, count) of a sharded audit
    run: AuditRun | None = None  # an audit's run (None: a diff, or merged older reports)
    warnings: tuple[str, ...] = ()  # about the whole run (the policy), not one environment
    # The manifests judged (none for merged reports): SARIF points at their lines.
    manifests: tuple[Manifest, ...] = field(default=(), compare=False)
    source: str = "cloud_run"  # where live state came from: "cloud_run" or "file" (--live-from)
    discovery: DiscoveryResult | None = None  # `audit --discover`: unowned workloads and searches


@dataclass(frozen=True)
class ValidatedEnvironment:
    environment: str
    path: str
    services: int
    violations: tuple[Violation, ...]
    verdict: Verdict


@dataclass(frozen=True)
class ValidateResult:
    environments: tuple[ValidatedEnvironment, ...]
    verdict: Verdict
    warnings: tuple[str, ...] = ()
    manifests: tuple[Manifest, ...] = field(default=(), compare=False)

"""`deploytool audit --merge A.json --merge B.json ...`: one audit from the JSON reports of its
shards (`audit --shard I/N --report FILE`, or `-o json` captured), without reading Cloud Run.

Every report must come from one run (one `run_id`, see audit_run.py). Environments are merged
by name; services, violations, unmanaged services, errors and warnings are concatenated and
de-duplicated (every shard reports the findings that belong to no service only once, but a
location it could not read in every shard); each environment's verdict is decided again from
the merged findings, and the overall verdict is the most severe of them.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from deploytool.commands.audit_run import one_run
from deploytool.commands.discover import DiscoveryResult
from deploytool.commands.results import GateResult
from deploytool.core.diff import ServiceDiff
from deploytool.core.gate import verdict_of
from deploytool.core.policy import Violation
from deploytool.core.report import EnvironmentReport, ReadError, UnmanagedService
from deploytool.core.verdict import combine
from deploytool.errors import (
    DeployToolError,
    ExitCode,
    LiveStateError,
    PolicyViolationError,
    UsageError,
)
from deploytool.render.json_load import DocumentError, load_gate

H = TypeVar("H", bound=Hashable)

HINT = "pass the JSON reports written by `deploytool audit --shard I/N --report FILE`"


def merge_inputs(merge: Sequence[Path], positional: Sequence[str], shard: str | None) -> list[Path]:
    """`--merge a.json b.json` (a shell glob) leaves b.json as a positional argument: take
    existing files there as more reports rather than silently merging only the first."""
    if shard is not None:
        raise UsageError("--shard and --merge do not go together", "merge after sharding")
    extra = [Path(arg) for arg in positional]
    strays = [str(p) for p in extra if not p.is_file()]
    if strays:
        raise UsageError(
            f"with --merge, name shard report files, not environments: {', '.join(strays)}",
            "deploytool audit --merge shard-0.json --merge shard-1.json (or --merge shard-*.json)",
        )
    return [*merge, *extra]


def merge_reports(paths: Sequence[Path], *, run_id: str | None = None) -> GateResult:
    """One audit from its shards' reports; `run_id`, when given, is the run they must be of."""
    if not paths:
        raise UsageError("no shard reports to merge", HINT)
    loaded = [(path, read_shard(path)) for path in _unique(paths)]
    # First: shards of two runs would otherwise fail later, as a duplicate shard or a
    # disagreeing service, or worse merge into a verdict neither run reached.
    run = one_run([(path, shard.run) for path, shard in loaded], run_id)
    merged: dict[str, _Environment] = {}
    shards: dict[tuple[int, int], Path] = {}
    for path, shard in loaded:
        if shard.shard is not None:
            if shard.shard in shards:
                raise UsageError(
                    f"{path} and {shards[shard.shard]} are both shard "
                    f"{shard.shard[0]}/{shard.shard[1]}",
                    HINT,
                )
            shards[shard.shard] = path
        for report in shard.reports:
            merged.setdefault(report.environment, _Environment()).add(report, path)
    _require_every_shard(shards)
    reports = tuple(env.report(name) for name, env in merged.items())
    discovery = _merged_discovery(loaded)
    # The policy's warnings are the same in every shard of one run: say them once.
    warnings = tuple(dict.fromkeys(w for _path, shard in loaded for w in shard.warnings))
    verdicts = [r.verdict for r in reports] + ([discovery.report.verdict] if discovery else [])
    return GateResult(
        command="audit",
        reports=reports,
        verdict=combine(verdicts),
        run=run,
        warnings=warnings,
        discovery=discovery,
    )


def _merged_discovery(loaded: Sequence[tuple[Path, GateResult]]) -> DiscoveryResult | None:
    """`--discover` shards: their unowned findings merged as an environment's are. Shards
    that disagree on running discovery at all cannot be one run's: refused."""
    found = [(path, shard.discovery) for path, shard in loaded]
    with_it = [path for path, d in found if d is not None]
    if not with_it:
        return None
    if len(with_it) != len(found):
        without = [str(path) for path, d in found if d is None]
        raise UsageError(
            f"{', '.join(map(str, with_it))} ran with --discover, {', '.join(without)} did not",
            "merge the shards of one run: every shard gets the same --discover scopes",
        )
    unowned = _Environment()
    for path, d in found:
        assert d is not None
        unowned.add(d.report, path)
    first = next(d for _path, d in found if d is not None)
    return DiscoveryResult(
        scopes=first.scopes,
        locations=tuple(sorted({loc for _p, d in found if d for loc in d.locations})),
        kinds=tuple(sorted({k for _p, d in found if d for k in d.kinds})),
        report=unowned.report(first.report.environment),
    )


def _require_every_shard(shards: dict[tuple[int, int], Path]) -> None:
    """Fail closed: a merge missing a shard never reads as in sync."""
    if not shards:
        return
    counts = {count for _index, count in shards}
    if len(counts) != 1:
        raise UsageError(
            f"the reports come from runs with different shard counts "
            f"({', '.join(map(str, sorted(counts)))})",
            HINT,
        )
    (count,) = counts
    missing = sorted(set(range(count)) - {index for index, _ in shards})
    if missing:
        raise LiveStateError(
            f"shard report(s) {', '.join(f'{i}/{count}' for i in missing)} missing: that part "
            "of the audit was never read",
            "re-run the missing shard(s), or merge every shard's --report",
        )


def read_shard(path: Path) -> GateResult:
    """One shard's report, validated: exit 2 naming the file when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"shard report {path} does not exist", HINT) from None
    except IsADirectoryError:
        raise UsageError(f"shard report {path} is a directory, not a file", HINT) from None
    except PermissionError:
        raise UsageError(f"cannot read shard report {path}: permission denied") from None
    except UnicodeDecodeError:
        raise UsageError(f"shard report {path} is not UTF-8 text", HINT) from None
    except OSError as error:
        raise UsageError(f"cannot read shard report {path}: {error.strerror}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(
            f"{path}:{error.lineno}: not a JSON document ({error.msg})", HINT
        ) from None
    _reject_foreign(document, path)
    _reject_failed_shard(document, path)
    try:
        return load_gate(document)
    except DocumentError as error:
        raise UsageError(f"{path}: not a valid audit report: {error}", HINT) from None


def _reject_foreign(document: Any, path: Path) -> None:
    if not isinstance(document, dict):
        raise UsageError(f"{path}: not an audit report (the JSON is not an object)", HINT)
    version = document.get("schema_version")
    if type(version) is not int or version != 1:
        raise UsageError(
            f"{path}: schema_version {version!r} is not supported (expected 1)",
            "merge reports written by this version of deploytool",
        )
    command = document.get("command")
    if command != "audit":
        raise UsageError(f"{path}: a {command!r} report, not an audit report", HINT)


def _reject_failed_shard(document: dict[str, Any], path: Path) -> None:
    """A shard that failed as a whole (bad manifest, no credentials) wrote a failure document:
    its part of the audit is unknown, so the merge fails closed with the shard's exit code."""
    errors = document.get("errors")
    if not errors or not isinstance(errors, list):
        return
    messages = "; ".join(
        str(e.get("message")) for e in errors if isinstance(e, dict) and e.get("message")
    )
    code = document.get("exit_code")
    error: DeployToolError
    message = f"{path}: that shard failed ({messages or 'no details'})"
    hint = "re-run that shard, then merge again"
    if code == ExitCode.USAGE:
        error = UsageError(message, hint)
    elif code == ExitCode.POLICY:
        error = PolicyViolationError(message, hint)
    else:
        error = LiveStateError(message, hint)
    raise error


@dataclass
class _Environment:
    # (kind, name, project, region) -> the entry and the report it came from
    services: dict[tuple[str, str, str, str], tuple[ServiceDiff, Path]] = field(
        default_factory=dict
    )
    violations: list[Violation] = field(default_factory=list)
    errors: list[ReadError] = field(default_factory=list)
    unmanaged: list[UnmanagedService] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, report: EnvironmentReport, path: Path) -> None:
        for diff in report.services:
            key = (diff.kind, diff.service, diff.project, diff.region)
            seen = self.services.get(key)
            if seen is None:
                self.services[key] = (diff, path)
            elif seen[0] != diff:
                raise UsageError(
                    f"{path}: service {diff.service} ({diff.project}/{diff.region}) of "
                    f"environment {report.environment} differs from its report in {seen[1]}",
                    "merge the shards of one audit run; each shard reports its own services",
                )
        self.violations += report.violations
        self.errors += report.errors
        self.unmanaged += report.unmanaged
        self.warnings += report.warnings

    def report(self, environment: str) -> EnvironmentReport:
        services = sorted(
            (diff for diff, _ in self.services.values()),
            key=lambda d: (d.service, d.project, d.region),
        )
        violations = _unique(self.violations)
        errors = _location_errors_once(_unique(self.errors))
        return EnvironmentReport(
            environment=environment,
            verdict=verdict_of(services, violations, errors),
            services=tuple(services),
            violations=tuple(violations),
            errors=tuple(errors),
            unmanaged=tuple(
                sorted(_unique(self.unmanaged), key=lambda u: (u.project, u.region, u.service))
            ),
            warnings=tuple(_unique(self.warnings)),
        )


def _location_errors_once(errors: list[ReadError]) -> list[ReadError]:
    """As an unsharded audit reports it: a location that could not be listed is named once per
    managed service there, and on its own only when no service there reported it. A shard that
    owned none of those services reported it on its own; drop that when another shard did."""
    with_service = {(e.project, e.region) for e in errors if e.service is not None}
    return [e for e in errors if e.service is not None or (e.project, e.region) not in with_service]


def _unique(items: Iterable[H]) -> list[H]:
    seen: set[H] = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out

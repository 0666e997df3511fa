"""After the gate read-back, `apply` asks the app: each service it wrote that the manifest's
`verify:` block covers is probed as `deploytool verify` probes it (same URLs, same ID tokens,
same checks), and polled until its app agrees or `--verify-timeout` runs out, because new
instances take a moment to serve the new revision. A service whose app never agrees is
`unverified`: exit 3, 4 when the app reports the bypass in a protected environment, 5 when it
could not be asked for the whole window. Only written services whose read-back passed are
probed: one the gate already failed (not serving, drifted, leakage) cannot agree by waiting."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from deploytool.commands.apply_service import Outcome, ServiceOutcome
from deploytool.commands.verify import ProbeSettings, VerifyTarget, locate_targets, verify_services
from deploytool.core.model import SERVICE, Manifest
from deploytool.core.verdict import Verdict
from deploytool.core.verify import ServiceVerification, VerifyStatus, unverifiable, verify_verdict
from deploytool.errors import CredentialsError

if TYPE_CHECKING:
    from deploytool.cloudrun.gateway import CloudRunGateway
    from deploytool.commands.audit_log import AuditLog

DEFAULT_VERIFY_TIMEOUT = 120.0
# Pause between rounds of probes, doubling up to the maximum (tests shorten it).
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 5.0
_NO_ACCESS = frozenset({401, 403})  # waiting does not grant access: stop asking at once


@dataclass(frozen=True)
class AppVerdict:
    """What one service's app said: the deciding probe's result, and how many probes it took."""

    result: ServiceVerification
    probes: int

    @property
    def agrees(self) -> bool:
        return self.result.status is VerifyStatus.OK


@dataclass(frozen=True)
class AppVerification:
    outcomes: tuple[ServiceOutcome, ...]
    verdict: Verdict | None  # None: no app was asked


@dataclass(frozen=True)
class AppWait:
    timeout: float = DEFAULT_VERIFY_TIMEOUT
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep


def verify_apps(
    gateway: CloudRunGateway,
    manifest: Manifest,
    protected: bool,
    outcomes: Sequence[ServiceOutcome],
    *,
    audit: AuditLog,
    wait: AppWait,
    notify: Callable[[str], None] = lambda _message: None,
) -> AppVerification:
    spec = manifest.verify
    names = sorted(
        o.service
        for o in outcomes
        if o.outcome is Outcome.APPLIED
        and spec is not None
        and o.kind == SERVICE  # services only: a job or a worker pool has no URL
        and spec.covers(o.service)
    )
    if not names:
        return AppVerification(tuple(outcomes), None)
    notify(
        f"asking the app of {len(names)} written service(s) (up to {wait.timeout:g}s): "
        + ", ".join(names)
    )
    verdicts = _ask(gateway, manifest, protected, names, wait)
    for o in outcomes:
        if o.service in verdicts:
            _record(audit, manifest.environment, gateway, o, verdicts[o.service])
    checked = tuple(
        _with_app(o, verdicts[o.service]) if o.service in verdicts else o for o in outcomes
    )
    return AppVerification(checked, verify_verdict(v.result for v in verdicts.values()))


def _ask(
    gateway: CloudRunGateway,
    manifest: Manifest,
    protected: bool,
    names: Sequence[str],
    wait: AppWait,
) -> dict[str, AppVerdict]:
    from deploytool.probe.auth import IdTokens

    located, unlocated = locate_targets(manifest, names, gateway, None)
    found = {r.service: AppVerdict(r, 0) for r in unlocated}
    tokens = IdTokens(
        anonymous=bool(gateway.settings.emulator_host), impersonate=gateway.settings.impersonate
    )
    try:
        seen = poll(manifest, protected, located, tokens, wait)
    except CredentialsError as exc:
        return found | {
            t.service: AppVerdict(unverifiable(t.service, t.url, exc.message, exc.hint), 0)
            for t in located
        }
    return found | {service: decide(results) for service, results in seen.items()}


def poll(
    manifest: Manifest,
    protected: bool,
    targets: Sequence[VerifyTarget],
    tokens: Any,
    wait: AppWait,
) -> dict[str, list[ServiceVerification]]:
    """Every probe of each target, in order: rounds of parallel probes, each bounded by the
    time left, until every app agrees (or refuses us), or the window closes. At least one
    round always runs."""
    deadline = wait.clock() + wait.timeout
    pending = {t.service: t for t in targets}
    seen: dict[str, list[ServiceVerification]] = {t.service: [] for t in targets}
    pause = BACKOFF_FIRST
    while pending:
        left = max(deadline - wait.clock(), 0.1)
        settings = ProbeSettings(tokens=tokens, timeout=left)
        for result in verify_services(manifest, protected, list(pending.values()), settings):
            seen[result.service].append(result)
            if result.status is VerifyStatus.OK or _no_access(result):
                del pending[result.service]
        left = deadline - wait.clock()
        if not pending or left <= 0:
            break
        wait.sleep(min(pause, left))
        pause = min(pause * 2, BACKOFF_MAX)
    return seen


def decide(results: Sequence[ServiceVerification]) -> AppVerdict:
    """The app agrees if any probe agreed (the last one: polling stops there). Otherwise the
    most telling answer, by the gate's precedence except that an app seen answering outranks
    one not reached: the last leakage, else the last disagreement, else the last error
    (unreachable for the whole window)."""
    for status in (VerifyStatus.OK, VerifyStatus.LEAKAGE, VerifyStatus.DISAGREES):
        hits = [r for r in results if r.status is status]
        if hits:
            return AppVerdict(hits[-1], len(results))
    return AppVerdict(results[-1], len(results))


def _no_access(result: ServiceVerification) -> bool:
    return result.http_status in _NO_ACCESS or any(
        c.http_status in _NO_ACCESS for c in result.checks
    )


_SAYS = {
    VerifyStatus.DISAGREES: "its app does not agree",
    VerifyStatus.LEAKAGE: "its app reports the E2E bypass enabled in a protected environment",
    VerifyStatus.ERROR: "its app could not be asked",
}


def summary(verdict: AppVerdict) -> str:
    result = verdict.result
    if verdict.agrees:
        return f"the app agrees ({verdict.probes} probe(s))"
    failed = [c for c in result.checks if not c.ok]
    why = result.message or "; ".join(
        f"{c.check}: expected {c.expected}, seen {c.seen}" for c in failed
    )
    return (
        f"in sync in Cloud Run, but {_SAYS[result.status]} after {verdict.probes} probe(s)"
        + (f": {why}" if why else "")
        + ". Run `deploytool verify` once it should"
    )


def _with_app(outcome: ServiceOutcome, verdict: AppVerdict) -> ServiceOutcome:
    if verdict.agrees:
        return replace(outcome, app=verdict)
    message = f"{outcome.message}; {summary(verdict)}" if outcome.message else summary(verdict)
    return replace(outcome, outcome=Outcome.UNVERIFIED, app=verdict, message=message)


def app_record(verdict: AppVerdict) -> dict[str, Any]:
    """The app's verdict for the audit trail: the checks' names, what was expected and seen
    (already masked as `verify` masks them), never the app's whole answer."""
    result = verdict.result
    return {
        "status": result.status.value,
        "url": result.url,
        "probes": verdict.probes,
        "http_status": result.http_status,
        "checks": [
            {
                "check": c.check,
                "expected": c.expected,
                "seen": c.seen,
                "ok": c.ok,
                **({"close_code": c.close_code} if c.close_code is not None else {}),
                **({"close_reason": c.close_reason} if c.close_reason else {}),
            }
            for c in result.checks
        ],
    }


def _record(
    audit: AuditLog,
    environment: str,
    gateway: CloudRunGateway,
    outcome: ServiceOutcome,
    verdict: AppVerdict,
) -> None:
    audit.append_app(
        environment=environment,
        service=outcome.service,
        project=outcome.project,
        region=outcome.region,
        who=gateway.identity,
        revision=outcome.revision,
        agrees=verdict.agrees,
        message=None if verdict.agrees else summary(verdict),
        app=app_record(verdict),
    )

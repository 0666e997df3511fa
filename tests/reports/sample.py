"""Hand-built audit results for the report writers: every kind of finding, and secret canaries
planted where a careless writer would leak them."""

from __future__ import annotations

from dataclasses import replace

from deploytool import redaction
from deploytool.commands.results import GateResult
from deploytool.core.diff import (
    ChangeKind,
    EnvChange,
    Origin,
    RevisionDrift,
    ServiceDiff,
    ServiceStatus,
)
from deploytool.core.policy import RULE_LEAKAGE, RULE_PROJECT_PIN, Violation
from deploytool.core.report import EnvironmentReport, ReadError, UnmanagedService
from deploytool.core.verdict import combine, decide
from tests.core.builders import plain, secret

# Plaintext values under secret-like names, as read live; `plant()` makes redaction know them.
CANARY = "canary-Plaintext-9f3b1c"
# One that JSON, XML, Markdown and workflow-command escaping would each spell differently.
NASTY = 'zq"7%,:<&>`|*_\\x'
CANARIES = (CANARY, NASTY)

STAGING = "staging"
PRODUCTION = "production"
P_STG, P_PROD, REGION = "p-staging", "p-prod", "us-central1"


def plant() -> None:
    redaction.remember([plain("API_KEY", CANARY), plain("DB_PASSWORD", NASTY)])


def change(name, kind, desired=None, live=None, origin=None) -> EnvChange:
    return EnvChange(name, ChangeKind(kind), desired, live, origin)


def report(environment, *, services=(), violations=(), errors=(), unmanaged=(), warnings=()):
    drifted = sum(1 for s in services if s.status in (ServiceStatus.DRIFT, ServiceStatus.MISSING))
    verdict = decide(violations=len(violations), errors=len(errors), drifted=drifted)
    return EnvironmentReport(
        environment=environment,
        verdict=verdict,
        services=tuple(sorted(services, key=lambda d: (d.service, d.project, d.region))),
        violations=tuple(violations),
        errors=tuple(errors),
        unmanaged=tuple(sorted(unmanaged, key=lambda u: (u.project, u.region, u.service))),
        warnings=tuple(warnings),
    )


def audit(*reports: EnvironmentReport) -> GateResult:
    return GateResult("audit", tuple(reports), combine(r.verdict for r in reports))


API = ServiceDiff(
    "api",
    P_STG,
    REGION,
    ServiceStatus.DRIFT,
    changes=(
        change("API_KEY", "changed", plain("API_KEY", "expected-key"), plain("API_KEY", CANARY)),
        change(
            "DB_PASSWORD",
            "changed",
            secret("DB_PASSWORD", "db-password:3"),
            plain("DB_PASSWORD", NASTY),
        ),
        change("DEBUG", "unexpected", live=plain("DEBUG", "1"), origin=Origin.DRIFT),
        change("LOG_LEVEL", "changed", plain("LOG_LEVEL", "info"), plain("LOG_LEVEL", "a|b`c")),
    ),
    container="app",
    revisions=(
        RevisionDrift(
            "api-00007-old",
            20,
            (
                change(
                    "LOG_LEVEL", "changed", plain("LOG_LEVEL", "info"), plain("LOG_LEVEL", "warn")
                ),
            ),
        ),
    ),
)
AUTH = ServiceDiff(
    "auth",
    P_STG,
    REGION,
    ServiceStatus.IN_SYNC,
    container="app",
    not_ready="latest revision auth-00002 is not ready: Container failed to start",
)
WORKER = ServiceDiff(
    "worker",
    P_STG,
    REGION,
    ServiceStatus.MISSING,
    changes=(change("ENVIRONMENT", "missing", desired=plain("ENVIRONMENT", "staging")),),
)
SCRATCH = UnmanagedService("scratch", P_STG, REGION)

BACKEND = ServiceDiff("backend", P_PROD, REGION, ServiceStatus.IN_SYNC, container="app")
EU_ERROR = f"permission denied listing services (caller saw {CANARY})"
EU_BACKEND = ServiceDiff("eu-backend", P_PROD, "europe-west1", ServiceStatus.ERROR, error=EU_ERROR)
LEAK_LIVE = Violation(
    rule=RULE_LEAKAGE,
    environment=PRODUCTION,
    message="E2E_OAUTH_SIMULATION_KEY is set live on legacy-admin in protected environment "
    "'production'; remove it from the service now",
    service="legacy-admin",
    variable="E2E_OAUTH_SIMULATION_KEY",
    source="live",
)
LEAK_MANIFEST = Violation(
    rule=RULE_LEAKAGE,
    environment=PRODUCTION,
    message="configs/production.yaml:7: E2E_TESTING is an E2E/test variable in protected "
    "environment 'production'; remove it",
    service="backend",
    variable="E2E_TESTING",
    source="manifest",
)
PIN = Violation(
    rule=RULE_PROJECT_PIN,
    environment=PRODUCTION,
    message="configs/production.yaml:1: project 'p-staging' is not pinned to environment "
    "'production' (allowed: p-prod); fix the project or the pin in policy.yaml",
)
LEGACY = UnmanagedService("legacy-admin", P_PROD, REGION)


def staging() -> EnvironmentReport:
    return report(STAGING, services=(API, AUTH, WORKER), unmanaged=(SCRATCH,))


def production() -> EnvironmentReport:
    return report(
        PRODUCTION,
        services=(BACKEND, EU_BACKEND),
        violations=(LEAK_MANIFEST, LEAK_LIVE, PIN),
        errors=(
            ReadError(EU_ERROR, "eu-backend", P_PROD, "europe-west1"),
            ReadError(f"503 unavailable (echoed {NASTY})", None, P_PROD, "asia-east1"),
        ),
        unmanaged=(LEGACY,),
        warnings=("configs/production.yaml:3: 'E2E_TESTlNG' looks like E2E_TESTING",),
    )


def full() -> GateResult:
    return audit(production(), staging())


def green() -> GateResult:
    return audit(report(STAGING, services=(replace(AUTH, not_ready=None),)))


def spellings(canary: str) -> set[str]:
    """The canary as each output format could spell it: raw, JSON-, XML-, Markdown- and
    workflow-command-escaped. None of them may appear in anything written."""
    import html
    import json

    markdown = "".join("\\" + c if c in "\\`*_[]<>|~#!" else c for c in canary)
    return {
        canary,
        json.dumps(canary)[1:-1],
        html.escape(canary, quote=False),
        html.escape(canary, quote=True),
        markdown,
        markdown.replace("&", "&amp;"),
        canary.replace("%", "%25"),
        canary.replace("%", "%25").replace(":", "%3A").replace(",", "%2C"),
    }


def assert_no_canary(text: str, where: str = "output") -> None:
    for canary in CANARIES:
        for spelling in spellings(canary):
            assert spelling not in text, f"a secret ({spelling!r}) leaked into the {where}"

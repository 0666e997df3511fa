"""`plaintext-secret` findings (pure): secret-looking plain values and declared secrets that
are plain live; warnings by default, violations in a protected environment with `error`; and
masking never changes what the diff and the verdict say."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ChangeKind, ServiceStatus, diff_service
from deploytool.core.gate import evaluate
from deploytool.core.plaintext import (
    RULE_PLAINTEXT_SECRET,
    live_plaintext,
    manifest_plaintext,
    suggested_secret_name,
)
from deploytool.core.policy import Policy
from deploytool.core.redact import PlaintextSecrets, RedactionSettings
from deploytool.core.report import LiveSnapshot, LocationRead
from deploytool.core.verdict import Status
from tests.core.builders import PROJECT, REGION, live, manifest, plain, secret, spec

PG = "postgres://admin:Zq81kPwX3@db.internal/app"
ERROR = Policy(redaction=RedactionSettings(plaintext_secrets=PlaintextSecrets.ERROR))


def _prod(*specs):
    return manifest(tuple(specs), environment="production", path="configs/production.yaml")


@pytest.mark.parametrize(
    ("live_env", "spec_env", "variables"),
    [
        ((plain("DATABASE_URL", PG),), (), ["DATABASE_URL"]),  # credential-shaped
        ((plain("DATABASE_URL", "postgres://db/app"),), (), []),  # ordinary URL
        (  # declared under secrets:, plain live: whatever it looks like
            (plain("DATABASE_URL", "postgres://db/app"),),
            (secret("DATABASE_URL", "db-url:3"),),
            ["DATABASE_URL"],
        ),
        ((secret("DATABASE_URL", "db-url:3"),), (secret("DATABASE_URL", "db-url:3"),), []),
        ((plain("DB_PASS", "hunter2 hunter2"),), (), []),  # masked by name, not by shape
        ((plain("APP_CFG", ""),), (), []),
    ],
)
def test_live_findings(live_env, spec_env, variables) -> None:
    m = manifest((spec("api", spec_env),))
    violations, warnings = live_plaintext("staging", live("api", live_env), m, Policy())
    assert violations == []
    assert [w.split(": ")[1].split()[0] for w in warnings] == variables
    for warning in warnings:
        assert warning.startswith(f"[{RULE_PLAINTEXT_SECRET}] {PROJECT}/{REGION}/api: ")
        assert "move it to Secret Manager: gcloud run services update api --update-secrets" in (
            warning
        )
        assert PG not in warning and "db.internal" not in warning


def test_the_advice_names_the_declared_reference_or_a_new_one() -> None:
    m = manifest((spec("api", (secret("DATABASE_URL", "db-url:3"),)),))
    _, warnings = live_plaintext(
        "staging",
        live("api", (plain("DATABASE_URL", "x"), plain("APP_CFG", PG))),
        m,
        Policy(),
    )
    assert "--update-secrets DATABASE_URL=db-url:3 --region us-central1" in warnings[0]
    assert "--update-secrets APP_CFG=app-cfg:latest" in warnings[1]
    assert suggested_secret_name("__") == "secret"


@pytest.mark.parametrize(
    ("environment", "policy", "violation"),
    [
        ("production", ERROR, True),
        ("production", Policy(), False),  # warn is the default
        ("staging", ERROR, False),  # not protected: a warning
    ],
)
def test_violation_only_in_a_protected_environment_with_error(
    environment: str, policy: Policy, violation: bool
) -> None:
    m = manifest((spec("api"),), environment=environment)
    violations, warnings = live_plaintext(
        environment, live("api", (plain("APP_CFG", PG),)), m, policy
    )
    assert bool(violations) is violation and bool(warnings) is not violation
    if violation:
        (v,) = violations
        assert (v.rule, v.service, v.variable, v.source) == (
            RULE_PLAINTEXT_SECRET,
            "api",
            "APP_CFG",
            "live",
        )


def test_manifest_values_are_violations_only_when_configured() -> None:
    m = _prod(spec("api", (plain("APP_CFG", PG, line=7), plain("LOG_LEVEL", "debug"))))
    assert manifest_plaintext(m, Policy()) == []
    (v,) = manifest_plaintext(m, ERROR)
    assert v.message.startswith("configs/production.yaml:7: APP_CFG of api")
    assert v.source == "manifest" and PG not in v.message


def test_gate_reports_plaintext_as_a_violation_with_error() -> None:
    m = _prod(spec("api", (plain("APP_CFG", "v"),)))
    snapshot = LiveSnapshot(
        (LocationRead(PROJECT, REGION, (live("api", (plain("APP_CFG", PG),)),)),)
    )
    warned = evaluate(m, Policy(), snapshot)
    assert warned.verdict.status is Status.DRIFT
    assert any(RULE_PLAINTEXT_SECRET in w for w in warned.warnings)
    refused = evaluate(m, ERROR, snapshot)
    assert refused.verdict.status is Status.LEAKAGE
    assert [v.rule for v in refused.violations] == [RULE_PLAINTEXT_SECRET]


@pytest.mark.parametrize(
    ("desired", "actual", "kind"),
    [
        (PG, PG.replace("Zq81", "Yq81"), ChangeKind.CHANGED),  # both masked, still changed
        (PG, PG, None),  # both masked, equal: in sync
        ("hunter2 hunter2", PG, ChangeKind.CHANGED),  # one side masked
    ],
)
def test_masked_values_are_compared_by_their_real_value(desired, actual, kind) -> None:
    diff = diff_service(
        spec("api", (plain("APP_CFG", desired),)), live("api", (plain("APP_CFG", actual),))
    )
    assert [c.kind for c in diff.changes] == ([kind] if kind else [])
    assert diff.status is (ServiceStatus.DRIFT if kind else ServiceStatus.IN_SYNC)

"""The redaction decision: by name (the contract's words, whole-word PASS/SK/PAT, the policy's
`redact.names`), by declaration under `secrets:`, by value."""

from __future__ import annotations

import pytest

from deploytool.core.redact import MaskReason, RedactionSettings, mask_reason
from deploytool.core.secret_names import is_secret_name, name_words


@pytest.mark.parametrize(
    "name",
    [
        "API_KEY",
        "JWT_SECRET",
        "GITHUB_TOKEN",
        "DB_PASSWORD",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "PRIVATE_PEM",
        "DB_PASSWD",
        "DB_PWD",
        "AUTH_HEADER",
        "OAUTH_CLIENT",
        "SENTRY_DSN",
        "TLS_CERT",
        "SESSION_COOKIE_NAME",
        "WEBHOOK_SIGNATURE",
        "PASSWORD_SALT",
        "DB_PASS",
        "PASS",
        "STRIPE_SK",
        "SK_LIVE",
        "GITHUB_PAT",
        "pat",
        "dbPass",  # camelCase words
        "stripeSk",
        "smtp-pass",
        "smtp.pass",
    ],
)
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "ENVIRONMENT",
        "LOG_LEVEL",
        "DATABASE_URL",
        "PASSPORT_OFFICE",  # PASS only as a whole word
        "BYPASS_CACHE",
        "PASSTHROUGH",
        "TASK_QUEUE",  # SK only as a whole word
        "DISK_SIZE",
        "SKU",
        "PATH",  # PAT only as a whole word
        "PATTERN",
        "SPAT_MODE",
        "APP_CFG",
        "E2E_TESTING",
        "REGION",
    ],
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(
    ("name", "extra", "secret"),
    [
        ("ACME_WIDGET", ("WIDGET",), True),
        ("acme_widget", ("WIDGET",), True),  # any case
        ("ACME_WIDGETS", ("widget",), True),  # anywhere in the name
        ("ACME_GADGET", ("WIDGET",), False),
        ("ACME", ("",), False),  # an empty word matches nothing
    ],
)
def test_policy_words(name: str, extra: tuple[str, ...], secret: bool) -> None:
    assert is_secret_name(name, extra) is secret


def test_name_words() -> None:
    assert name_words("dbPass_v2-x.y") == ["DB", "PASS", "V2", "X", "Y"]


@pytest.mark.parametrize(
    ("name", "value", "settings", "declared", "reason"),
    [
        ("DB_PASS", "visible", None, (), MaskReason.NAME),
        ("ACME_WIDGET", "visible", RedactionSettings(names=("WIDGET",)), (), MaskReason.NAME),
        ("DATABASE_URL", "postgres://db/app", None, ("DATABASE_URL",), MaskReason.DECLARED),
        ("DATABASE_URL", "postgres://u:p@db/app", None, (), MaskReason.VALUE),
        ("DATABASE_URL", "postgres://db/app", None, ("OTHER",), None),
        ("LOG_LEVEL", "debug", None, (), None),
        ("LOG_LEVEL", None, None, (), None),
        ("DB_PASS", None, None, (), MaskReason.NAME),  # even empty: the name decides
    ],
)
def test_mask_reason(
    name: str,
    value: str | None,
    settings: RedactionSettings | None,
    declared: tuple[str, ...],
    reason: MaskReason | None,
) -> None:
    assert mask_reason(name, value, settings=settings, declared=declared) is reason

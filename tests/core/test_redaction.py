"""Secrets never leave: masking by name, and scrubbing of remembered values."""

from __future__ import annotations

import logging

import pytest

from deploytool import redaction
from deploytool.core.redact import RedactionSettings
from deploytool.redaction import MASK, ScrubbingFilter, forget_all, remember, scrub, shown_value
from tests.core.builders import plain, secret


@pytest.fixture(autouse=True)
def _clean_registry():
    forget_all()
    yield
    forget_all()


@pytest.mark.parametrize(
    "name",
    [
        "API_KEY",
        "api_key",
        "ApiKey",
        "KEYRING",
        "JWT_SECRET",
        "client_secret",
        "SecretSauce",
        "GITHUB_TOKEN",
        "refresh_token",
        "DB_PASSWORD",
        "password",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "credential",
        "PRIVATE_PEM",
        "private",
        "E2E_OAUTH_SIMULATION_KEY",
    ],
)
def test_shown_value_masks_secret_like_names(name: str) -> None:
    assert shown_value(plain(name, "hunter2-value")) == MASK
    assert shown_value(plain(name, "")) == MASK  # even empty: the name decides


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ENVIRONMENT", "staging"),
        ("LOG_LEVEL", "debug"),
        ("DATABASE_URL", "postgres://db"),
        ("PASSPORT_OFFICE", "visible"),  # PASS only as a whole word
        ("TOKN", "visible"),
        ("PRIV", "visible"),
        ("E2E_TESTING", "1"),
    ],
)
def test_shown_value_shows_ordinary_names(name: str, value: str) -> None:
    assert shown_value(plain(name, value)) == value


def test_shown_value_of_no_value_is_empty() -> None:
    assert shown_value(plain("ENVIRONMENT", None)) == ""


def test_mask_is_three_stars() -> None:
    assert MASK == "***"


@pytest.mark.parametrize(
    ("variables", "text", "expected"),
    [
        (
            [plain("API_KEY", "abcd1234")],
            "call failed: key=abcd1234 rejected",
            "call failed: key=*** rejected",
        ),
        (
            [plain("db_password", "s3cr3t!")],
            "s3cr3t! and again s3cr3t!",
            "*** and again ***",
        ),
        ([plain("API_KEY", "abcd")], "x abcd y", "x *** y"),  # exactly 4 chars: remembered
        ([plain("API_KEY", "abc")], "x abc y", "x abc y"),  # 3 chars: too short
        ([plain("API_KEY", "1")], "exit 1", "exit 1"),
        ([plain("API_KEY", "")], "nothing to hide", "nothing to hide"),
        ([plain("API_KEY", None)], "nothing to hide", "nothing to hide"),
        ([plain("LOG_LEVEL", "verbose")], "level verbose", "level verbose"),  # not secret
        ([secret("JWT_SECRET", "jwt-secret:3")], "ref jwt-secret:3", "ref jwt-secret:3"),
        (
            # longer first: the short value inside the long one does not leave a tail
            [plain("A_TOKEN", "abcd"), plain("B_TOKEN", "abcdefgh")],
            "v=abcdefgh",
            "v=***",
        ),
        (
            [plain("A_TOKEN", "tok-1111"), plain("HOST", "example.com")],
            "tok-1111@example.com",
            "***@example.com",
        ),
    ],
    ids=[
        "key",
        "password-twice",
        "four-chars",
        "three-chars",
        "one-char",
        "empty",
        "none",
        "non-secret-name",
        "secret-ref",
        "longest-first",
        "mixed",
    ],
)
def test_remember_then_scrub(variables, text, expected) -> None:
    remember(variables)
    assert scrub(text) == expected


def test_scrub_without_remembered_values_is_identity() -> None:
    assert scrub("abcd1234 stays") == "abcd1234 stays"


def test_forget_all_forgets() -> None:
    remember([plain("API_KEY", "abcd1234")])
    assert scrub("abcd1234") == MASK
    forget_all()
    assert scrub("abcd1234") == "abcd1234"


def test_remember_accumulates_across_calls() -> None:
    remember([plain("API_KEY", "first-value")])
    remember([plain("OTHER_TOKEN", "second-value")])
    assert scrub("first-value second-value") == f"{MASK} {MASK}"


def test_remember_accepts_a_generator() -> None:
    remember(v for v in [plain("API_KEY", "gen-value")])
    assert scrub("gen-value") == MASK


def test_scrubbing_filter_scrubs_formatted_log_records() -> None:
    remember([plain("API_KEY", "abcd1234")])
    record = logging.LogRecord(
        "deploytool", logging.INFO, __file__, 1, "got %s", ("abcd1234",), None
    )
    assert ScrubbingFilter().filter(record) is True
    assert record.getMessage() == f"got {MASK}"


def test_registry_is_module_state() -> None:
    # The fixture relies on forget_all() clearing the one process-wide registry.
    remember([plain("API_KEY", "abcd1234")])
    assert "abcd1234" in redaction._values
    forget_all()
    assert not redaction._values


# -- v2: the decision with this process's context --------------------------------------------


def test_policy_words_mask_once_configured() -> None:
    var = plain("ACME_WIDGET", "visible value")
    assert shown_value(var) == "visible value"
    redaction.configure(RedactionSettings(names=("WIDGET",)))
    assert shown_value(var) == MASK


def test_declared_names_mask_their_plain_values() -> None:
    var = plain("DATABASE_URL", "postgres://db.internal/app")
    assert shown_value(var) == "postgres://db.internal/app"
    redaction.declare(["DATABASE_URL"])
    assert shown_value(var) == MASK
    remember([var])
    assert scrub("dsn postgres://db.internal/app") == f"dsn {MASK}"


def test_credential_values_mask_under_any_name() -> None:
    var = plain("APP_CFG", "postgres://admin:Zq81kPw@db/app")
    assert shown_value(var) == MASK
    remember([var])
    assert scrub("connect postgres://admin:Zq81kPw@db/app failed") == f"connect {MASK} failed"


def test_the_other_side_of_a_change_is_masked_with_it() -> None:
    """An old password that does not look like one is still the old password."""
    old, new = plain("APP_CFG", "hunter2 hunter2"), plain("APP_CFG", "AKIAIOSFODNN7EXAMPLE")
    assert shown_value(old) == "hunter2 hunter2"
    assert shown_value(old, new) == MASK
    assert scrub("was hunter2 hunter2") == f"was {MASK}"  # and scrubbed from any echo
    assert shown_value(plain("APP_CFG", "x"), secret("APP_CFG", "s:1")) == "x"


def test_escaped_spellings_and_lines_are_scrubbed() -> None:
    pem = "-----BEGIN PRIVATE KEY-----\nQUJDRGVmZ2hpamtsbW5vcA\n-----END PRIVATE KEY-----"
    remember([plain("APP_CFG", pem)])
    assert scrub(repr(pem)) == f"'{MASK}'"  # a traceback quotes with repr
    assert "QUJDRGVmZ2hpamtsbW5vcA" not in scrub("line: QUJDRGVmZ2hpamtsbW5vcA")


def test_forget_all_resets_the_context() -> None:
    redaction.configure(RedactionSettings(names=("WIDGET",)))
    redaction.declare(["DATABASE_URL"])
    forget_all()
    assert shown_value(plain("ACME_WIDGET", "v")) == "v"
    assert shown_value(plain("DATABASE_URL", "v")) == "v"

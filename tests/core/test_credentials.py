"""The value detectors: every credential shape caught, ordinary values left alone, and the
high-entropy threshold's edges on both sides."""

from __future__ import annotations

import pytest

from deploytool.core.credentials import (
    HEX_MIN_CHARS,
    TOKEN_MIN_CHARS,
    TOKEN_MIN_ENTROPY,
    credential_kind,
    entropy,
    is_high_entropy,
)
from tests.security.credential_shapes import SHAPES

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize("make", SHAPES, ids=lambda make: make().shape)
def test_every_shape_of_the_corpus_is_caught(make) -> None:
    for _ in range(20):  # fresh random material each time
        canary = make()
        assert credential_kind(canary.value) is not None, canary


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("postgres://u:p@h", "URL with a password"),
        ("redis://:p@cache:6379", "URL with a password"),
        ("amqp://guest:guest@localhost:5672/", "URL with a password"),
        ("postgresql://app:p%40ss@db/app", "URL with a password"),
        ("DATABASES=default=postgres://u:secretpw@h/db", "URL with a password"),
        ("Bearer abc.def-123", "Authorization header value"),
        ("Authorization: Bearer 0123456789", "Authorization header value"),
        ("Basic dXNlcjpwYXNz", "Authorization header value"),  # user:pass
        ("-----BEGIN EC PRIVATE KEY-----\nMHc", "PEM private key"),
        ("-----BEGIN ENCRYPTED PRIVATE KEY-----", "PEM private key"),
        ("-----BEGIN PGP PRIVATE KEY BLOCK-----", "PEM private key"),
        ("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "JWT"),
        ("AKIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("ASIAIOSFODNN7EXAMPLE", "AWS access key id"),
        ("ghs_" + "a1" * 18, "GitHub token"),
        ("xoxp-1234-5678-abcdefghij", "Slack token"),
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "Stripe key"),
        ('{"type": "service_account", "project_id": "p"}', "service-account JSON"),
        ("https://api.example.com/v1?api_key=abcd1234", "password or token parameter"),
        ("user=app password=hunter22 host=db", "password or token parameter"),
        ('{"client_secret": "abcdef12"}', "password or token parameter"),
    ],
)
def test_known_shapes_name_their_kind(value: str, kind: str) -> None:
    assert credential_kind(value) == kind


@pytest.mark.parametrize(
    "value",
    [
        # URLs without a password
        "https://api.example.com/v1/items?page=2",
        "postgres://db.internal:5432/app",
        "postgres://app@db.internal/app",  # a user, no password
        "https://o123.ingest.sentry.io/456",
        "https://hooks.example.com/notify",
        "redis://cache:6379/0",
        "http://127.0.0.1:8080",
        # settings
        "debug",
        "INFO",
        "WARNING",
        "staging",
        "production",
        "1",
        "true",
        "8080",
        "",
        "max_tokens=4096",
        "password=",  # no value
        "password=${DB_PASSWORD}",  # a reference, not the value
        "Bearer authentication is required",
        "basic plan",
        "Basic auth",
        # places and ids
        "us-central1",
        "europe-west1",
        "asia-northeast1",
        DIGEST,
        f"us-docker.pkg.dev/p/repo/api@{DIGEST}",
        "gcr.io/netra-staging/backend:1.4.2",
        "0123456789abcdef0123456789abcdef01234567",  # a commit SHA (40 hex)
        "0123456789abcdef" * 4,  # a SHA-256 digest (64 hex)
        "a1b2c3d",  # a short SHA
        "abc123",
        "123e4567-e89b-12d3-a456-426614174000",  # a UUID
        "projects/netra-prod/secrets/jwt-secret",
        "netra-backend-staging-00042-xyz",
        "app@netra-prod.iam.gserviceaccount.com",
        "/var/run/app/app.sock",
        "MyServiceAccount2024Production",  # CamelCase words, however many letters
        "DefaultDeploymentConfig01",
        "service-account-2024-prod",
        "E2E_TESTING",
    ],
)
def test_ordinary_values_are_not_credentials(value: str) -> None:
    assert credential_kind(value) is None


# 17 distinct characters, 3 of them twice: 4.02 bits/char; 16 distinct, 4 twice: 3.92.
ABOVE = "aB3cD4eF5gH6iJ7kLaB3"
BELOW = "aB3cD4eF5gH6iJ7kaB3c"


def test_the_threshold_edges_are_where_the_docs_say() -> None:
    assert len(ABOVE) == len(BELOW) == TOKEN_MIN_CHARS
    assert entropy(ABOVE) >= TOKEN_MIN_ENTROPY > entropy(BELOW)
    assert TOKEN_MIN_ENTROPY == 4.0 and TOKEN_MIN_CHARS == 20 and HEX_MIN_CHARS == 32


@pytest.mark.parametrize(
    ("value", "caught"),
    [
        (ABOVE, True),
        (BELOW, False),  # entropy just under the threshold
        ("aB3cD4eF5gH6iJ7kLmN8", True),  # 20 distinct characters
        ("aB3cD4eF5gH6iJ7kLmN", False),  # 19: too short, however random
        ("aB3cD4eF5gH6iJ7kLmN8==", True),  # base64 padding is allowed
        ("aB3cD4eF5gH6iJ7k.mN8", False),  # a dot: not one base64 word
        ("aB3cD4eF5gH6iJ7k mN8", False),  # a space: prose
        ("abcdefghijklmnopqrst", False),  # letters only
        ("aB3cdefgH6iJ7kLmnopQ", True),  # 9 of 20 in runs of 4+: under half, still a token
        ("aB3cdefgH6iJklmnopQr", False),  # 12 of 20 in runs of 4+: words
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f0", True),  # hex, 32 characters
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f", False),  # hex, 31 characters
        ("00000000000000001111111111111111", False),  # hex, 32 characters, 1 bit/char
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4e", True),  # 41 hex: not a SHA length
        ("0f1e2d3c4b5a69788796a5b4c3d2e1f0a1b2c3d4", False),  # 40 hex: a commit SHA
    ],
)
def test_high_entropy_edges(value: str, caught: bool) -> None:
    assert is_high_entropy(value) is caught


def test_the_kind_never_contains_the_value() -> None:
    for make in SHAPES:
        canary = make()
        kind = credential_kind(canary.value) or ""
        assert not any(part in kind for part in canary.slices())

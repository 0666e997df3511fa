"""Warnings: advice that does not fail validation, and never shows a value."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytool.core.policy import Policy
from deploytool.errors import ManifestError
from deploytool.manifest import read_all, read_manifest
from tests.manifest.conftest import write

SECRET_VALUE = "s3cr3t-VALUE-do-not-print"


def test_plain_values_under_secret_looking_names_warn_without_the_value(configs: Path) -> None:
    write(
        configs,
        "staging.yaml",
        f"""
        project: p
        region: r
        e2e:
          env: {{E2E_OAUTH_SIMULATION_KEY: "{SECRET_VALUE}"}}
        services:
          api:
            env:
              DB_PASSWORD: "{SECRET_VALUE}"
              api_token: "{SECRET_VALUE}"
              EMPTY_SECRET: ""
              ENVIRONMENT: staging
            secrets:
              JWT_SECRET: "jwt:1"
        """,
    )

    warnings = read_manifest(configs, "staging").warnings

    advice = "holds a plain value but its name looks secret; store it in Secret Manager"
    assert [(w.split(": ")[0], w.split(": ")[1]) for w in warnings] == [
        ("configs/staging.yaml:4", f"E2E_OAUTH_SIMULATION_KEY {advice} and list it under secrets"),
        ("configs/staging.yaml:8", f"DB_PASSWORD {advice} and list it under secrets"),
        ("configs/staging.yaml:9", f"api_token {advice} and list it under secrets"),
    ]
    assert not any(SECRET_VALUE in w for w in warnings)


def test_lookalikes_of_e2e_names_warn(configs: Path) -> None:
    write(
        configs,
        "production.yaml",
        """
        project: p
        region: r
        services:
          api:
            env:
              e2e_testing: "1"
              \u0415\u0032\u0415_TESTING: "1"
              PYTEST_RUNNING: "1"
        """,
    )

    default = read_manifest(configs, "production").warnings
    exact = read_manifest(configs, "production", Policy(case_sensitive=True)).warnings
    custom = read_manifest(configs, "production", Policy(e2e_names=("MY_FLAG",), e2e_patterns=()))

    # Matching in any case, e2e_testing is the E2E name itself (leakage), not a look-alike.
    cyrillic = (
        "configs/production.yaml:7: '\\u04152\\u0415_TESTING' looks like the E2E variable "
        "E2E_TESTING"
    )
    assert len(default) == 1 and default[0].startswith(cyrillic)
    assert len(exact) == 2
    assert exact[0].startswith("configs/production.yaml:6: 'e2e_testing' looks like the E2E")
    assert exact[1].startswith(cyrillic)
    assert custom.warnings == ()


def test_read_all_uses_the_policy_file_for_lookalikes(configs: Path) -> None:
    write(configs, "policy.yaml", "e2e: {names: [MY_FLAG], patterns: [], case_sensitive: true}\n")
    write(configs, "dev.yaml", 'project: p\nregion: r\nservices: {a: {env: {my_flag: "1"}}}\n')

    loaded = read_all(configs)

    assert loaded.warnings == (
        "configs/dev.yaml:3: 'my_flag' looks like the E2E variable MY_FLAG (case or Unicode "
        "look-alike) but policy does not match it; rename it to MY_FLAG or remove it",
    )


@pytest.mark.parametrize(
    "entry",
    [
        f"API_KEY: {SECRET_VALUE.replace('-', '')}0",  # a plain scalar, still a string
        "API_KEY: 8675309",
        "DB_PASSWORD: TRUE",
        "DB_PASSWORD: [hunter2]",
        f'API_TOKEN: "{SECRET_VALUE * 2000}"',
    ],
    ids=["plain", "number", "bool", "list", "too-long"],
)
@pytest.mark.parametrize("block", ["env", "secrets"])
def test_errors_about_secret_looking_values_never_show_them(
    configs: Path, entry: str, block: str
) -> None:
    write(
        configs,
        "dev.yaml",
        f"project: p\nregion: r\nservices:\n  a:\n    {block}:\n      {entry}\n",
    )
    value = entry.split(": ", 1)[1].strip('"[]')

    try:
        loaded = read_manifest(configs, "dev")
    except ManifestError as error:
        shown = str(error)
    else:
        shown = "\n".join(loaded.warnings)

    assert shown
    assert value not in shown
    assert value[:12] not in shown


def test_an_endpoint_under_a_secret_looking_name_is_not_advice_worthy(configs: Path) -> None:
    # AUTH is a secret word (its value is masked), but an address is no secret to move to
    # Secret Manager; a URL carrying user info still is.
    write(
        configs,
        "staging.yaml",
        """
        project: p
        region: r
        services:
          api:
            env:
              AUTH_SERVICE_URL: "https://auth.example.com/v1"
              SESSION_STORE_URL: "redis://cache.internal:6379"
              AUTH_DSN: "https://public@o1.ingest.example.com/2"
        """,
    )

    warnings = read_manifest(configs, "staging").warnings

    assert [w.split(": ")[1].split(" ")[0] for w in warnings] == ["SESSION_STORE_URL", "AUTH_DSN"]

"""`deploytool parity` end to end: manifests, the policy's parity section, --live against
the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    ignore: [GIT_SHA]
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      api-staging:
        env: {ENVIRONMENT: staging, DEBUG_TOOLBAR: "1", LOG_LEVEL: debug}
        secrets: {JWT_SECRET: "jwt:1"}
      auth:
        env: {ENVIRONMENT: staging, DATABASE_URL: "postgres://db/staging"}
      legacy-stg:
        env: {A: "1"}
      lonely:
        env: {A: "1"}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      api:
        env: {ENVIRONMENT: production, SENTRY_DSN_URL: "https://sentry"}
        secrets: {JWT_SECRET: "jwt:7"}
      auth:
        env: {ENVIRONMENT: production}
        secrets: {DATABASE_URL: "db-url:2"}
      legacy:
        env: {A: "1"}
      cron:
        env: {A: "1"}
"""
POLICY = """
    parity:
      pairs: {legacy-stg: legacy}
      ignore: [LOG_LEVEL]
"""


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION, policy=POLICY)


def test_gaps_pairs_and_unpaired_in_json(cli, cfg):
    result = cli("parity", "staging", "production", "--config-dir", str(cfg), "-o", "json")
    assert result.exit_code == 3, result.output
    doc = result.json()
    assert set(doc) == {
        "schema_version",
        "command",
        "status",
        "exit_code",
        "environments",
        "pairs",
        "unpaired",
    }
    assert doc["environments"] == ["staging", "production"]
    assert doc["status"] == "drift" and doc["exit_code"] == 3
    assert doc["pairs"] == [
        {
            "a": "api-staging",
            "b": "api",
            "gaps": [
                {"name": "DEBUG_TOOLBAR", "gap": "only_in_a"},
                {"name": "SENTRY_DSN_URL", "gap": "only_in_b"},
            ],
        },
        {"a": "auth", "b": "auth", "gaps": [{"name": "DATABASE_URL", "gap": "plain_vs_secret"}]},
        {"a": "legacy-stg", "b": "legacy", "gaps": []},
    ]
    assert doc["unpaired"] == [
        {"environment": "staging", "service": "lonely"},
        {"environment": "production", "service": "cron"},
    ]


def test_text_is_a_table_per_pair_without_values(cli, cfg):
    result = cli("parity", "staging", "production", "--config-dir", str(cfg))
    assert result.exit_code == 3
    assert "api-staging ↔ api: 2 gaps" in result.stdout
    assert "DATABASE_URL | plain | secret [plain_vs_secret]" in result.stdout
    assert "lonely (staging)" in result.stdout
    assert "postgres://db/staging" not in result.stdout


def test_in_parity_exits_0(cli, configs):
    cfg = configs(
        staging="project: a\nregion: r1\nservices:\n  api: {env: {X: '1'}, secrets: {S: 's:1'}}",
        production="project: b\nregion: r1\nservices:\n  api: {env: {X: '2'}, secrets: {S: 't:2'}}",
    )
    result = cli("parity", "staging", "production", "--config-dir", str(cfg))
    assert result.exit_code == 0, result.output
    assert "IN PARITY" in result.stdout


@pytest.mark.parametrize(
    "policy",
    [
        "parity: {pairs: [a, b]}\n",
        "parity: {pairs: {a: 1}}\n",
        "parity: {pairs: {a: Bad_Name}}\n",
        "parity: {ignore: LOG_LEVEL}\n",
        "parity: {ignroe: [X]}\n",
        "parity: {pairs: {a: x, b: x}}\n",
    ],
)
def test_bad_parity_policy_is_exit_2_with_line(cli, configs, policy):
    cfg = configs(
        staging="project: a\nregion: r1\nservices:\n  a: {env: {X: '1'}}\n",
        production="project: b\nregion: r1\nservices:\n  a: {env: {X: '1'}}\n",
        policy=policy,
    )
    result = cli("parity", "staging", "production", "--config-dir", str(cfg))
    assert result.exit_code == 2, result.output
    assert "policy.yaml:1" in result.stderr


def test_same_environment_twice_is_usage(cli, cfg):
    assert cli("parity", "staging", "staging", "--config-dir", str(cfg)).exit_code == 2


def seed(emulator, project, name, env, **kw):
    emulator.state.put_service(service_message(project, "us-central1", name, env, **kw))


def test_live_compares_what_runs(emulator, cli, configs):
    cfg = configs(
        staging="project: p-staging\nregion: us-central1\nservices:\n  api-staging: {env: {X: '1'}}"
        "\n",
        production="project: p-prod\nregion: us-central1\nservices:\n  api: {env: {X: '1'}}\n",
    )
    # Manifests agree; live, staging lacks X and carries a secret production has plain.
    seed(emulator, "p-staging", "api-staging", {"Y": ("y-secret", "1"), "E2E_TESTING": "1"})
    seed(emulator, "p-prod", "api", {"X": "1", "Y": "plain"})
    assert cli("parity", "staging", "production", "--config-dir", str(cfg)).exit_code == 0
    result = cli(
        "parity",
        "staging",
        "production",
        "--live",
        "--config-dir",
        str(cfg),
        "-o",
        "json",
        emulator=emulator,
    )
    assert result.exit_code == 3, result.output
    assert result.json()["pairs"] == [
        {
            "a": "api-staging",
            "b": "api",
            "gaps": [{"name": "X", "gap": "only_in_b"}, {"name": "Y", "gap": "plain_vs_secret"}],
        }
    ]


def test_live_unreadable_is_exit_5(emulator, cli, configs):
    cfg = configs(
        staging="project: p-staging\nregion: us-central1\nservices:\n  api: {env: {X: '1'}}\n",
        production="project: p-prod\nregion: us-central1\nservices:\n  api: {env: {X: '1'}}\n",
    )
    seed(emulator, "p-staging", "api", {"X": "1"})
    # production's service does not exist live: its side is unknown, never "in parity"
    result = cli(
        "parity",
        "staging",
        "production",
        "--live",
        "--config-dir",
        str(cfg),
        "-o",
        "json",
        emulator=emulator,
    )
    assert result.exit_code == 5, result.output
    assert "not found live" in result.stderr

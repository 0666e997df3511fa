"""Masked by name, declaration and value, end to end (CLI, real client, emulator): masked
diffs stay useful, `plaintext-secret` is reported by diff, audit and validate (a violation
when the policy says so), and the policy's `redact:` section is read strictly."""

from __future__ import annotations

import pytest

from tests.conftest import service_message

REGION = "us-central1"
DB_LIVE = "postgres://db.internal:5432/Lq7Rw2Zt9Kx4"  # no password: masked only as declared
PG_OTHER = "postgres://admin:Mp3Vb8Nc1Hs6@db.internal:5432/app"
PG_MANIFEST = "postgres://admin:Gf5Td2Wq8Ry1@db.internal:5432/app"
GHP = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"
MARKS = ("Lq7Rw2Zt9Kx4", "Mp3Vb8Nc1Hs6", "Gf5Td2Wq8Ry1", "Ab1Cd2Ef3Gh4", "hunter2-pw")

MANIFEST = """
    project: {project}
    region: us-central1
    services:
      api:
        env:
          ENVIRONMENT: {env}
          APP_CFG: "{app_cfg}"
          DB_PASS: "hunter2-pw"
          ACME_WIDGET: "w1dg3t-pw"
        secrets: {{DATABASE_URL: "db-url:3"}}
"""
POLICY = """
    environments:
      staging: {{projects: [p-stg]}}
      production: {{projects: [p-prod]}}
    redact:
      names: [WIDGET]
      plaintext_secrets: {mode}
"""
ADVICE = "move it to Secret Manager: gcloud run services update api --update-secrets"


@pytest.fixture
def world(configs, emulator):
    def make(*, mode: str = "warn", app_cfg: str = "plain", live_cfg: str = "plain"):
        config = configs(
            staging=MANIFEST.format(project="p-stg", env="staging", app_cfg=app_cfg),
            production=MANIFEST.format(project="p-prod", env="production", app_cfg=app_cfg),
            policy=POLICY.format(mode=mode),
        )
        for project, env in (("p-stg", "staging"), ("p-prod", "production")):
            live_env = {
                "ENVIRONMENT": env,
                "APP_CFG": live_cfg,
                "DB_PASS": "hunter2-pw",
                "ACME_WIDGET": "w1dg3t-pw",
                "DATABASE_URL": DB_LIVE,  # declared under secrets:, plain live
                "UPSTREAM": GHP,  # unmanaged name, credential-shaped
            }
            emulator.state.put_service(service_message(project, REGION, "api", live_env))
        return config

    return make


def run(cli, emulator, *args):
    return cli(*args, emulator=emulator)


def leaks(text: str) -> list[str]:
    return [mark for mark in MARKS if mark in text]


def test_masked_change_still_says_changed_and_equal_masked_values_are_in_sync(world, cli, emulator):
    config = world(app_cfg=PG_MANIFEST, live_cfg=PG_OTHER)
    text = run(cli, emulator, "diff", "staging", "--config-dir", str(config))
    assert text.exit_code == 3, text.output
    assert "~ APP_CFG: *** → *** (changed) [changed]" in text.stdout
    assert "~ DATABASE_URL: *** → secret:db-url:3 [changed]" in text.stdout
    doc = run(cli, emulator, "diff", "staging", "-o", "json", "--config-dir", str(config)).json()
    changes = {c["name"]: c for c in doc["services"][0]["changes"]}
    assert {k: changes["APP_CFG"][k] for k in ("kind", "desired", "live")} == {
        "kind": "changed",
        "desired": "***",
        "live": "***",
    }
    assert not leaks(text.output + str(doc))

    config = world(app_cfg=PG_OTHER, live_cfg=PG_OTHER)
    doc = run(cli, emulator, "diff", "staging", "-o", "json", "--config-dir", str(config)).json()
    names = {c["name"] for c in doc["services"][0]["changes"]}
    assert "APP_CFG" not in names  # equal real values: in sync, masked or not


def test_names_declaration_and_policy_words_mask(world, cli, emulator):
    config = world()
    result = run(cli, emulator, "diff", "staging", "-o", "json", "--config-dir", str(config))
    changes = {c["name"]: c for c in result.json()["services"][0]["changes"]}
    assert changes["DATABASE_URL"]["live"] == "***"  # declared under secrets:
    assert not leaks(result.output)
    assert "w1dg3t-pw" not in result.output  # redact.names: [WIDGET]


@pytest.mark.parametrize("command", [("diff", "staging"), ("audit",)])
def test_plaintext_secret_is_a_warning_by_default(world, cli, emulator, command):
    config = world()
    result = run(cli, emulator, *command, "--config-dir", str(config))
    assert result.exit_code == 3, result.output
    assert f"[plaintext-secret] p-stg/{REGION}/api: DATABASE_URL is declared under secrets:" in (
        result.stderr
    )
    assert f"{ADVICE} DATABASE_URL=db-url:3" in result.stderr
    assert "UPSTREAM holds a plain value that looks like a GitHub token" in result.stderr
    assert f"{ADVICE} UPSTREAM=upstream:latest" in result.stderr
    assert not leaks(result.output)


def test_plaintext_secret_in_json_warnings(world, cli, emulator):
    config = world()
    doc = run(cli, emulator, "audit", "-o", "json", "--config-dir", str(config)).json()
    for env in doc["environments"]:
        assert any("[plaintext-secret]" in w and "UPSTREAM" in w for w in env["warnings"])
        assert env["violations"] == []


def test_plaintext_secret_is_a_violation_in_production_with_error(world, cli, emulator):
    config = world(mode="error")
    result = run(cli, emulator, "diff", "production", "-o", "json", "--config-dir", str(config))
    assert result.exit_code == 4, result.output
    found = {(v["rule"], v["variable"], v["source"]) for v in result.json()["violations"]}
    assert found == {
        ("plaintext-secret", "DATABASE_URL", "live"),
        ("plaintext-secret", "UPSTREAM", "live"),
    }
    assert not leaks(result.output)
    staging = run(cli, emulator, "diff", "staging", "--config-dir", str(config))
    assert staging.exit_code == 3, staging.output  # not protected: still a warning
    assert "[plaintext-secret]" in staging.stderr


def test_validate_warns_about_a_credential_under_env(world, cli, emulator):
    config = world(app_cfg=PG_MANIFEST)
    result = cli("validate", "--config-dir", str(config))
    assert result.exit_code == 0, result.output
    assert "APP_CFG holds a plain value that looks like a URL with a password (not shown)" in (
        result.stderr
    )
    assert not leaks(result.output)
    config = world(app_cfg=PG_MANIFEST, mode="error")
    result = cli("validate", "-o", "json", "--config-dir", str(config))
    assert result.exit_code == 4, result.output
    (production,) = [e for e in result.json()["environments"] if e["environment"] == "production"]
    assert [(v["rule"], v["variable"]) for v in production["violations"]] == [
        ("plaintext-secret", "APP_CFG")
    ]
    assert not leaks(result.output)


def test_a_non_string_value_under_a_secret_name_is_not_echoed(configs, cli):
    config = configs(
        staging="""
        project: p-stg
        region: us-central1
        services:
          api:
            env: {DB_PASSWD: 987654321, LOG_LEVEL: 5}
        """
    )
    result = cli("validate", "--config-dir", str(config))
    assert result.exit_code == 2, result.output
    assert "987654321" not in result.output
    assert 'quote it: "5"' in result.output  # ordinary values keep their helpful advice


@pytest.mark.parametrize(
    ("redact", "message"),
    [
        ("{name: [X]}", "name: unknown key in policy redact; did you mean names:?"),
        ("{names: X}", "redact.names: expected a list of words such as STRIPE_SK"),
        ("{names: [STRIPE SK]}", "is not a word of a variable name"),
        ("{names: [1]}", "redact.names entry: value 1 is a number, not a string"),
        ("{plaintext_secrets: maybe}", "maybe is not one of warn, error"),
        ("{plaintext_secrets: true}", "value true is a boolean"),
        ("[warn]", "redact: expected a mapping with names: and plaintext_secrets:"),
    ],
)
def test_redact_section_is_strict(configs, cli, redact, message):
    config = configs(
        staging="project: p\nregion: r\nservices: {api: {}}\n",
        policy=f"redact: {redact}\n",
    )
    result = cli("validate", "--config-dir", str(config))
    assert result.exit_code == 2, result.output
    assert f"{config / 'policy.yaml'}:1:" in result.stderr
    assert message in result.stderr, result.stderr

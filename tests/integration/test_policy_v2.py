"""Policy v2 through the CLI, the real client and the emulator: letter case, the policy's
`regions:` and `--region`, and the policy sanity warnings."""

from __future__ import annotations

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      api: {env: {ENVIRONMENT: staging}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: production}}
"""
PROD_ENV = {"ENVIRONMENT": "production"}
PROD_API = "projects/p-prod/locations/us-central1/services/api"


def seed(emulator, project, name, env, region="us-central1"):
    emulator.state.put_service(service_message(project, region, name, env))


def writes(emulator):
    return [r for r in emulator.requests if r.method == "PATCH"]


# ---------------------------------------------------------------- letter case


@pytest.mark.parametrize("name", ["e2e_testing", "Pytest_Running", "my_e2e_flag"])
def test_a_case_variant_in_the_production_manifest_is_leakage(cli, configs, emulator, name):
    cfg = configs(
        staging=STAGING,
        production=PRODUCTION.replace(
            "ENVIRONMENT: production", f'ENVIRONMENT: production, {name}: "1"'
        ),
    )
    seed(emulator, "p-prod", "api", PROD_ENV)
    emulator.reset_requests()

    validate = cli("validate", "production", "--config-dir", str(cfg), "-o", "json")
    apply = cli("apply", "production", "--yes", "--config-dir", str(cfg), emulator=emulator)

    assert validate.exit_code == 4, validate.output
    (violation,) = validate.json()["environments"][0]["violations"]
    assert (violation["rule"], violation["variable"]) == ("e2e-leakage", name)
    assert not any("looks like" in w for w in validate.json()["warnings"])
    assert apply.exit_code == 4, apply.output
    assert writes(emulator) == [], "apply never writes a case variant into production"
    assert name not in {
        e.name for c in emulator.state.get_service(PROD_API).template.containers for e in c.env
    }


def test_a_case_variant_live_in_production_is_leakage(cli, configs, emulator):
    cfg = configs(staging=STAGING, production=PRODUCTION)
    seed(emulator, "p-prod", "api", {**PROD_ENV, "Pytest_Running": "1"})

    diff = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)

    assert diff.exit_code == 4, diff.output
    (violation,) = diff.json()["violations"]
    assert (violation["variable"], violation["source"]) == ("Pytest_Running", "live")


def test_case_sensitive_true_restores_exact_matching(cli, configs, emulator):
    cfg = configs(
        staging=STAGING,
        production=PRODUCTION,
        policy="e2e: {case_sensitive: true}\n",
    )
    seed(emulator, "p-prod", "api", {**PROD_ENV, "e2e_testing": "1"})

    diff = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)

    assert diff.exit_code == 3, "exact matching: no leakage, an unexpected variable (drift)"
    (warning,) = diff.json()["warnings"]
    assert "'e2e_testing' looks like the E2E variable E2E_TESTING" in warning


def test_unicode_lookalikes_stay_warnings(cli, configs, emulator):
    cfg = configs(staging=STAGING, production=PRODUCTION)
    seed(emulator, "p-prod", "api", {**PROD_ENV, "\uff25\uff12\uff25_TESTING": "1"})

    diff = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)

    assert diff.exit_code == 3, diff.output
    (warning,) = diff.json()["warnings"]
    assert "looks like the E2E variable E2E_TESTING" in warning


@pytest.mark.parametrize(
    "value",
    ['"true"', "yes", "1", "[true]", "~"],
    ids=["string", "yaml11-yes", "number", "list", "null"],
)
def test_case_sensitive_must_be_a_boolean(cli, configs, value):
    cfg = configs(staging=STAGING, policy=f"e2e:\n  case_sensitive: {value}\n")

    result = cli("validate", "--config-dir", str(cfg))

    assert result.exit_code == 2, result.output
    assert f"{cfg}/policy.yaml:2: case_sensitive: expected true or false" in result.stderr


# ---------------------------------------------------------------- regions


def east_leak(emulator):
    """A service nobody manages, in a region no manifest names, carrying an E2E variable."""
    seed(emulator, "p-prod", "forgotten", {"E2E_TESTING": "1"}, region="us-east1")


def test_policy_regions_are_read_by_diff_and_audit(cli, configs, emulator):
    seed(emulator, "p-prod", "api", PROD_ENV)
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging", "E2E_TESTING": "1"})
    east_leak(emulator)
    plain = configs(staging=STAGING, production=PRODUCTION)
    where = ("--config-dir", str(plain))
    assert cli("diff", "production", *where, emulator=emulator).exit_code == 0
    assert cli("audit", *where, emulator=emulator).exit_code == 0

    cfg = configs(policy="environments:\n  production: {projects: [p-prod], regions: [us-east1]}\n")
    diff = cli("diff", "production", *where, "-o", "json", emulator=emulator)
    audit = cli("audit", *where, "-o", "json", emulator=emulator)

    assert cfg == plain
    assert diff.exit_code == 4, diff.output
    (violation,) = diff.json()["violations"]
    assert (violation["service"], violation["variable"]) == ("forgotten", "E2E_TESTING")
    assert audit.exit_code == 4, audit.output
    production = next(e for e in audit.json()["environments"] if e["environment"] == "production")
    assert {
        "kind": "service",
        "name": "forgotten",
        "service": "forgotten",
        "project": "p-prod",
        "region": "us-east1",
    } in production["unmanaged"]


def test_diff_region_option_reads_another_region(cli, configs, emulator):
    cfg = configs(staging=STAGING, production=PRODUCTION)
    seed(emulator, "p-prod", "api", PROD_ENV)
    east_leak(emulator)
    where = ("--config-dir", str(cfg))

    without = cli("diff", "production", *where, emulator=emulator)
    with_region = cli("diff", "production", "--region", "us-east1", *where, emulator=emulator)

    assert without.exit_code == 0, without.output
    assert with_region.exit_code == 4, with_region.output
    assert "E2E_TESTING is set live on forgotten" in with_region.stdout
    listed = {r.path for r in emulator.requests if r.method == "GET"}
    assert "/v2/projects/p-prod/locations/us-east1/services" in listed


def test_an_unreadable_extra_region_is_exit_5(cli, configs, emulator):
    cfg = configs(staging=STAGING, production=PRODUCTION)
    seed(emulator, "p-prod", "api", PROD_ENV)
    emulator.faults.deny("projects/p-prod/locations/us-east1")

    result = cli(
        "diff", "production", "--region", "us-east1", "--config-dir", str(cfg), emulator=emulator
    )

    assert result.exit_code == 5, result.output


@pytest.mark.parametrize("bad", ["", "US CENTRAL", "us-central1/x", "US-CENTRAL1", "central"])
@pytest.mark.parametrize("command", ["diff", "audit"])
def test_a_bad_region_option_is_exit_2(cli, configs, emulator, command, bad):
    cfg = configs(staging=STAGING, production=PRODUCTION)
    args = [command, "production"] if command == "diff" else [command]

    text = cli(*args, "--region", bad, "--config-dir", str(cfg), emulator=emulator)
    as_json = cli(*args, "--region", bad, "--config-dir", str(cfg), "-o", "json", emulator=emulator)

    assert text.exit_code == 2, text.output
    assert "error: --region:" in text.stderr and "Traceback" not in text.output
    assert "not a Cloud Run region name" in text.stderr or "empty" in text.stderr
    assert as_json.exit_code == 2 and as_json.json()["exit_code"] == 2
    assert emulator.requests == [], "a bad region is refused before anything is read"


def test_a_bad_policy_region_is_exit_2_with_file_and_line(cli, configs):
    cfg = configs(
        staging=STAGING,
        policy="environments:\n  staging:\n    regions: [us-east1, US CENTRAL]\n",
    )

    result = cli("validate", "--config-dir", str(cfg))

    assert result.exit_code == 2, result.output
    assert f"{cfg}/policy.yaml:3: staging: regions: 'US CENTRAL' is not a Cloud Run region" in (
        result.stderr
    )


# ---------------------------------------------------------------- sanity warnings

QUESTIONABLE = """
    e2e:
      names: [E2E_TESTING, STAGING_E2E_TEST, E2E_OAUTH_SIMULATION_KEY, E2E_TEST_ENV]
      patterns: ["E2E_*", "*_E2E"]
      allowed_environments: [staging, eu-prod]
    environments:
      prd: {projects: [p-other]}
"""


def test_validate_warns_about_the_policy(cli, configs):
    cfg = configs(staging=STAGING, production=PRODUCTION, policy=QUESTIONABLE)

    text = cli("validate", "--config-dir", str(cfg))
    doc = cli("validate", "--config-dir", str(cfg), "-o", "json").json()

    assert text.exit_code == 0, text.output
    policy = f"{cfg}/policy.yaml"
    expected = [
        f"{policy}:2: e2e.names drops the default E2E name PYTEST_RUNNING",
        f"{policy}:3: e2e.patterns drops the default pattern '*_E2E_*'",
        f"{policy}:4: E2E variables are allowed in 'eu-prod', whose name looks like production",
        f"{policy}:6: environments: 'prd' has no manifest (prd.yaml) in the config directory",
    ]
    warned = [line for line in text.stderr.splitlines() if line.startswith("warning:")]
    assert len(warned) == len(expected), warned
    for line, start in zip(warned, expected, strict=True):
        assert line.startswith(f"warning: {start}"), line
    assert [w for w in doc["warnings"] if w.startswith(policy)] == [
        w.removeprefix("warning: ") for w in warned
    ]


def test_audit_warns_once_at_the_top(cli, configs, emulator):
    cfg = configs(staging=STAGING, production=PRODUCTION, policy=QUESTIONABLE)
    seed(emulator, "p-prod", "api", PROD_ENV)
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "staging", "E2E_TESTING": "1"})

    text = cli("audit", "--config-dir", str(cfg), emulator=emulator)
    doc = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator).json()

    assert text.exit_code == 0, text.output
    assert text.stderr.count("drops the default E2E name PYTEST_RUNNING") == 1
    assert len(doc["warnings"]) == 4
    assert all(w.startswith(f"{cfg}/policy.yaml:") for w in doc["warnings"])
    for report in doc["environments"]:
        assert not any("policy.yaml" in w for w in report["warnings"]), report


def test_diff_does_not_repeat_policy_warnings(cli, configs, emulator):
    cfg = configs(staging=STAGING, production=PRODUCTION, policy=QUESTIONABLE)
    seed(emulator, "p-prod", "api", PROD_ENV)

    result = cli("diff", "production", "--config-dir", str(cfg), emulator=emulator)

    assert result.exit_code == 0, result.output
    assert "policy.yaml" not in result.stderr

"""Ownership through the CLI, the real client and the emulator: validate, diff, apply and
audit all refuse (exit 4) a workload managed twice, or an E2E-allowed environment sharing a
protected environment's project unless the policy pins it for both."""

from __future__ import annotations

import pytest

from tests.conftest import service_message

PRODUCTION = """
    project: netra-prod
    region: us-central1
    services:
      netra-backend: {env: {ENVIRONMENT: production}}
"""
# The incident: staging.yaml copied from production.yaml, its project and service left as
# they were, the E2E set added. No policy.yaml: nothing pins anything.
STAGING_COPIED = """
    project: netra-prod
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      netra-backend: {env: {ENVIRONMENT: production}}
"""
STAGING_SHARED = """
    project: netra-prod
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      netra-backend-staging: {env: {ENVIRONMENT: staging}}
"""
PINNED_FOR_BOTH = """
    environments:
      staging: {projects: [netra-prod]}
      production: {projects: [netra-prod]}
"""
PROD_ENV = {"ENVIRONMENT": "production"}
STAGING_ENV = {"ENVIRONMENT": "staging", "E2E_TESTING": "1"}
BACKEND = "projects/netra-prod/locations/us-central1/services/netra-backend"


def seed(emulator, name, env):
    emulator.state.put_service(service_message("netra-prod", "us-central1", name, env))


def writes(emulator):
    return [r for r in emulator.requests if r.method == "PATCH"]


def live_env(emulator, full_name):
    service = emulator.state.get_service(full_name)
    return {e.name: e.value for c in service.template.containers for e in c.env}


def ownership_rules(doc):
    return [v for v in doc["violations"] if v["rule"] == "ownership"]


def test_incident_copy_pasted_staging_is_refused_by_every_command(emulator, cli, configs):
    cfg = configs(production=PRODUCTION, staging=STAGING_COPIED)
    seed(emulator, "netra-backend", PROD_ENV)
    emulator.reset_requests()
    where = ("--config-dir", str(cfg))

    validate = cli("validate", *where, "-o", "json")
    validate_one = cli("validate", "staging", *where)
    diff_staging = cli("diff", "staging", *where, "-o", "json", emulator=emulator)
    diff_production = cli("diff", "production", *where, emulator=emulator)
    apply_staging = cli("apply", "staging", "--yes", *where, emulator=emulator)
    audit = cli("audit", *where, "-o", "json", emulator=emulator)

    assert validate.exit_code == 4, validate.output
    assert validate_one.exit_code == 4, validate_one.output
    by_env = {e["environment"]: e for e in validate.json()["environments"]}
    assert len(ownership_rules(by_env["staging"])) == 2
    assert len(ownership_rules(by_env["production"])) == 2
    assert diff_staging.exit_code == 4, diff_staging.output
    doc = diff_staging.json()
    messages = [v["message"] for v in ownership_rules(doc)]
    assert any(
        f"{cfg}/staging.yaml:6: service netra-backend (project netra-prod, region us-central1) "
        f"is also managed by environment 'production' ({cfg}/production.yaml:4)" in m
        for m in messages
    ), messages
    assert any(
        f"{cfg}/staging.yaml:1: project 'netra-prod'" in m and "pin 'netra-prod' for both" in m
        for m in messages
    ), messages
    assert diff_production.exit_code == 4, diff_production.output
    assert "[ownership]" in diff_production.stdout
    assert apply_staging.exit_code == 4, apply_staging.output
    assert writes(emulator) == [], "nothing may be written, not even a preflight"
    assert "E2E_TESTING" not in live_env(emulator, BACKEND)
    assert audit.exit_code == 4, audit.output
    audited = {e["environment"]: e for e in audit.json()["environments"]}
    assert ownership_rules(audited["staging"]) and ownership_rules(audited["production"])


def test_shared_project_without_pins_is_refused(emulator, cli, configs):
    cfg = configs(production=PRODUCTION, staging=STAGING_SHARED)
    seed(emulator, "netra-backend", PROD_ENV)
    seed(emulator, "netra-backend-staging", {"ENVIRONMENT": "staging"})
    emulator.reset_requests()
    where = ("--config-dir", str(cfg))

    results = {
        "validate": cli("validate", *where),
        "diff staging": cli("diff", "staging", *where, emulator=emulator),
        "diff production": cli("diff", "production", *where, emulator=emulator),
        "apply staging": cli("apply", "staging", "--yes", *where, emulator=emulator),
        "audit": cli("audit", *where, emulator=emulator),
    }

    assert {name: r.exit_code for name, r in results.items()} == dict.fromkeys(results, 4)
    assert writes(emulator) == []
    assert "where E2E variables are allowed" in results["diff staging"].stdout


def test_shared_project_pinned_for_both_is_fine(emulator, cli, configs):
    cfg = configs(production=PRODUCTION, staging=STAGING_SHARED, policy=PINNED_FOR_BOTH)
    seed(emulator, "netra-backend", PROD_ENV)
    seed(emulator, "netra-backend-staging", {"ENVIRONMENT": "staging"})
    where = ("--config-dir", str(cfg))

    assert cli("validate", *where).exit_code == 0
    assert cli("diff", "production", *where, emulator=emulator).exit_code == 0
    assert cli("diff", "staging", *where, emulator=emulator).exit_code == 3  # E2E set missing
    applied = cli("apply", "staging", "--yes", *where, emulator=emulator)
    assert applied.exit_code == 0, applied.output
    staging_name = "projects/netra-prod/locations/us-central1/services/netra-backend-staging"
    assert live_env(emulator, staging_name) == STAGING_ENV
    audit = cli("audit", *where, "-o", "json", emulator=emulator)

    # Production reads the shared project and sees staging's E2E set: that is staging's
    # workload (pinned for both), neither production's leakage nor unmanaged anywhere.
    assert audit.exit_code == 0, audit.output
    for report in audit.json()["environments"]:
        assert report["unmanaged"] == [], report
        assert report["violations"] == [], report


def test_a_stray_service_in_the_shared_project_is_unmanaged_and_checked(emulator, cli, configs):
    cfg = configs(production=PRODUCTION, staging=STAGING_SHARED, policy=PINNED_FOR_BOTH)
    seed(emulator, "netra-backend", PROD_ENV)
    seed(emulator, "netra-backend-staging", STAGING_ENV)
    seed(emulator, "stray", {"E2E_TESTING": "1"})

    audit = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator)

    assert audit.exit_code == 4, audit.output
    by_env = {e["environment"]: e for e in audit.json()["environments"]}
    for report in by_env.values():
        assert [u["service"] for u in report["unmanaged"]] == ["stray"]
    assert [v["service"] for v in by_env["production"]["violations"]] == ["stray"]


def test_double_managed_between_protected_environments(emulator, cli, configs):
    cfg = configs(production=PRODUCTION, **{"production-eu": PRODUCTION})
    seed(emulator, "netra-backend", PROD_ENV)

    diff = cli("diff", "production-eu", "--config-dir", str(cfg), "-o", "json", emulator=emulator)

    assert diff.exit_code == 4, diff.output
    (violation,) = diff.json()["violations"]
    assert violation["rule"] == "ownership" and violation["service"] == "netra-backend"
    assert "also managed by environment 'production'" in violation["message"]


@pytest.mark.parametrize("command", ["validate", "diff", "apply"])
def test_an_invalid_other_manifest_is_exit_2_naming_it(emulator, cli, configs, command):
    cfg = configs(production=PRODUCTION, staging=STAGING_SHARED, qa="project: p\nservices: 1\n")
    seed(emulator, "netra-backend", PROD_ENV)
    args = {"validate": ["production"], "diff": ["production"], "apply": ["production", "--yes"]}

    result = cli(command, *args[command], "--config-dir", str(cfg), emulator=emulator)

    assert result.exit_code == 2, result.output
    assert f"{cfg}/qa.yaml:2" in result.stderr
    assert writes(emulator) == []


def test_warnings_of_other_manifests_stay_out_of_a_diff(emulator, cli, configs):
    staging = STAGING_SHARED.replace("netra-prod", "netra-staging").replace(
        "ENVIRONMENT: staging", 'ENVIRONMENT: staging, DB_PASSWORD: "plain"'
    )
    cfg = configs(production=PRODUCTION, staging=staging)
    seed(emulator, "netra-backend", PROD_ENV)

    result = cli("diff", "production", "--config-dir", str(cfg), emulator=emulator)

    assert result.exit_code == 0, result.output
    assert "staging.yaml" not in result.stderr

"""The E2E policy: names, patterns, look-alikes, manifest and live violations, project pins."""

from __future__ import annotations

import pytest

from deploytool.core.model import E2EBlock
from deploytool.core.policy import (
    DEFAULT_E2E_NAMES,
    RULE_LEAKAGE,
    RULE_PROJECT_PIN,
    Policy,
    e2e_lookalikes,
    live_violations,
    manifest_violations,
)
from tests.core.builders import container, manifest, plain, secret, spec

POLICY = Policy()
PINNED = Policy(pins=(("staging", ("netra-staging",)), ("production", ("netra-prod",))))


# ---------------------------------------------------------------- names and patterns


@pytest.mark.parametrize("name", DEFAULT_E2E_NAMES)
def test_every_default_name_is_e2e(name: str) -> None:
    assert POLICY.is_e2e_name(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # default names
        ("E2E_TESTING", True),
        ("PYTEST_RUNNING", True),
        ("STAGING_E2E_TEST", True),
        ("E2E_OAUTH_SIMULATION_KEY", True),
        ("E2E_TEST_ENV", True),
        # E2E_*
        ("E2E_ANYTHING", True),
        ("E2E_", True),
        # *_E2E_*
        ("MY_E2E_FLAG", True),
        ("_E2E_", True),
        ("A_B_E2E_C_D", True),
        # *_E2E
        ("RUN_E2E", True),
        ("_E2E", True),
        # negatives: no underscore boundary, no match
        ("E2ETESTING", False),
        ("E2E", False),
        ("NOTE2E_X", False),
        ("RUNE2E", False),
        ("X_E2EY", False),
        ("E2E-TESTING", False),
        ("PYTEST", False),
        ("PYTEST_RUNNING_X", False),
        ("ENVIRONMENT", False),
        ("", False),
        # Cyrillic IE is not Latin E
        ("\u04152\u0415_TESTING", False),
    ],
)
def test_is_e2e_name(name: str, expected: bool) -> None:
    assert POLICY.is_e2e_name(name) is expected


def test_custom_names_and_patterns_replace_defaults() -> None:
    policy = Policy(e2e_names=("CUSTOM",), e2e_patterns=("TEST_*",))
    assert policy.is_e2e_name("CUSTOM")
    assert policy.is_e2e_name("TEST_X")
    assert not policy.is_e2e_name("E2E_TESTING")
    assert not policy.is_e2e_name("PYTEST_RUNNING")


# ---------------------------------------------------------------- letter case

EXACT = Policy(case_sensitive=True)
CYRILLIC = "\u04152\u0415_TESTING"  # Cyrillic capital IE for both Es
FULLWIDTH = "\uff25\uff12\uff25_TESTING"


@pytest.mark.parametrize(
    ("name", "match_any_case", "lookalike_any_case", "match_exact", "lookalike_exact"),
    [
        # default names in another case: leakage by default, a look-alike when exact
        ("e2e_testing", True, None, False, "E2E_TESTING"),
        ("Pytest_Running", True, None, False, "PYTEST_RUNNING"),
        ("E2e_Testing", True, None, False, "E2E_TESTING"),
        ("staging_e2e_test", True, None, False, "STAGING_E2E_TEST"),
        # patterns in another case
        ("e2e_anything", True, None, False, "E2E_ANYTHING"),
        ("my_e2e_flag", True, None, False, "MY_E2E_FLAG"),
        ("run_e2e", True, None, False, "RUN_E2E"),
        ("Run_E2e", True, None, False, "RUN_E2E"),
        # exact spellings match either way
        ("E2E_TESTING", True, None, True, None),
        ("RUN_E2E", True, None, True, None),
        # Unicode look-alikes stay warnings whatever the case setting
        (CYRILLIC, False, "E2E_TESTING", False, "E2E_TESTING"),
        ("\u03952\u0395_TESTING", False, "E2E_TESTING", False, "E2E_TESTING"),  # Greek
        (FULLWIDTH, False, "E2E_TESTING", False, "E2E_TESTING"),
        ("\u04352\u0435_testing", False, "E2E_TESTING", False, "E2E_TESTING"),  # small IE
        # only ASCII letters fold: a dotless i upper-cases to I in Python, yet it is a
        # look-alike, not the name itself
        ("PYTEST_RUNN\u0131NG", False, "PYTEST_RUNNING", False, "PYTEST_RUNNING"),
        # unrelated names in any case
        ("e2etesting", False, None, False, None),
        ("environment", False, None, False, None),
        ("pytest", False, None, False, None),
    ],
)
def test_case_matching(
    name: str,
    match_any_case: bool,
    lookalike_any_case: str | None,
    match_exact: bool,
    lookalike_exact: str | None,
) -> None:
    assert POLICY.is_e2e_name(name) is match_any_case
    assert POLICY.lookalike(name) == lookalike_any_case
    assert EXACT.is_e2e_name(name) is match_exact
    assert EXACT.lookalike(name) == lookalike_exact


def test_custom_names_and_patterns_match_in_any_case() -> None:
    policy = Policy(e2e_names=("My_Flag",), e2e_patterns=("test_*",))
    assert policy.is_e2e_name("MY_FLAG") and policy.is_e2e_name("my_flag")
    assert policy.is_e2e_name("TEST_X") and policy.is_e2e_name("Test_x")
    exact = Policy(e2e_names=("My_Flag",), e2e_patterns=("test_*",), case_sensitive=True)
    assert exact.is_e2e_name("My_Flag") and not exact.is_e2e_name("MY_FLAG")
    assert exact.is_e2e_name("test_x") and not exact.is_e2e_name("TEST_X")


@pytest.mark.parametrize(
    "name", [*DEFAULT_E2E_NAMES, "E2E_OTHER", "MY_E2E", "ENVIRONMENT", "database_url", "E2ETESTING"]
)
def test_lookalike_is_none_for_exact_names_and_unrelated(name: str) -> None:
    assert POLICY.lookalike(name) is None


def test_e2e_lookalikes_lists_only_imitations() -> None:
    env_vars = [plain("E2E_TESTING", "1"), plain("e2e_testing", "1"), plain(CYRILLIC, "1")]
    assert e2e_lookalikes(env_vars, POLICY) == [(CYRILLIC, "E2E_TESTING")]
    assert e2e_lookalikes(env_vars, EXACT) == [
        ("e2e_testing", "E2E_TESTING"),
        (CYRILLIC, "E2E_TESTING"),
    ]


@pytest.mark.parametrize(
    ("environment", "protected"),
    [("staging", False), ("production", True), ("dev", True), ("Staging", True)],
)
def test_every_environment_but_allowed_is_protected(environment: str, protected: bool) -> None:
    assert POLICY.is_protected(environment) is protected


# ---------------------------------------------------------------- manifest_violations


def prod_manifest(*services, e2e=None, project="netra-prod", project_line=None):
    return manifest(
        tuple(services),
        environment="production",
        project=project,
        path="configs/production.yaml",
        e2e=e2e,
        project_line=project_line,
    )


def test_e2e_block_in_protected_environment() -> None:
    m = prod_manifest(
        spec("api", (plain("HOST", "x"),), project="netra-prod"),
        e2e=E2EBlock(env=(plain("E2E_TESTING", "1"),), line=4),
    )
    (violation,) = manifest_violations(m, POLICY)
    assert violation.rule == RULE_LEAKAGE
    assert violation.environment == "production"
    assert violation.source == "manifest"
    assert "configs/production.yaml:4" in violation.message
    assert "e2e:" in violation.message


@pytest.mark.parametrize(
    ("var", "line"),
    [
        (plain("E2E_TESTING", "1", line=12), 12),
        (plain("PYTEST_RUNNING", "true", line=3), 3),
        (plain("FEATURE_E2E", "on", line=40), 40),
        (secret("E2E_OAUTH_SIMULATION_KEY", "e2e-oauth-simulation-key:latest", line=9), 9),
    ],
    ids=lambda v: getattr(v, "name", str(v)),
)
def test_e2e_var_in_production_service_env(var, line) -> None:
    m = prod_manifest(spec("api", (plain("HOST", "x"), var), project="netra-prod"))
    (violation,) = manifest_violations(m, POLICY)
    assert violation.rule == RULE_LEAKAGE
    assert violation.environment == "production"
    assert violation.service == "api"
    assert violation.variable == var.name
    assert violation.source == "manifest"
    assert f"configs/production.yaml:{line}" in violation.message
    assert var.name in violation.message


def test_e2e_var_without_line_still_names_the_file() -> None:
    m = prod_manifest(spec("api", (plain("E2E_TESTING", "1"),), project="netra-prod"))
    (violation,) = manifest_violations(m, POLICY)
    assert violation.message.startswith("configs/production.yaml")


def test_every_e2e_var_of_every_service_is_reported() -> None:
    m = prod_manifest(
        spec("api", (plain("E2E_TESTING", "1", line=5), plain("E2E_TEST_ENV", "x", line=6))),
        spec("web", (plain("PYTEST_RUNNING", "1", line=9),)),
    )
    found = {(v.service, v.variable) for v in manifest_violations(m, POLICY)}
    assert found == {("api", "E2E_TESTING"), ("api", "E2E_TEST_ENV"), ("web", "PYTEST_RUNNING")}


@pytest.mark.parametrize("name", ["e2e_testing", "Pytest_Running", "run_e2e"])
def test_a_case_variant_in_production_is_leakage(name: str) -> None:
    m = prod_manifest(spec("api", (plain(name, "1", line=4),), project="netra-prod"))
    (violation,) = manifest_violations(m, POLICY)
    assert (violation.rule, violation.variable) == (RULE_LEAKAGE, name)
    assert manifest_violations(m, Policy(case_sensitive=True)) == []


def test_a_case_variant_live_in_production_is_leakage() -> None:
    live = [container((plain("e2e_testing", "1"),))]
    (violation,) = live_violations("production", "api", live, POLICY)
    assert (violation.variable, violation.source) == ("e2e_testing", "live")
    assert live_violations("production", "api", live, Policy(case_sensitive=True)) == []


def test_unicode_lookalike_in_production_is_not_a_violation() -> None:
    m = prod_manifest(spec("api", (plain(CYRILLIC, "1"),), project="netra-prod"))
    assert manifest_violations(m, POLICY) == []


def test_e2e_in_staging_is_allowed() -> None:
    m = manifest(
        (spec("api", (plain("E2E_TESTING", "1", line=3), plain("STAGING_E2E_TEST", "1"))),),
        environment="staging",
        e2e=E2EBlock(env=(plain("E2E_TESTING", "1"),), line=2),
    )
    assert manifest_violations(m, POLICY) == []
    assert manifest_violations(m, PINNED) == []


def test_clean_production_has_no_violations() -> None:
    m = prod_manifest(spec("api", (plain("ENVIRONMENT", "production"),), project="netra-prod"))
    assert manifest_violations(m, POLICY) == []
    assert manifest_violations(m, PINNED) == []


def test_project_pin_mismatch() -> None:
    m = prod_manifest(
        spec("api", (plain("HOST", "x"),), project="netra-staging"),
        project="netra-staging",
        project_line=1,
    )
    (violation,) = manifest_violations(m, PINNED)
    assert violation.rule == RULE_PROJECT_PIN
    assert violation.environment == "production"
    assert "configs/production.yaml:1" in violation.message
    assert "netra-staging" in violation.message
    assert "netra-prod" in violation.message


def test_project_pin_mismatch_in_allowed_environment_too() -> None:
    m = manifest((spec("api", project="netra-prod"),), environment="staging", project="netra-prod")
    (violation,) = manifest_violations(m, PINNED)
    assert violation.rule == RULE_PROJECT_PIN
    assert violation.environment == "staging"


def test_no_pin_for_environment_means_no_pin_check() -> None:
    m = manifest((spec("api", project="anything"),), environment="dev", project="anything")
    assert manifest_violations(m, PINNED) == []


def test_service_project_override_not_pinned() -> None:
    m = prod_manifest(
        spec("api", project="netra-prod"),
        spec("rogue", project="netra-staging", line=17),
    )
    (violation,) = manifest_violations(m, PINNED)
    assert violation.rule == RULE_PROJECT_PIN
    assert violation.service == "rogue"
    assert "configs/production.yaml:17" in violation.message
    assert "netra-staging" in violation.message


def test_service_project_override_that_is_pinned_is_fine() -> None:
    policy = Policy(pins=(("production", ("netra-prod", "netra-prod-eu")),))
    m = prod_manifest(spec("api", project="netra-prod"), spec("eu", project="netra-prod-eu"))
    assert manifest_violations(m, policy) == []


def test_pin_and_leakage_are_both_reported() -> None:
    m = prod_manifest(
        spec("api", (plain("E2E_TESTING", "1", line=8),), project="netra-staging"),
        project="netra-staging",
    )
    rules = sorted(v.rule for v in manifest_violations(m, PINNED))
    assert rules == [RULE_LEAKAGE, RULE_PROJECT_PIN]


# ---------------------------------------------------------------- live_violations


@pytest.mark.parametrize(
    ("environment", "count"),
    [("production", 2), ("dev", 2), ("staging", 0)],
)
def test_live_violations_by_environment(environment: str, count: int) -> None:
    containers = [
        container((plain("E2E_TESTING", "1"), plain("HOST", "x")), "app"),
        container((plain("PYTEST_RUNNING", "1"),), "sidecar"),
    ]
    found = live_violations(environment, "api", containers, POLICY)
    assert len(found) == count
    for violation in found:
        assert violation.rule == RULE_LEAKAGE
        assert violation.source == "live"
        assert violation.service == "api"
        assert violation.environment == environment
        assert violation.revision is None
        assert violation.variable in violation.message
        assert "api" in violation.message
    assert {v.variable for v in found} <= {"E2E_TESTING", "PYTEST_RUNNING"}


def test_live_violations_clean_service() -> None:
    assert live_violations("production", "api", [container(plain_env())], POLICY) == []


def plain_env():
    return (plain("HOST", "x"), plain("\u04152\u0415_TESTING", "1"))  # a look-alike only


def test_live_violation_names_the_revision() -> None:
    (violation,) = live_violations(
        "production",
        "api",
        [container((plain("E2E_TEST_ENV", "x"),))],
        POLICY,
        revision="api-00041-abc",
    )
    assert violation.revision == "api-00041-abc"
    assert "revision api-00041-abc of api" in violation.message
    assert violation.variable == "E2E_TEST_ENV"


def test_live_violations_deduplicate_identical_findings() -> None:
    twice = container((plain("E2E_TESTING", "1"), plain("E2E_TESTING", "1")))
    assert len(live_violations("production", "api", [twice], POLICY)) == 1

"""Ownership: one workload, one environment; allowed and protected environments share no
project unless the policy pins it for both. Pure tables over hand-built manifests."""

from __future__ import annotations

import pytest

from deploytool.core.gate import evaluate
from deploytool.core.model import Manifest
from deploytool.core.ownership import (
    RULE_OWNERSHIP,
    WorkloadKey,
    managed_elsewhere,
    ownership_of,
    ownership_violations,
)
from deploytool.core.policy import Policy
from deploytool.core.report import LiveSnapshot, LocationRead
from tests.core.builders import env, live, manifest, plain, spec

DEFAULTS = Policy()
PINNED_BOTH = Policy(pins=(("production", ("shared",)), ("staging", ("shared",))))
PINNED_ONE = Policy(pins=(("production", ("shared",)), ("staging", ("netra-staging",))))


def env_manifest(environment: str, project: str, *services: tuple[str, str], line: int = 1):
    """`services`: (name, project) pairs; the manifest's project is on line 1, each service
    on the line after the previous one."""
    return manifest(
        tuple(
            spec(name, env(A="1"), project=svc_project, line=line + 1 + i)
            for i, (name, svc_project) in enumerate(services)
        ),
        environment=environment,
        project=project,
        path=f"configs/{environment}.yaml",
        project_line=line,
    )


STAGING_OWN = env_manifest("staging", "netra-staging", ("api-staging", "netra-staging"))
PRODUCTION = env_manifest("production", "netra-prod", ("api", "netra-prod"))
# The incident: staging.yaml copied from production.yaml, project and service left as they were.
STAGING_COPIED = env_manifest("staging", "netra-prod", ("api", "netra-prod"))
STAGING_SHARED = env_manifest("staging", "shared", ("api-staging", "shared"))
PRODUCTION_SHARED = env_manifest("production", "shared", ("api", "shared"))
# Only a service points into production's project (an override), the manifest does not.
STAGING_ONE_SERVICE = env_manifest(
    "staging", "netra-staging", ("api-staging", "netra-staging"), ("api-canary", "netra-prod")
)
PRODUCTION_EU = env_manifest("production-eu", "netra-prod", ("api", "netra-prod"))
QA_SHARED = env_manifest("qa", "shared", ("api-qa", "shared"))


def summary(manifests: list[Manifest], policy: Policy) -> list[tuple[str, str | None, str]]:
    """(environment, service, the start of the message up to the first ';')."""
    return [
        (v.environment, v.service, v.message.split(";")[0])
        for v in ownership_violations(manifests, policy)
    ]


@pytest.mark.parametrize(
    ("manifests", "policy", "expected"),
    [
        pytest.param([STAGING_OWN, PRODUCTION], DEFAULTS, [], id="own-projects"),
        pytest.param(
            [STAGING_COPIED, PRODUCTION],
            DEFAULTS,
            [
                (
                    "production",
                    None,
                    "configs/production.yaml:1: project 'netra-prod' of protected environment "
                    "'production' is also named by 'staging' (configs/staging.yaml:1), where "
                    "E2E variables are allowed",
                ),
                (
                    "production",
                    "api",
                    "configs/production.yaml:2: service api (project netra-prod, region "
                    "us-central1) is also managed by environment 'staging' "
                    "(configs/staging.yaml:2)",
                ),
                (
                    "staging",
                    None,
                    "configs/staging.yaml:1: project 'netra-prod' of 'staging', where E2E "
                    "variables are allowed, is also named by protected environment "
                    "'production' (configs/production.yaml:1), so E2E variables could be "
                    "written there",
                ),
                (
                    "staging",
                    "api",
                    "configs/staging.yaml:2: service api (project netra-prod, region "
                    "us-central1) is also managed by environment 'production' "
                    "(configs/production.yaml:2)",
                ),
            ],
            id="incident-copy-paste",
        ),
        pytest.param(
            [STAGING_SHARED, PRODUCTION_SHARED],
            DEFAULTS,
            [
                (
                    "production",
                    None,
                    "configs/production.yaml:1: project 'shared' of protected environment "
                    "'production' is also named by 'staging' (configs/staging.yaml:1), where "
                    "E2E variables are allowed",
                ),
                (
                    "staging",
                    None,
                    "configs/staging.yaml:1: project 'shared' of 'staging', where E2E "
                    "variables are allowed, is also named by protected environment "
                    "'production' (configs/production.yaml:1), so E2E variables could be "
                    "written there",
                ),
            ],
            id="shared-project-no-pins",
        ),
        pytest.param([STAGING_SHARED, PRODUCTION_SHARED], PINNED_BOTH, [], id="pinned-for-both"),
        pytest.param(
            [STAGING_SHARED, PRODUCTION_SHARED],
            PINNED_ONE,
            [
                ("production", None, "configs/production.yaml:1: project 'shared' of protected"),
                ("staging", None, "configs/staging.yaml:1: project 'shared' of 'staging'"),
            ],
            id="pinned-for-one-only",
        ),
        pytest.param(
            [STAGING_ONE_SERVICE, PRODUCTION],
            DEFAULTS,
            [
                ("production", None, "configs/production.yaml:1: project 'netra-prod' of"),
                ("staging", None, "configs/staging.yaml:3: project 'netra-prod' of 'staging'"),
            ],
            id="a-service-override-names-the-project",
        ),
        pytest.param(
            [PRODUCTION, PRODUCTION_EU],
            DEFAULTS,
            [
                (
                    "production",
                    "api",
                    "configs/production.yaml:2: service api (project netra-prod, region "
                    "us-central1) is also managed by environment 'production-eu' "
                    "(configs/production-eu.yaml:2)",
                ),
                (
                    "production-eu",
                    "api",
                    "configs/production-eu.yaml:2: service api (project netra-prod, region "
                    "us-central1) is also managed by environment 'production' "
                    "(configs/production.yaml:2)",
                ),
            ],
            id="double-managed-between-protected-environments",
        ),
        pytest.param(
            [STAGING_COPIED, PRODUCTION],
            Policy(pins=(("production", ("netra-prod",)), ("staging", ("netra-prod",)))),
            [
                ("production", "api", "configs/production.yaml:2: service api (project"),
                ("staging", "api", "configs/staging.yaml:2: service api (project"),
            ],
            id="double-managed-even-when-pinned-for-both",
        ),
        pytest.param(
            [PRODUCTION_SHARED, QA_SHARED], DEFAULTS, [], id="two-protected-share-a-project"
        ),
        pytest.param(
            [STAGING_SHARED, QA_SHARED],
            Policy(allowed_environments=("staging", "qa")),
            [],
            id="two-allowed-share-a-project",
        ),
    ],
)
def test_ownership(manifests, policy, expected) -> None:
    """`expected` gives each violation's environment, service and the start of its message."""
    found = summary(manifests, policy)
    assert [(env, svc) for env, svc, _ in found] == [(env, svc) for env, svc, _ in expected]
    for (_, _, message), (_, _, start) in zip(found, expected, strict=True):
        assert message.startswith(start), message
    assert all(v.rule == RULE_OWNERSHIP for v in ownership_violations(manifests, policy))


def test_every_message_says_what_to_do() -> None:
    messages = [v.message for v in ownership_violations([STAGING_COPIED, PRODUCTION], DEFAULTS)]
    assert all(
        "remove it from one of the two manifests" in m
        or "pin 'netra-prod' for both 'staging' and 'production'" in m
        for m in messages
    ), messages


def test_same_name_in_another_region_is_another_workload() -> None:
    eu = manifest(
        (spec("api", env(A="1"), project="netra-prod", region="europe-west1"),),
        environment="production-eu",
        project="netra-prod",
        path="configs/production-eu.yaml",
    )
    assert ownership_violations([PRODUCTION, eu], DEFAULTS) == []


def test_ownership_of_keeps_one_environment() -> None:
    found = ownership_of("staging", [STAGING_COPIED, PRODUCTION], DEFAULTS)
    assert {v.environment for v in found} == {"staging"} and len(found) == 2


def test_managed_elsewhere() -> None:
    assert managed_elsewhere("staging", [STAGING_OWN, PRODUCTION]) == {
        WorkloadKey("service", "netra-prod", "us-central1", "api")
    }
    assert managed_elsewhere("production", [PRODUCTION]) == frozenset()


# ------------------------------------------------------- the gate with the other manifests


def shared_snapshot(*services):
    return LiveSnapshot(locations=(LocationRead("shared", "us-central1", tuple(services)),))


def test_another_environments_workload_is_not_unmanaged_nor_its_leakage() -> None:
    # Shared project pinned for both: staging's service carries its E2E set; production
    # reads the same project. It is staging's to judge, not production's leak.
    staging_api = live(
        "api-staging", (plain("E2E_TESTING", "1"), plain("A", "1")), project="shared"
    )
    prod_api = live("api", env(A="1"), project="shared")
    stray = live("stray", env(A="1"), project="shared")
    snapshot = shared_snapshot(staging_api, prod_api, stray)

    production = evaluate(
        PRODUCTION_SHARED,
        PINNED_BOTH,
        snapshot,
        list_unmanaged=True,
        others=[STAGING_SHARED],
    )
    staging = evaluate(
        STAGING_SHARED, PINNED_BOTH, snapshot, list_unmanaged=True, others=[PRODUCTION_SHARED]
    )

    assert production.verdict.exit_code == 0, production.violations
    assert [u.service for u in production.unmanaged] == ["stray"]
    assert staging.violations == ()
    assert [u.service for u in staging.unmanaged] == ["stray"]


def test_without_the_others_the_same_service_would_be_production_leakage() -> None:
    staging_api = live("api-staging", (plain("E2E_TESTING", "1"),), project="shared")
    snapshot = shared_snapshot(staging_api, live("api", env(A="1"), project="shared"))
    report = evaluate(PRODUCTION_SHARED, PINNED_BOTH, snapshot)
    assert report.verdict.exit_code == 4


def test_the_gate_reports_ownership_even_in_sync() -> None:
    snapshot = LiveSnapshot(
        locations=(
            LocationRead(
                "netra-prod", "us-central1", (live("api", env(A="1"), project="netra-prod"),)
            ),
        )
    )
    report = evaluate(STAGING_COPIED, DEFAULTS, snapshot, others=[PRODUCTION])
    assert report.verdict.exit_code == 4
    assert {v.rule for v in report.violations} == {RULE_OWNERSHIP}

"""Discovery's pure part: which scopes are valid, and whose each discovered location is."""

from __future__ import annotations

import pytest

from deploytool.core.discovery import (
    Discovery,
    DiscoveryScope,
    FoundWorkload,
    assign_locations,
    parse_scope,
    skipped_warnings,
)
from deploytool.core.model import Manifest, ServiceSpec
from deploytool.core.policy import Policy


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("projects/p-prod", DiscoveryScope("projects", "p-prod")),
        ("projects/123456", DiscoveryScope("projects", "123456")),
        ("folders/42", DiscoveryScope("folders", "42")),
        ("organizations/7", DiscoveryScope("organizations", "7")),
        (" organizations/7 ", DiscoveryScope("organizations", "7")),
        ("p-prod", None),
        ("projects/", None),
        ("projects/a/b", None),
        ("folders/abc", None),
        ("organisations/7", None),
        ("organizations/acme", None),
        ("billingAccounts/1", None),
        ("projects/a b", None),
        ("projects/a:searchAllResources", None),
    ],
)
def test_parse_scope(text, expected):
    assert parse_scope(text) == expected


def manifest(env, project, *locations):
    services = tuple(
        ServiceSpec(name=f"s{i}", project=p, region=r, env=())
        for i, (p, r) in enumerate(locations or [(project, "us-central1")])
    )
    return Manifest(env, f"configs/{env}.yaml", project, "us-central1", services)


PROD = manifest("production", "p-prod", ("p-prod", "us-central1"), ("p-prod-eu", "europe-west1"))
STAGING = manifest("staging", "p-staging")
POLICY = Policy(
    allowed_environments=("staging",),
    pins=(("production", ("p-prod", "777")), ("qa", ("p-qa",))),
)


def found(project, region="us-east1", number=None):
    return FoundWorkload(project, region, "service", "x", number)


@pytest.mark.parametrize(
    ("workload", "audited", "owner"),
    [
        # named by a manifest (its own project, or a workload's override)
        (found("p-prod"), [PROD, STAGING], "production"),
        (found("p-prod-eu"), [PROD, STAGING], "production"),
        (found("p-staging"), [PROD, STAGING], "staging"),
        # pinned by id, or by number (the search names the project by id, its number aside)
        (found("p-other", number="777"), [PROD, STAGING], "production"),
        (found("777"), [PROD, STAGING], "production"),
        # no pin, no manifest: unowned
        (found("p-shadow", number="999"), [PROD, STAGING], None),
        # owned by an environment outside this audit: skipped, never unowned
        (found("p-staging"), [PROD], "skipped"),
        (found("p-qa"), [PROD, STAGING], "skipped"),
    ],
)
def test_assign_locations(workload, audited, owner):
    others = [m for m in (PROD, STAGING) if m not in audited]
    placed = assign_locations(Discovery(("x",), (workload,)), audited, others, POLICY)
    where = (workload.project, workload.region)
    owned_by = [env for env, locs in placed.by_environment.items() if where in locs]
    if owner is None:
        assert placed.unowned == {where} and owned_by == [] and not placed.skipped
    elif owner == "skipped":
        assert not placed.unowned and owned_by == [] and len(placed.skipped) == 1
    else:
        assert owned_by == [owner] and not placed.unowned


def test_a_pin_without_a_manifest_is_warned_about():
    placed = assign_locations(Discovery(("x",), (found("p-qa"),)), [PROD], [STAGING], POLICY)
    (warning,) = skipped_warnings(placed.skipped, ["production", "staging"])
    assert "p-qa/us-east1" in warning and "'qa'" in warning and "no manifest" in warning
    assert skipped_warnings(placed.skipped, ["production", "staging", "qa"]) == []

"""Tagged revisions end to end, through the CLI and the real client against the emulator.

A revision at 0 % with a traffic tag is served at its own URL (`https://TAG---SERVICE-...`):
with `E2E_TESTING=1` in production that is a test bypass on the internet, and the gate used to
say IN SYNC because it never read the revision."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from google.cloud import run_v2

from tests.conftest import service_message

LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      backend: {env: {ENVIRONMENT: staging}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend: {env: {ENVIRONMENT: production}}
"""
PROD_ENV = {"ENVIRONMENT": "production"}
STAGING_ENV = {"ENVIRONMENT": "staging", "E2E_TESTING": "1"}


def full(project, service):
    return f"projects/{project}/locations/us-central1/services/{service}"


def short(resource):
    return resource.rsplit("/", 1)[-1]


def tag_old_revision(emulator, project, service, old_env, new_env, tags=("canary",)):
    """Deploy `old_env`, then `new_env` (now serving 100 %), and tag the first revision
    at 0 %, as `gcloud run deploy --no-traffic --tag` and a later deploy leave things.
    Returns (old revision, the service)."""
    emulator.state.put_service(service_message(project, "us-central1", service, old_env))
    name = full(project, service)
    old = short(emulator.state.get_service(name).latest_ready_revision)
    emulator.state.set_env(name, [run_v2.EnvVar(name=k, value=v) for k, v in new_env.items()])
    targets = [run_v2.TrafficTarget(type_=LATEST, percent=100)]
    targets += [run_v2.TrafficTarget(type_=REVISION, revision=old, tag=tag) for tag in tags]
    return old, emulator.state.set_traffic(name, targets)


def tag_url(service, tag):
    """The tag's URL as the emulator reports it in traffic_statuses."""
    return next(s.uri for s in service.traffic_statuses if s.tag == tag)


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION)


def seed_in_sync(emulator):
    emulator.state.put_service(service_message("p-staging", "us-central1", "backend", STAGING_ENV))
    emulator.state.put_service(service_message("p-prod", "us-central1", "backend", PROD_ENV))


def run(cli, cfg, emulator, *args):
    return cli(*args, "--config-dir", str(cfg), emulator=emulator)


def test_tagged_e2e_revision_of_a_managed_production_service_is_leakage(emulator, cli, cfg):
    seed_in_sync(emulator)
    old, service = tag_old_revision(
        emulator, "p-prod", "backend", {**PROD_ENV, "E2E_TESTING": "1"}, PROD_ENV
    )
    url = tag_url(service, "canary")
    assert url.startswith("https://canary---backend-") and url.endswith(".a.run.app")

    diff = run(cli, cfg, emulator, "diff", "production", "-o", "json")
    assert diff.exit_code == 4, diff.output
    doc = diff.json()
    (violation,) = doc["violations"]
    assert (violation["variable"], violation["revision"], violation["tag"]) == (
        "E2E_TESTING",
        old,
        "canary",
    )
    assert f"revision {old} (0%, tag canary, {url})" in violation["message"]
    (backend,) = doc["services"]
    (revision,) = backend["revisions"]
    assert (revision["revision"], revision["percent"], revision["tags"], revision["uri"]) == (
        old,
        0,
        ["canary"],
        url,
    )
    assert [c["name"] for c in revision["changes"]] == ["E2E_TESTING"]

    audit = run(cli, cfg, emulator, "audit", "-o", "json")
    assert audit.exit_code == 4, audit.output
    production = next(e for e in audit.json()["environments"] if e["environment"] == "production")
    assert [(v["revision"], v["tag"]) for v in production["violations"]] == [(old, "canary")]

    text = run(cli, cfg, emulator, "diff", "production")
    assert text.exit_code == 4
    assert f"tag canary, {url}" in text.stdout


def test_tagged_e2e_revision_of_an_unmanaged_production_service_is_leakage(emulator, cli, cfg):
    seed_in_sync(emulator)
    old, service = tag_old_revision(
        emulator, "p-prod", "legacy", {"E2E_TESTING": "1"}, {"ENVIRONMENT": "production"}
    )
    url = tag_url(service, "canary")

    diff = run(cli, cfg, emulator, "diff", "production", "-o", "json")
    assert diff.exit_code == 4, diff.output
    (violation,) = diff.json()["violations"]
    assert (violation["service"], violation["revision"], violation["tag"]) == (
        "legacy",
        old,
        "canary",
    )
    assert url in violation["message"]

    audit = run(cli, cfg, emulator, "audit", "production", "-o", "json")
    assert audit.exit_code == 4, audit.output
    (env,) = audit.json()["environments"]
    assert [u["service"] for u in env["unmanaged"]] == ["legacy"]
    assert [(v["service"], v["tag"]) for v in env["violations"]] == [("legacy", "canary")]


def test_tagged_revision_with_other_env_in_staging_is_drift_naming_the_tag(
    emulator, cli, cfg, tmp_path
):
    seed_in_sync(emulator)
    old, service = tag_old_revision(
        emulator,
        "p-staging",
        "backend",
        {"ENVIRONMENT": "staging"},  # the E2E set is missing on the old one
        STAGING_ENV,
        tags=("canary", "beta"),
    )
    canary, beta = tag_url(service, "canary"), tag_url(service, "beta")

    diff = run(cli, cfg, emulator, "diff", "staging", "-o", "json")
    assert diff.exit_code == 3, diff.output
    (backend,) = diff.json()["services"]
    assert backend["status"] == "drift"
    assert backend["changes"] == [], "the template matches the manifest"
    (revision,) = backend["revisions"]
    assert (revision["revision"], revision["percent"], revision["tags"]) == (
        old,
        0,
        ["beta", "canary"],
    )
    assert revision["uris"] == [beta, canary]

    text = run(cli, cfg, emulator, "diff", "staging")
    assert text.exit_code == 3
    assert f"tagged revision {old} (0% of traffic, tag beta, {beta}; tag canary, {canary})" in (
        text.stdout
    )

    junit, markdown = tmp_path / "audit.xml", tmp_path / "audit.md"
    audit = run(
        cli, cfg, emulator, "audit", "staging", "--junit", str(junit), "--markdown", str(markdown)
    )
    assert audit.exit_code == 3
    failure = ET.parse(junit).getroot().find(".//testcase[@name='backend']/failure")
    assert f"tag canary, {canary}" in failure.text
    assert f"tag beta, {beta}" in markdown.read_text(encoding="utf-8")


def test_one_get_per_tagged_revision_and_none_for_the_templates(emulator, cli, cfg):
    seed_in_sync(emulator)
    prod = full("p-prod", "backend")
    # The template's own revision carries a tag: nothing more to read.
    emulator.state.set_traffic(prod, [run_v2.TrafficTarget(type_=LATEST, percent=100, tag="cur")])
    # An old staging revision with two tags: read once.
    old, _ = tag_old_revision(
        emulator, "p-staging", "backend", STAGING_ENV, STAGING_ENV, tags=("a", "b")
    )
    emulator.reset_requests()

    result = run(cli, cfg, emulator, "audit")
    assert result.exit_code == 0, result.output
    gets = sorted(r.path for r in emulator.requests if "/revisions/" in r.path)
    assert gets == [f"/v2/{full('p-staging', 'backend')}/revisions/{old}"]


def test_an_unreadable_tagged_revision_is_exit_5(emulator, cli, cfg):
    seed_in_sync(emulator)
    old, _ = tag_old_revision(emulator, "p-staging", "backend", STAGING_ENV, STAGING_ENV)
    emulator.faults.deny(f"{full('p-staging', 'backend')}/revisions/{old}")
    result = run(cli, cfg, emulator, "diff", "staging", "-o", "json")
    assert result.exit_code == 5, result.output
    assert old in result.json()["services"][0]["error"]

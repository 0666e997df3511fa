"""`audit --discover SCOPE` end to end: Cloud Asset Inventory's search (the real
google-cloud-asset client over REST) and Cloud Run's lists (the real google-cloud-run client),
both against the emulator."""

from __future__ import annotations

import pytest

from deploytool.emulator.assets import ProjectDirectory
from tests.conftest import service_message

PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      backend: {env: {ENVIRONMENT: production}}
"""
STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      backend: {env: {ENVIRONMENT: staging}}
"""
POLICY = """
    environments:
      production: {projects: [p-prod, p-prod-extra]}
      staging: {projects: [p-staging]}
"""


def put(emulator, project, region, service, env):
    emulator.state.put_service(service_message(project, region, service, env))


def place(emulator, **projects):
    emulator.state.projects = ProjectDirectory.from_dict(projects)


@pytest.fixture
def cfg(configs):
    return configs(production=PRODUCTION, staging=STAGING, policy=POLICY)


def seed_in_sync(emulator):
    put(emulator, "p-prod", "us-central1", "backend", {"ENVIRONMENT": "production"})
    put(
        emulator,
        "p-staging",
        "us-central1",
        "backend",
        {"ENVIRONMENT": "staging", "E2E_TESTING": "1"},
    )


def audit(cli, cfg, emulator, *args):
    return cli("audit", "--config-dir", str(cfg), *args, emulator=emulator)


def test_leak_in_a_project_no_manifest_names_is_unowned_and_exit_4(emulator, cli, cfg):
    seed_in_sync(emulator)
    put(emulator, "p-shadow", "asia-east1", "forgotten", {"E2E_TESTING": "1", "A": "b"})
    result = audit(cli, cfg, emulator, "--discover", "projects/p-shadow", "-o", "json")
    assert result.exit_code == 4, result.output
    doc = result.json()
    assert doc["unowned"] == [
        {"kind": "service", "name": "forgotten", "project": "p-shadow", "region": "asia-east1"}
    ]
    (violation,) = doc["violations"]
    assert (violation["rule"], violation["service"], violation["variable"]) == (
        "e2e-leakage",
        "forgotten",
        "E2E_TESTING",
    )
    assert "p-shadow" in violation["message"] and "asia-east1" in violation["message"]
    assert doc["discovery"]["locations"] == [{"project": "p-shadow", "region": "asia-east1"}]
    # The environments are still audited and in sync.
    assert {e["environment"]: e["status"] for e in doc["environments"]} == {
        "production": "in_sync",
        "staging": "in_sync",
    }


def test_without_discover_the_same_leak_is_not_seen(emulator, cli, cfg):
    seed_in_sync(emulator)
    put(emulator, "p-shadow", "asia-east1", "forgotten", {"E2E_TESTING": "1"})
    result = audit(cli, cfg, emulator, "-o", "json")
    assert result.exit_code == 0, result.output
    assert "unowned" not in result.json()


def test_clean_unowned_workloads_are_listed_and_green(emulator, cli, cfg):
    seed_in_sync(emulator)
    put(emulator, "p-shadow", "asia-east1", "clean", {"A": "b"})
    result = audit(cli, cfg, emulator, "--discover", "projects/p-shadow", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = result.json()
    assert [u["name"] for u in doc["unowned"]] == ["clean"]
    assert doc["violations"] == []


@pytest.mark.parametrize("scope", ["folders/42", "organizations/7"])
def test_folder_and_organisation_scopes_find_their_projects_only(emulator, cli, cfg, scope):
    seed_in_sync(emulator)
    place(
        emulator,
        **{
            "p-team-a": {
                "number": "111",
                "folder": "folders/42",
                "organization": "organizations/7",
            },
            "p-team-b": {
                "number": "222",
                "folders": ["folders/43", "folders/42"],
                "organization": "organizations/7",
            },
            "p-elsewhere": {"number": "333", "folder": "folders/99"},
        },
    )
    put(emulator, "p-team-a", "us-east1", "a", {"E2E_TESTING": "1"})
    put(emulator, "p-team-b", "europe-west4", "b", {"A": "1"})
    put(emulator, "p-elsewhere", "us-east1", "c", {"E2E_TESTING": "1"})
    put(emulator, "p-loose", "us-east1", "d", {"E2E_TESTING": "1"})  # in no folder
    result = audit(cli, cfg, emulator, "--discover", scope, "-o", "json")
    assert result.exit_code == 4, result.output
    doc = result.json()
    assert [(u["project"], u["name"]) for u in doc["unowned"]] == [
        ("p-team-a", "a"),
        ("p-team-b", "b"),
    ]
    assert [v["service"] for v in doc["violations"]] == ["a"]


def test_search_pages_are_followed_and_requests_grow_with_pages_and_locations(
    emulator, cli, cfg, monkeypatch
):
    from deploytool.cloudrun import asset

    monkeypatch.setattr(asset, "PAGE_SIZE", 2)
    seed_in_sync(emulator)
    for i in range(5):
        put(emulator, "p-shadow", "us-east1", f"svc-{i}", {"A": "1"})
    put(emulator, "p-shadow", "europe-west1", "eu", {"E2E_TESTING": "1"})
    emulator.reset_requests()
    result = audit(cli, cfg, emulator, "--discover", "projects/p-shadow", "-o", "json")
    assert result.exit_code == 4, result.output
    assert len(result.json()["unowned"]) == 6
    searches = [r for r in emulator.requests if r.path.endswith(":searchAllResources")]
    assert [r.query.get("pageSize") for r in searches] == ["2", "2", "2"]  # 6 results, 3 pages
    lists = sorted(r.path for r in emulator.requests if r.path.endswith("/services"))
    # One list per location: the environments' two and the two discovered, not one per service.
    assert lists == sorted(
        f"/v2/projects/{p}/locations/{r}/services"
        for p, r in [
            ("p-prod", "us-central1"),
            ("p-staging", "us-central1"),
            ("p-shadow", "us-east1"),
            ("p-shadow", "europe-west1"),
        ]
    )
    assert not [r for r in emulator.requests if "/services/" in r.path]  # no get per service


def test_request_count_does_not_grow_with_workloads(emulator, cli, cfg):
    seed_in_sync(emulator)
    counts = []
    for n in (3, 30):
        for i in range(n):
            put(emulator, "p-shadow", "us-east1", f"svc-{n}-{i}", {"A": "1"})
        emulator.reset_requests()
        result = audit(cli, cfg, emulator, "--discover", "projects/p-shadow", "-o", "json")
        assert result.exit_code == 0, result.output
        counts.append(len(emulator.requests))
    assert counts[0] == counts[1]


def test_a_repeated_search_page_token_is_exit_5(emulator, cli, cfg, monkeypatch):
    from deploytool.cloudrun import asset

    monkeypatch.setattr(asset, "PAGE_SIZE", 1)
    seed_in_sync(emulator)
    put(emulator, "p-shadow", "us-east1", "a", {"A": "1"})
    put(emulator, "p-shadow", "us-east1", "b", {"A": "1"})
    emulator.faults.repeat_page_token("assets.search")
    result = audit(cli, cfg, emulator, "--discover", "projects/p-shadow", "-o", "json")
    assert result.exit_code == 5, result.output
    (error,) = result.json()["discovery"]["errors"]
    assert "same page token" in error["message"]


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("deny", "roles/cloudasset.viewer"),
        ("503", "503"),
    ],
)
def test_a_failing_search_is_exit_5_never_green(emulator, cli, cfg, fault, words):
    seed_in_sync(emulator)
    put(emulator, "p-shadow", "us-east1", "a", {"A": "1"})
    if fault == "deny":
        emulator.faults.deny("folders/42")
    else:
        emulator.faults.inject_error("assets.search", 503)
    result = audit(cli, cfg, emulator, "--discover", "folders/42", "--timeout", "1", "-o", "json")
    assert result.exit_code == 5, result.output
    doc = result.json()
    assert doc["status"] == "error"
    (error,) = doc["discovery"]["errors"]
    assert "folders/42" in error["message"] and words in error["message"]


def test_a_failing_search_does_not_hide_leakage_found_elsewhere(emulator, cli, cfg):
    put(
        emulator,
        "p-prod",
        "us-central1",
        "backend",
        {"ENVIRONMENT": "production", "E2E_TESTING": "1"},
    )
    put(
        emulator,
        "p-staging",
        "us-central1",
        "backend",
        {"ENVIRONMENT": "staging", "E2E_TESTING": "1"},
    )
    emulator.faults.deny("organizations/7")
    result = audit(cli, cfg, emulator, "--discover", "organizations/7", "-o", "json")
    assert result.exit_code == 4, result.output


@pytest.mark.parametrize(
    "scope",
    ["p-shadow", "projects/", "folders/abc", "organisations/7", "projects/a/b", "billing/1"],
)
def test_a_bad_scope_is_exit_2(emulator, cli, cfg, scope):
    result = audit(cli, cfg, emulator, "--discover", scope)
    assert result.exit_code == 2, result.output
    assert "--discover" in result.output and "folders/" in result.output
    assert not emulator.requests  # nothing was read


def test_discovered_locations_of_an_owned_project_are_that_environments_unmanaged(
    emulator, cli, cfg
):
    seed_in_sync(emulator)
    # p-prod's other region, and p-prod-extra (pinned to production, named by no manifest).
    put(emulator, "p-prod", "europe-west1", "eu-worker", {"E2E_TESTING": "1"})
    put(emulator, "p-prod-extra", "us-east1", "batch", {"A": "1"})
    put(emulator, "p-staging", "us-east1", "preview", {"E2E_TESTING": "1"})
    place(
        emulator,
        **{
            name: {"organization": "organizations/7"}
            for name in ("p-prod", "p-prod-extra", "p-staging")
        },
    )
    result = audit(cli, cfg, emulator, "--discover", "organizations/7", "-o", "json")
    assert result.exit_code == 4, result.output
    doc = result.json()
    envs = {e["environment"]: e for e in doc["environments"]}
    assert [(u["service"], u["project"], u["region"]) for u in envs["production"]["unmanaged"]] == [
        ("eu-worker", "p-prod", "europe-west1"),
        ("batch", "p-prod-extra", "us-east1"),
    ]
    assert [v["service"] for v in envs["production"]["violations"]] == ["eu-worker"]
    # Staging may carry E2E variables: its discovered service is unmanaged, not a leak.
    assert [u["service"] for u in envs["staging"]["unmanaged"]] == ["preview"]
    assert envs["staging"]["violations"] == []
    assert doc["unowned"] == [] and doc["violations"] == []


def test_a_project_owned_by_number_is_not_unowned(emulator, cli, configs):
    cfg = configs(
        production=PRODUCTION,
        policy="""
            environments:
              production: {projects: [p-prod, "555"]}
        """,
    )
    put(emulator, "p-prod", "us-central1", "backend", {"ENVIRONMENT": "production"})
    put(emulator, "p-numbered", "us-east1", "x", {"A": "1"})
    place(emulator, **{"p-numbered": {"number": "555"}})
    result = audit(cli, cfg, emulator, "--discover", "projects/555", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = result.json()
    assert doc["unowned"] == []
    assert [u["service"] for u in doc["environments"][0]["unmanaged"]] == ["x"]


def test_text_markdown_junit_and_annotations_show_unowned_leaks(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    put(emulator, "p-shadow", "asia-east1", "forgotten", {"E2E_TESTING": "1"})
    md, junit = tmp_path / "r.md", tmp_path / "r.xml"
    result = cli(
        "audit",
        "--config-dir",
        str(cfg),
        "--discover",
        "projects/p-shadow",
        "--markdown",
        str(md),
        "--junit",
        str(junit),
        emulator=emulator,
        env={"GITHUB_ACTIONS": "true"},
    )
    assert result.exit_code == 4, result.output
    assert "unowned workloads (1)" in result.stdout
    assert "forgotten (p-shadow/asia-east1)" in result.stdout
    assert "E2E_TESTING" in result.stdout
    markdown = md.read_text()
    assert "Unowned workloads" in markdown and "forgotten" in markdown
    xml = junit.read_text()
    assert 'testsuite name="(unowned)"' in xml and "<failure" in xml
    assert "::error title=deploytool (unowned)%3A e2e-leakage::E2E_TESTING" in result.stderr


def test_shards_with_discover_merge_without_losing_unowned_findings(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    for i in range(6):
        put(emulator, "p-shadow", "us-east1", f"svc-{i}", {"E2E_TESTING": "1"} if i == 3 else {})
    paths = []
    for index in (0, 1):
        path = tmp_path / f"shard-{index}.json"
        result = cli(
            "audit",
            "--config-dir",
            str(cfg),
            "--discover",
            "projects/p-shadow",
            "--shard",
            f"{index}/2",
            "--run-id",
            "r1",
            "--report",
            str(path),
            "-o",
            "json",
            emulator=emulator,
        )
        assert result.exit_code in (0, 4), result.output
        paths.append(path)
    merged = cli("audit", "--merge", str(paths[0]), "--merge", str(paths[1]), "-o", "json")
    assert merged.exit_code == 4, merged.output
    doc = merged.json()
    assert sorted(u["name"] for u in doc["unowned"]) == [f"svc-{i}" for i in range(6)]
    assert [v["service"] for v in doc["violations"]] == ["svc-3"]


def test_merging_a_discover_shard_with_a_plain_one_is_refused(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    common = ("audit", "--config-dir", str(cfg), "--run-id", "r1", "-o", "json")
    cli(
        *common,
        "--shard",
        "0/2",
        "--discover",
        "projects/p-x",
        "--report",
        str(first),
        emulator=emulator,
    )
    cli(*common, "--shard", "1/2", "--report", str(second), emulator=emulator)
    merged = cli("audit", "--merge", str(first), "--merge", str(second))
    assert merged.exit_code == 2, merged.output
    assert "--discover" in merged.output


def test_an_unowned_job_and_worker_pool_are_discovered_and_checked(emulator, cli, cfg):
    from tests.integration.workloads_seed import put_job, put_pool

    seed_in_sync(emulator)
    put_job(emulator, "p-shadow", "nightly", {"E2E_TESTING": "1"})
    put_pool(emulator, "p-shadow", "consumer", {"QUEUE": "orders"})
    result = audit(cli, cfg, emulator, "--discover", "projects/p-shadow", "-o", "json")
    assert result.exit_code == 4, result.output
    doc = result.json()
    assert {(u["kind"], u["name"]) for u in doc["unowned"]} == {
        ("job", "nightly"),
        ("worker_pool", "consumer"),
    }
    (violation,) = doc["violations"]
    assert (violation["kind"], violation["service"], violation["variable"]) == (
        "job",
        "nightly",
        "E2E_TESTING",
    )
    assert "--discover cannot" not in result.output


def test_discover_cannot_be_combined_with_live_from(cli, cfg, tmp_path):
    exported = tmp_path / "svc.json"
    exported.write_text('{"services": []}', encoding="utf-8")
    result = cli(
        "audit", "--config-dir", str(cfg), "--discover", "projects/p", "--live-from", str(exported)
    )
    assert result.exit_code == 2, result.output
    assert "--live-from" in result.stderr

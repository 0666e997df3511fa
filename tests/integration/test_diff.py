"""`deploytool diff` end to end: the CLI, the real google-cloud-run client, the emulator."""

from __future__ import annotations

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    ignore: [GIT_SHA]
    e2e:
      env: {E2E_TESTING: "1", STAGING_E2E_TEST: "1"}
      services: [api]
    services:
      api:
        env: {ENVIRONMENT: staging, LOG_LEVEL: info}
        secrets: {DB_PASSWORD: "db-password:3"}
      worker:
        env: {ENVIRONMENT: staging}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      api:
        env: {ENVIRONMENT: production}
"""
POLICY = """
    environments:
      staging: {projects: [p-staging]}
      production: {projects: [p-prod]}
"""
API_IN_SYNC = {
    "ENVIRONMENT": "staging",
    "LOG_LEVEL": "info",
    "DB_PASSWORD": ("db-password", "3"),
    "E2E_TESTING": "1",
    "STAGING_E2E_TEST": "1",
    "GIT_SHA": "abc123",
}


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING, production=PRODUCTION, policy=POLICY)


def seed(emulator, project, name, env, region="us-central1", **kw):
    emulator.state.put_service(service_message(project, region, name, env, **kw))


def test_in_sync_exits_0(emulator, cli, cfg):
    seed(emulator, "p-staging", "api", API_IN_SYNC)
    seed(emulator, "p-staging", "worker", {"ENVIRONMENT": "staging"})
    result = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 0, result.output
    assert "IN SYNC" in result.stdout


@pytest.mark.parametrize(
    ("live_change", "name", "kind"),
    [
        (lambda env: env.pop("STAGING_E2E_TEST"), "STAGING_E2E_TEST", "missing"),
        (lambda env: env.update(DEBUG="1"), "DEBUG", "unexpected"),
        (lambda env: env.update(LOG_LEVEL="debug"), "LOG_LEVEL", "changed"),
        (lambda env: env.update(DB_PASSWORD=("db-password", "4")), "DB_PASSWORD", "changed"),
        (lambda env: env.update(DB_PASSWORD=("other-secret", "3")), "DB_PASSWORD", "changed"),
        (lambda env: env.update(DB_PASSWORD="plaintext-pw"), "DB_PASSWORD", "changed"),
    ],
    ids=[
        "missing",
        "unexpected",
        "changed-value",
        "changed-version",
        "changed-secret",
        "secret-to-plain",
    ],
)
def test_each_kind_of_drift_exits_3(emulator, cli, cfg, live_change, name, kind):
    env = dict(API_IN_SYNC)
    live_change(env)
    seed(emulator, "p-staging", "api", env)
    seed(emulator, "p-staging", "worker", {"ENVIRONMENT": "staging"})
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3, result.output
    doc = result.json()
    assert doc["status"] == "drift" and doc["exit_code"] == 3
    api = next(s for s in doc["services"] if s["service"] == "api")
    assert api["status"] == "drift"
    assert [(c["name"], c["kind"]) for c in api["changes"]] == [(name, kind)]
    worker = next(s for s in doc["services"] if s["service"] == "worker")
    assert worker["status"] == "in_sync"


def test_ignored_live_variable_is_not_drift(emulator, cli, cfg):
    env = dict(API_IN_SYNC, GIT_SHA="other")
    seed(emulator, "p-staging", "api", env)
    seed(emulator, "p-staging", "worker", {"ENVIRONMENT": "staging", "GIT_SHA": "x"})
    assert cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator).exit_code == 0


def test_missing_service_has_status_missing(emulator, cli, cfg):
    seed(emulator, "p-staging", "api", API_IN_SYNC)
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3
    worker = next(s for s in result.json()["services"] if s["service"] == "worker")
    assert worker["status"] == "missing"
    assert worker["changes"] == [
        {"name": "ENVIRONMENT", "kind": "missing", "desired": "staging", "live": None}
    ]


def test_secret_reference_renders_as_reference(emulator, cli, cfg):
    env = dict(API_IN_SYNC)
    env.pop("DB_PASSWORD")
    seed(emulator, "p-staging", "api", env)
    seed(emulator, "p-staging", "worker", {"ENVIRONMENT": "staging"})
    doc = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator).json()
    api = next(s for s in doc["services"] if s["service"] == "api")
    assert api["changes"][0]["desired"] == {"secret": "db-password", "version": "3"}


def test_leakage_live_in_production_exits_4(emulator, cli, cfg):
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production", "E2E_TESTING": "1"})
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 4, result.output
    doc = result.json()
    assert doc["status"] == "leakage"
    assert [(v["rule"], v["service"], v["variable"], v["source"]) for v in doc["violations"]] == [
        ("e2e-leakage", "api", "E2E_TESTING", "live")
    ]


def test_leakage_on_an_unmanaged_service_exits_4(emulator, cli, cfg):
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production"})
    seed(emulator, "p-prod", "admin", {"PYTEST_RUNNING": "1"})
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 4
    assert [v["service"] for v in result.json()["violations"]] == ["admin"]


def test_leakage_in_the_manifest_exits_4_and_shows_in_text(emulator, cli, configs):
    cfg = configs(
        production=PRODUCTION.replace(
            "{ENVIRONMENT: production}", '{ENVIRONMENT: production, E2E_TEST_ENV: "x"}'
        ),
        policy=POLICY,
    )
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production"})
    result = cli("diff", "production", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 4
    lines = result.stdout.splitlines()
    leak = next(i for i, line in enumerate(lines) if "E2E_TEST_ENV is an E2E" in line)
    drift = next(i for i, line in enumerate(lines) if line.startswith("api "))
    assert leak < drift, "leakage is shown above drift"
    assert "production.yaml:5" in lines[leak]


def test_project_pin_violation_exits_4(emulator, cli, configs):
    cfg = configs(production=PRODUCTION.replace("p-prod", "p-staging"), policy=POLICY)
    seed(emulator, "p-staging", "api", {"ENVIRONMENT": "production"})
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 4
    assert [v["rule"] for v in result.json()["violations"]] == ["project-pin"]


def test_pagination_lists_hundreds_of_services_with_few_requests(emulator, cli, cfg):
    for i in range(620):
        seed(emulator, "p-staging", f"svc-{i:04d}", {"N": str(i)})
    seed(emulator, "p-staging", "api", API_IN_SYNC)
    seed(emulator, "p-staging", "worker", {"ENVIRONMENT": "staging", "EXTRA": "1"})
    emulator.reset_requests()
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3
    worker = next(s for s in result.json()["services"] if s["service"] == "worker")
    assert [c["name"] for c in worker["changes"]] == ["EXTRA"]
    methods = [(r.method, r.path.count("/")) for r in emulator.requests]
    assert all(m == "GET" for m, _ in methods)
    services = [r for r in emulator.requests if r.path.endswith("/services")]
    assert len(services) == 2, "622 services at 500 a page: two list calls, no gets"
    others = sorted(r.path.rsplit("/", 1)[-1] for r in emulator.requests if r not in services)
    assert others == ["jobs", "workerPools"], "one list of each other kind, nothing else"


def test_two_regions_are_each_listed_once(emulator, cli, configs):
    cfg = configs(
        staging="""
        project: p-staging
        region: us-central1
        services:
          api: {env: {A: "1"}}
          eu-api: {region: europe-west1, env: {A: "1"}}
    """
    )
    seed(emulator, "p-staging", "api", {"A": "1"})
    seed(emulator, "p-staging", "eu-api", {"A": "2"}, region="europe-west1")
    seed(emulator, "p-staging", "eu-api", {"A": "1"}, region="us-central1")  # a namesake
    emulator.reset_requests()
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3
    by_name = {s["service"]: s for s in result.json()["services"]}
    assert by_name["api"]["status"] == "in_sync"
    assert by_name["eu-api"]["region"] == "europe-west1"
    assert by_name["eu-api"]["changes"][0]["live"] == "2"
    paths = sorted(r.path for r in emulator.requests)
    assert paths == [
        f"/v2/projects/p-staging/locations/{region}/{kind}"
        for region in ("europe-west1", "us-central1")
        for kind in ("jobs", "services", "workerPools")
    ]


@pytest.mark.parametrize(
    ("container_line", "expected_exit", "expected_container"),
    [("container: sidecar", 0, "sidecar"), ("", 0, "main")],
    ids=["named", "the-one-with-a-port"],
)
def test_multi_container_selection(
    emulator, cli, configs, container_line, expected_exit, expected_container
):
    env = {"A": "1"} if expected_container == "main" else {"B": "2"}
    cfg = configs(
        staging=f"""
        project: p-staging
        region: us-central1
        services:
          api:
            {container_line}
            env: {{{next(iter(env))}: "{next(iter(env.values()))}"}}
    """
    )
    seed(
        emulator,
        "p-staging",
        "api",
        None,
        containers=[("main", {"A": "1"}, True), ("sidecar", {"B": "2"}, False)],
    )
    result = cli("diff", "staging", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == expected_exit, result.output
    assert result.json()["services"][0]["container"] == expected_container


def test_ambiguous_container_is_an_error_not_a_green(emulator, cli, configs):
    cfg = configs(
        staging="""
        project: p-staging
        region: us-central1
        services:
          api: {env: {A: "1"}}
    """
    )
    seed(
        emulator,
        "p-staging",
        "api",
        None,
        containers=[("one", {"A": "1"}, True), ("two", {"A": "1"}, True)],
    )
    result = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 5
    assert "set `container:`" in result.stdout


def test_secret_looking_values_are_redacted_in_text_and_json(emulator, cli, configs):
    cfg = configs(
        production="""
        project: p-prod
        region: us-central1
        services:
          api: {env: {ENVIRONMENT: production}}
    """
    )
    seed(
        emulator,
        "p-prod",
        "api",
        {
            "ENVIRONMENT": "production",
            "STRIPE_API_KEY": "sk_live_canary_1234",
            "session_token": "tok-canary-5678",
        },
    )
    for output in ("text", "json"):
        result = cli(
            "diff", "production", "--config-dir", str(cfg), "-o", output, emulator=emulator
        )
        assert result.exit_code == 3
        assert "sk_live_canary_1234" not in result.output
        assert "tok-canary-5678" not in result.output
        assert "***" in result.stdout
    doc = cli(
        "diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator
    ).json()
    lives = {c["name"]: c["live"] for c in doc["services"][0]["changes"]}
    assert lives == {"STRIPE_API_KEY": "***", "session_token": "***"}


def test_unreachable_emulator_exits_5_without_traceback(cli, cfg):
    result = cli(
        "diff",
        "staging",
        "--config-dir",
        str(cfg),
        "--timeout",
        "1",
        env={"CLOUD_RUN_EMULATOR_HOST": "127.0.0.1:9"},
    )
    assert result.exit_code == 5
    assert "Traceback" not in result.output
    assert "cannot reach Cloud Run at http://127.0.0.1:9" in result.stdout + result.stderr


def test_unreachable_emulator_json_never_says_in_sync(cli, cfg):
    result = cli(
        "diff",
        "staging",
        "--config-dir",
        str(cfg),
        "-o",
        "json",
        "--timeout",
        "1",
        env={"CLOUD_RUN_EMULATOR_HOST": "127.0.0.1:9"},
    )
    doc = result.json()
    assert (doc["status"], doc["exit_code"], result.exit_code) == ("error", 5, 5)
    assert {s["status"] for s in doc["services"]} == {"error"}


def test_no_credentials_exits_5_with_login_hint(cli, cfg, mocker):
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    mocker.patch.object(google.auth, "default", side_effect=DefaultCredentialsError("none"))
    result = cli("diff", "staging", "--config-dir", str(cfg))
    assert result.exit_code == 5
    # Reported as the reason each service could not be read (the manifests were still
    # evaluated: see tests/integration/test_reads.py for a violation found meanwhile).
    assert "no Google credentials found" in result.stdout
    assert "gcloud auth application-default login" in result.stdout
    assert "Traceback" not in result.output


def test_permission_denied_names_the_permission(emulator, cli, cfg):
    emulator.faults.deny("projects/p-staging")
    result = cli("diff", "staging", "--config-dir", str(cfg), emulator=emulator)
    assert result.exit_code == 5
    assert "run.services.list" in result.stdout


def test_unknown_service_filter_is_a_usage_error(emulator, cli, cfg):
    result = cli(
        "diff", "staging", "--service", "nope", "--config-dir", str(cfg), emulator=emulator
    )
    assert result.exit_code == 2
    assert "no service named nope" in result.stderr


def test_service_filter_limits_the_report(emulator, cli, cfg):
    seed(emulator, "p-staging", "api", API_IN_SYNC)
    result = cli(
        "diff",
        "staging",
        "--service",
        "api",
        "--config-dir",
        str(cfg),
        "-o",
        "json",
        emulator=emulator,
    )
    assert result.exit_code == 0, result.output
    assert [s["service"] for s in result.json()["services"]] == ["api"]


def test_invalid_manifest_is_exit_2_with_file_and_line(cli, configs):
    cfg = configs(
        staging="""
        project: p-staging
        region: us-central1
        services:
          api:
            env: {E2E_TESTING: yes}
    """
    )
    result = cli("diff", "staging", "--config-dir", str(cfg))
    assert result.exit_code == 2
    assert "staging.yaml:5" in result.stderr
    assert "quote" in result.stderr


def test_unpinned_environment_pointed_at_anothers_project_is_exit_4(cli, configs):
    cfg = configs(
        qa="""
            project: p-prod
            region: us-central1
            services:
              api: {env: {A: "1"}}
        """,
        policy=POLICY,
    )
    result = cli("validate", "qa", "--config-dir", str(cfg), "-o", "json")
    assert result.exit_code == 4
    (violation,) = result.json()["environments"][0]["violations"]
    assert violation["rule"] == "project-pin"
    assert "pinned to environment 'production'" in violation["message"]


def test_a_live_lookalike_of_an_e2e_name_is_reported(emulator, cli, cfg):
    seed(emulator, "p-prod", "api", {"ENVIRONMENT": "production", "\u04152\u0415_TESTING": "1"})
    result = cli("diff", "production", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    assert result.exit_code == 3, "a look-alike is no leakage by the letter of the policy"
    (warning,) = result.json()["warnings"]
    assert "looks like the E2E variable E2E_TESTING" in warning
    assert "warning:" in result.stderr

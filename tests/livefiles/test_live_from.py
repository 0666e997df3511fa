"""`--live-from FILE`: exported files instead of Cloud Run. Hand-written fixtures in each
format, bad files, absent services and revisions, project numbers; and one state run through
both the emulator and files exported from it, with the same verdict."""

from __future__ import annotations

from pathlib import Path

import pytest
from google.cloud import run_v2

from tests.conftest import service_message
from tests.livefiles.exporter import export_state

FIXTURES = Path(__file__).parent / "fixtures"
PRODUCTION = """
    project: netra-prod
    project_number: "123456789012"
    region: us-central1
    services:
      netra-backend:
        container: backend
        env: {ENVIRONMENT: production, LOG_LEVEL: warning, EMPTY_FLAG: ""}
        secrets:
          JWT_SECRET_KEY: "jwt-secret-prod:7"
          SHARED_JWT: "projects/987654321098/secrets/jwt-secret-shared:latest"
      netra-auth-service:
        env: {ENVIRONMENT: production}
        secrets: {GOOGLE_OAUTH_CLIENT_SECRET: "google-oauth-client-secret:4"}
"""


def files(*names: str) -> list[str]:
    out = []
    for name in names:
        out += ["--live-from", str(FIXTURES / name)]
    return out


@pytest.fixture
def prod(configs):
    return configs(production=PRODUCTION)


@pytest.fixture(autouse=True)
def _no_cloud_run_client(mocker):
    # --live-from never builds a Cloud Run client (a seam: the clients' constructor).
    mocker.patch(
        "deploytool.cloudrun.connect.build_clients",
        side_effect=AssertionError("a Cloud Run client was built"),
    )


@pytest.mark.parametrize("auth_file", ["services-list.json", "v2-list.json"])
def test_fixtures_in_sync_with_tagged_revision_file(cli, prod, auth_file):
    """Sidecar, secret refs (one through an alias to another project's number), a project
    number namespace, and the tagged revision given beside the service."""
    result = cli(
        "diff",
        "production",
        "--config-dir",
        str(prod),
        "-o",
        "json",
        *files("backend-export.yaml", auth_file, "backend-canary-revision-clean.yaml"),
    )
    assert result.exit_code == 0, result.output
    doc = result.json()
    assert [s["source"] for s in doc["services"]] == ["file", "file"]
    backend = next(s for s in doc["services"] if s["service"] == "netra-backend")
    assert backend["container"] == "backend"


def test_tagged_revision_drift_is_reported(cli, prod):
    result = cli(
        "diff",
        "production",
        "--config-dir",
        str(prod),
        "-o",
        "json",
        *files("backend-export.yaml", "backend-canary-revision.yaml", "services-list.json"),
    )
    assert result.exit_code == 3, result.output
    backend = next(s for s in result.json()["services"] if s["service"] == "netra-backend")
    assert backend["changes"] == []
    (revision,) = backend["revisions"]
    assert revision["revision"] == "netra-backend-00041-abc"
    assert revision["tags"] == ["canary"]
    assert {"name": "LOG_LEVEL", "kind": "changed", "desired": "warning", "live": "debug"} in (
        revision["changes"]
    )


def test_tagged_revision_missing_from_files_is_exit_5_with_the_export_command(cli, prod):
    result = cli(
        "diff",
        "production",
        "--config-dir",
        str(prod),
        *files("backend-export.yaml", "services-list.json"),
    )
    assert result.exit_code == 5, result.output
    assert (
        "gcloud run revisions describe netra-backend-00041-abc --project netra-prod "
        "--region us-central1 --format export"
    ) in result.stdout


def test_managed_service_absent_from_files_is_error_never_in_sync(cli, prod):
    result = cli(
        "diff",
        "production",
        "--config-dir",
        str(prod),
        "-o",
        "json",
        *files("services-list.json"),
    )
    assert result.exit_code == 5, result.output
    backend = next(s for s in result.json()["services"] if s["service"] == "netra-backend")
    assert backend["status"] == "error"
    assert "gcloud run services describe netra-backend" in backend["error"]
    assert "--format export" in backend["error"]


def test_project_number_matching_no_manifest_says_so(cli, configs):
    cfg = configs(production=PRODUCTION.replace('    project_number: "123456789012"\n', ""))
    result = cli(
        "diff",
        "production",
        "--config-dir",
        str(cfg),
        *files("backend-export.yaml"),
    )
    assert result.exit_code == 2, result.output
    assert "backend-export.yaml:3:" in result.stderr
    assert "project number 123456789012" in result.stderr
    assert "project_number" in result.stderr


def test_project_number_as_the_manifests_project(cli, configs, tmp_path):
    cfg = configs(
        production="project: '123456789012'\nregion: us-central1\nservices:\n"
        "  netra-backend:\n    container: backend\n    env: {ENVIRONMENT: production}\n"
        "    ignore: ['*_FLAG', 'LOG_LEVEL', '*JWT*']\n"
    )
    result = cli(
        "diff",
        "production",
        "--config-dir",
        str(cfg),
        *files("backend-export.yaml", "backend-canary-revision.yaml"),
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("text", "name", "line", "words"),
    [
        (
            "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: [\n",
            "bad.yaml",
            4,
            "syntax",
        ),
        ('{\n  "services": [\n    {"name": 1,}\n  ]\n}\n', "bad.json", 3, "invalid JSON"),
        ("apiVersion: apps/v1\nkind: Deployment\n", "deploy.yaml", 1, "unsupported"),
        (
            "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: a\n"
            "  namespace: p\nspec: {template: {spec: {containers: []}}}\n",
            "nolabel.yaml",
            4,
            "cloud.googleapis.com/location",
        ),
        ('{"services": [], "nextPageToken": "abc"}', "page.json", 1, "nextPageToken"),
        (
            "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: a\n"
            "  namespace: p\n  labels: {cloud.googleapis.com/location: r}\n"
            "spec:\n  template:\n    spec:\n      containers:\n      - env:\n"
            "        - name: X\n          valueFrom: {configMapKeyRef: {name: c}}\n",
            "cm.yaml",
            13,
            "secretKeyRef",
        ),
    ],
)
def test_bad_file_is_exit_2_with_file_and_line(cli, prod, tmp_path, text, name, line, words):
    path = tmp_path / name
    path.write_text(text)
    result = cli("diff", "production", "--config-dir", str(prod), "--live-from", str(path))
    assert result.exit_code == 2, result.output
    assert f"{path}:{line}:" in result.stderr
    assert words in result.stderr


def test_unreadable_file_is_exit_2(cli, prod, tmp_path):
    result = cli(
        "diff", "production", "--config-dir", str(prod), "--live-from", str(tmp_path / "nope")
    )
    assert result.exit_code == 2
    assert "cannot read" in result.stderr


@pytest.mark.parametrize("value", ["123456789012", '"12a"', '""'])
def test_project_number_must_be_a_string_of_digits(cli, configs, value):
    cfg = configs(production=PRODUCTION.replace('"123456789012"', value))
    result = cli("validate", "--config-dir", str(cfg))
    assert result.exit_code == 2, result.output
    assert "production.yaml:2:" in result.stderr


# -- one state, two paths ----------------------------------------------------------------

STAGING = """
    project: p-staging
    region: us-central1
    e2e:
      env: {E2E_TESTING: "1"}
      services: [api-staging]
    services:
      api-staging:
        container: app
        env: {ENVIRONMENT: staging}
        secrets: {DB_PASSWORD: "db-password:3", SHARED: "projects/p-shared/secrets/shared:1"}
"""
PROD = """
    project: p-prod
    project_number: "555000111"
    region: us-central1
    services:
      api:
        env: {ENVIRONMENT: production}
"""

REVISION = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST


def _staging_in_sync(emulator):
    env = {
        "ENVIRONMENT": "staging",
        "DB_PASSWORD": ("db-password", "3"),
        "SHARED": ("projects/p-shared/secrets/shared", "1"),
        "E2E_TESTING": "1",
    }
    emulator.state.put_service(
        service_message(
            "p-staging",
            "us-central1",
            "api-staging",
            containers=[("app", env, True), ("sidecar", {"OTEL": "1"}, False)],
        )
    )


def _prod(emulator, env, *, tagged_env=None):
    name = "projects/p-prod/locations/us-central1/services/api"
    emulator.state.put_service(service_message("p-prod", "us-central1", "api", tagged_env or env))
    if tagged_env is not None:
        old = emulator.state.get_service(name).latest_ready_revision.rsplit("/", 1)[-1]
        emulator.state.set_env(name, [run_v2.EnvVar(name=k, value=v) for k, v in env.items()])
        emulator.state.set_traffic(
            name,
            [
                run_v2.TrafficTarget(type_=LATEST, percent=100),
                run_v2.TrafficTarget(type_=REVISION, revision=old, tag="canary"),
            ],
        )


SCENARIOS = {
    "in-sync": lambda e: (_staging_in_sync(e), _prod(e, {"ENVIRONMENT": "production"})),
    "drift": lambda e: (_staging_in_sync(e), _prod(e, {"ENVIRONMENT": "prod"})),
    "unmanaged-leak": lambda e: (
        _staging_in_sync(e),
        _prod(e, {"ENVIRONMENT": "production"}),
        e.state.put_service(service_message("p-prod", "us-central1", "x", {"E2E_TESTING": "1"})),
    ),
    "tagged-leak": lambda e: (
        _staging_in_sync(e),
        _prod(
            e,
            {"ENVIRONMENT": "production"},
            tagged_env={"ENVIRONMENT": "production", "E2E_TESTING": "1"},
        ),
    ),
    "missing": lambda e: _staging_in_sync(e),
}


def _no_urls(revisions):
    # `--format export` drops status, and with it the tags' URLs, and who made the revision
    # and when: everything else is equal.
    dropped = ("uri", "uris", "creator", "create_time")
    return [{k: v for k, v in r.items() if k not in dropped} for r in revisions]


def _verdicts(doc):
    return (
        doc["status"],
        doc["exit_code"],
        [
            (
                e["environment"],
                e["status"],
                [
                    (s["service"], s["status"], s["changes"], _no_urls(s["revisions"]))
                    for s in e["services"]
                ],
                sorted(
                    (v["rule"], v["service"], v["variable"], v["revision"]) for v in e["violations"]
                ),
                [u["service"] for u in e["unmanaged"]],
            )
            for e in doc["environments"]
        ],
    )


@pytest.mark.parametrize("fmt", ["export", "list-json", "v2"])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_same_verdict_as_the_live_path(emulator, cli, configs, tmp_path, fmt, scenario, mocker):
    cfg = configs(staging=STAGING, production=PROD)
    SCENARIOS[scenario](emulator)
    mocker.stopall()  # the live path builds its client
    live = cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator)
    mocker.patch(
        "deploytool.cloudrun.connect.build_clients",
        side_effect=AssertionError("a Cloud Run client was built"),
    )
    # Production's files name the project by number, as gcloud exports do.
    paths = export_state(emulator.state, tmp_path / fmt, fmt, numbers={"p-prod": "555000111"})
    args = [arg for path in paths for arg in ("--live-from", str(path))]
    offline = cli("audit", "--config-dir", str(cfg), "-o", "json", *args)
    expected = live.exit_code if scenario != "missing" else 5  # unknown, not missing, offline
    assert offline.exit_code == expected, offline.output
    if scenario != "missing":
        assert _verdicts(offline.json()) == _verdicts(live.json())

"""Valid manifests become the expected core model."""

from __future__ import annotations

from pathlib import Path

from deploytool.core.model import E2EBlock, EnvVar, Manifest, SecretRef, ServiceSpec
from deploytool.manifest import list_environments, load_all, load_manifest, read_all
from tests.manifest.conftest import write

CONTRACT_EXAMPLE = """
project: netra-staging          # required: the GCP project id
region: us-central1             # default region of the services below
ignore: [GIT_SHA, "BUILD_*"]    # optional: live-only variables left alone (names or globs)
e2e:                            # optional; only where the policy allows E2E variables
  env:     {E2E_TESTING: "1", STAGING_E2E_TEST: "1", E2E_TEST_ENV: staging}
  secrets: {E2E_OAUTH_SIMULATION_KEY: "e2e-oauth-simulation-key:latest"}
  services: [netra-backend-staging]   # optional: which services get the E2E set (default: all)
services:                       # required, at least one
  netra-backend-staging:
    region: us-central1         # optional override
    container: backend          # optional: default the only container, else the one with a port
    env: {ENVIRONMENT: staging}         # plain variables: values must be YAML strings
    secrets: {JWT_SECRET: "jwt-secret:3"}   # SECRET:VERSION, or projects/P/secrets/NAME
    ignore: ["OTEL_*"]
"""

E2E_VARS = (
    EnvVar("E2E_TESTING", value="1"),
    EnvVar("STAGING_E2E_TEST", value="1"),
    EnvVar("E2E_TEST_ENV", value="staging"),
    EnvVar("E2E_OAUTH_SIMULATION_KEY", secret=SecretRef("e2e-oauth-simulation-key", "latest")),
)


def test_contract_example_round_trips(configs: Path) -> None:
    write(configs, "staging.yaml", CONTRACT_EXAMPLE)

    manifest = load_manifest(configs, "staging")

    backend = ServiceSpec(
        name="netra-backend-staging",
        project="netra-staging",
        region="us-central1",
        env=(
            EnvVar("ENVIRONMENT", value="staging"),
            EnvVar("JWT_SECRET", secret=SecretRef("jwt-secret", "3")),
            *E2E_VARS,
        ),
        container="backend",
        ignore=("GIT_SHA", "BUILD_*", "OTEL_*"),
        e2e_names=frozenset(var.name for var in E2E_VARS),
    )
    assert manifest == Manifest(
        environment="staging",
        path="configs/staging.yaml",
        project="netra-staging",
        region="us-central1",
        services=(backend,),
        ignore=("GIT_SHA", "BUILD_*"),
        e2e=E2EBlock(env=E2E_VARS, services=("netra-backend-staging",)),
    )
    # Lines take no part in equality: check them on their own.
    assert manifest.project_line == 1
    assert manifest.e2e is not None and manifest.e2e.line == 4
    assert manifest.services[0].line == 9
    assert [var.line for var in manifest.services[0].env] == [12, 13, 5, 5, 5, 6]


def test_e2e_defaults_to_all_services_and_respects_a_list(configs: Path) -> None:
    write(
        configs,
        "staging.yaml",
        """
        project: p-staging
        region: us-central1
        e2e:
          env: {E2E_TESTING: "1"}
        services:
          api: {env: {A: "1"}}
          worker: {}
        """,
    )
    write(
        configs,
        "qa.yaml",
        """
        project: p-qa
        region: us-central1
        e2e:
          env: {E2E_TESTING: "1"}
          services: [worker]
        services:
          api: {env: {A: "1"}}
          worker: {}
        """,
    )

    everywhere = load_manifest(configs, "staging")
    only_worker = load_manifest(configs, "qa")

    assert [s.e2e_names for s in everywhere.services] == [frozenset({"E2E_TESTING"})] * 2
    assert everywhere.e2e is not None and everywhere.e2e.services is None
    api, worker = only_worker.services
    assert api.e2e_names == frozenset() and [v.name for v in api.env] == ["A"]
    assert worker.e2e_names == frozenset({"E2E_TESTING"})
    assert worker.env == (EnvVar("E2E_TESTING", value="1"),)


def test_e2e_variable_repeated_with_the_same_value_is_merged_once(configs: Path) -> None:
    write(
        configs,
        "staging.yaml",
        """
        project: p
        region: r1
        e2e:
          env: {E2E_TESTING: "1"}
          secrets: {E2E_KEY: "k:1"}
        services:
          api:
            env: {E2E_TESTING: "1"}
            secrets: {E2E_KEY: "k:1"}
        """,
    )

    (api,) = load_manifest(configs, "staging").services

    assert [var.name for var in api.env] == ["E2E_TESTING", "E2E_KEY"]
    assert api.e2e_names == frozenset({"E2E_TESTING", "E2E_KEY"})


def test_region_override_secret_paths_service_project_and_yml(configs: Path) -> None:
    write(
        configs,
        "prod.yml",
        """
        project: netra-prod
        region: us-central1
        services:
          web:
            region: europe-west1
            project: netra-shared
            secrets:
              SHARED: "projects/netra-shared/secrets/shared-key:3"
              BY_NUMBER: "projects/123456789/secrets/db_password:latest"
              SHORT: "Short_Name-2:17"
          api:
            env:
              EMPTY: ""
              MULTI: "a: b # not a comment"
              UNICODE: "grüße"
              FOLDED: >-
                one
                two
        """,
    )

    manifest = load_manifest(configs, "prod")

    web, api = manifest.services
    assert (web.region, web.project, api.region, api.project) == (
        "europe-west1",
        "netra-shared",
        "us-central1",
        "netra-prod",
    )
    assert [var.secret for var in web.env] == [
        SecretRef("projects/netra-shared/secrets/shared-key", "3"),
        SecretRef("projects/123456789/secrets/db_password", "latest"),
        SecretRef("Short_Name-2", "17"),
    ]
    assert [var.value for var in api.env] == ["", "a: b # not a comment", "grüße", "one two"]
    assert manifest.path == "configs/prod.yml"


def test_every_service_with_its_own_region_needs_no_default(configs: Path) -> None:
    write(
        configs,
        "dev.yaml",
        """
        project: p
        services:
          a: {region: us-east1}
          b: {region: us-west1}
        """,
    )

    manifest = load_manifest(configs, "dev")

    assert [s.region for s in manifest.services] == ["us-east1", "us-west1"]
    assert manifest.locations() == [("p", "us-east1"), ("p", "us-west1")]


def test_a_thousand_variables_and_a_value_of_exactly_32768_bytes_are_fine(configs: Path) -> None:
    lines = "".join(f'      V{i}: "x"\n' for i in range(999))
    text = (
        f'project: p\nregion: r\nservices:\n  api:\n    env:\n{lines}      BIG: "{"é" * 16384}"\n'
    )
    (configs / "dev.yaml").write_text(text, encoding="utf-8")

    (api,) = load_manifest(configs, "dev").services

    assert len(api.env) == 1000


def test_list_environments_skips_policy_hidden_and_other_files(configs: Path) -> None:
    for name in ("staging.yaml", "production.yml", "policy.yaml", ".#staging.yaml", "notes.txt"):
        (configs / name).write_text("", encoding="utf-8")

    assert list_environments(configs) == ["production", "staging"]


def test_load_all_reads_every_environment_and_the_policy(configs: Path) -> None:
    write(configs, "staging.yaml", CONTRACT_EXAMPLE)
    write(configs, "production.yaml", "project: netra-prod\nregion: r\nservices: {api: {}}\n")
    write(configs, "policy.yaml", "environments: {production: {projects: [netra-prod]}}\n")

    policy, manifests = load_all(configs, None)
    loaded = read_all(configs, ["staging"])
    _, every = load_all(configs, [])

    assert [m.environment for m in manifests] == ["production", "staging"]
    assert policy.pins == (("production", ("netra-prod",)),)
    assert policy.path == "configs/policy.yaml"
    assert [m.environment for m in loaded.manifests] == ["staging"]
    assert every == manifests
    assert loaded.warnings == ()

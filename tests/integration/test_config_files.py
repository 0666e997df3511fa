"""The config directory through the CLI: file names every command sees, and ignore that can
no longer hide a declared variable (the staging incident) nor leakage in production."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.conftest import service_message

STAGING = """
    project: p-staging
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: staging}}
"""
PRODUCTION = """
    project: p-prod
    region: us-central1
    services:
      api: {env: {ENVIRONMENT: production}}
"""
PRODUCTION_IGNORING_E2E = """
    project: p-prod
    region: us-central1
    ignore: ["E2E_*"]
    services:
      api: {env: {ENVIRONMENT: production}}
"""
# The incident: the E2E set is declared, and a glob meant for live-only noise hides it.
STAGING_E2E_IGNORED = """
    project: p-staging
    region: us-central1
    ignore: ["E2E_*"]
    e2e:
      env: {E2E_TESTING: "1"}
    services:
      api: {env: {ENVIRONMENT: staging}}
"""


def put(emulator, project, env):
    emulator.state.put_service(service_message(project, "us-central1", "api", env))


def write(root: Path, name: str, text: str) -> None:
    (root / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def root(tmp_path):
    path = tmp_path / "configs"
    path.mkdir()
    return path


def test_the_incident_is_exit_2_for_validate_and_diff_naming_both_lines(emulator, cli, root):
    write(root, "staging.yaml", STAGING_E2E_IGNORED)
    put(emulator, "p-staging", {"ENVIRONMENT": "staging"})  # the E2E set is missing live

    checked = cli("validate", "--config-dir", str(root))
    gated = cli("diff", "staging", "--config-dir", str(root), emulator=emulator)
    as_json = cli("diff", "staging", "--config-dir", str(root), "-o", "json", emulator=emulator)

    path = f"{root}/staging.yaml"
    for result in (checked, gated):
        assert result.exit_code == 2, result.output
        assert "IN SYNC" not in result.output
        assert f"{path}:3: E2E_TESTING is declared in e2e env ({path}:5)" in result.stderr
        assert "drop the ignore entry 'E2E_*'" in result.stderr
    assert as_json.exit_code == 2
    (problem,) = as_json.json()["problems"]
    assert (problem["file"], problem["line"]) == (path, 3)


def test_without_the_ignore_the_incident_is_drift(emulator, cli, root):
    write(root, "staging.yaml", STAGING_E2E_IGNORED.replace('ignore: ["E2E_*"]', "ignore: []"))
    put(emulator, "p-staging", {"ENVIRONMENT": "staging"})

    result = cli("diff", "staging", "--config-dir", str(root), emulator=emulator)

    assert result.exit_code == 3, result.output


@pytest.mark.parametrize("command", ["diff", "audit"])
def test_in_a_protected_environment_ignore_never_hides_leakage(emulator, cli, root, command):
    write(root, "production.yaml", PRODUCTION_IGNORING_E2E)
    put(emulator, "p-prod", {"ENVIRONMENT": "production", "E2E_TESTING": "1"})

    result = cli(command, "production", "--config-dir", str(root), emulator=emulator)

    assert result.exit_code == 4, result.output
    assert "E2E_TESTING" in result.stdout


def test_a_yml_manifest_is_read_like_a_yaml_one(emulator, cli, root):
    write(root, "staging.yml", STAGING)
    put(emulator, "p-staging", {"ENVIRONMENT": "staging"})

    assert cli("validate", "--config-dir", str(root)).exit_code == 0
    result = cli("diff", "staging", "--config-dir", str(root), emulator=emulator)
    assert result.exit_code == 0, result.output


def test_both_spellings_for_one_environment_are_exit_2(emulator, cli, root):
    write(root, "staging.yaml", STAGING)
    write(root, "staging.yml", STAGING)

    result = cli("diff", "staging", "--config-dir", str(root), emulator=emulator)

    assert result.exit_code == 2
    assert f"both {root}/staging.yaml and {root}/staging.yml exist" in result.stderr


@pytest.mark.parametrize(
    "args",
    [("validate",), ("audit",), ("diff", "staging"), ("apply", "staging", "--yes")],
    ids=["validate", "audit", "diff-another-environment", "apply-another-environment"],
)
def test_production_dot_upper_yaml_is_exit_2_never_skipped(emulator, cli, root, args):
    write(root, "staging.yaml", STAGING)
    write(root, "production.YAML", PRODUCTION)
    put(emulator, "p-staging", {"ENVIRONMENT": "staging"})
    put(emulator, "p-prod", {"ENVIRONMENT": "production", "E2E_TESTING": "1"})

    result = cli(*args, "--config-dir", str(root), emulator=emulator)

    assert result.exit_code == 2, result.output
    assert f"{root}/production.YAML" in result.stderr
    assert "rename it to production.yaml" in result.stderr


def test_other_files_in_the_config_dir_are_left_alone(emulator, cli, root):
    write(root, "staging.yaml", STAGING)
    write(root, "README.md", "# our environments\n")
    write(root, ".hidden", "anything")
    put(emulator, "p-staging", {"ENVIRONMENT": "staging"})

    result = cli("audit", "--config-dir", str(root), emulator=emulator)

    assert result.exit_code == 0, result.output


def test_a_protected_environment_declaring_and_ignoring_an_e2e_name_is_leakage(emulator, cli, root):
    # Exit 4 wins over "invalid manifest": the leak is the finding that must page someone.
    write(
        root,
        "production.yaml",
        PRODUCTION_IGNORING_E2E.replace(
            "{env: {ENVIRONMENT: production}}", '{env: {ENVIRONMENT: production, E2E_TESTING: "1"}}'
        ),
    )
    put(emulator, "p-prod", {"ENVIRONMENT": "production"})

    checked = cli("validate", "--config-dir", str(root))
    gated = cli("diff", "production", "--config-dir", str(root), emulator=emulator)

    for result in (checked, gated):
        assert result.exit_code == 4, result.output
        assert "E2E_TESTING" in result.output

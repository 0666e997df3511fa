"""Ignore never hides a declared variable: every overlap is exit 2 naming both lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytool.manifest import load_manifest
from tests.manifest.conftest import manifest_problems, write

# (id, manifest, (declaration line, ignore line), what the message must say)
OVERLAPS = [
    (
        "service-env/manifest-ignore",
        'project: p\nregion: r\nignore: ["BUILD_*"]\nservices:\n  api:\n    env: {BUILD_ID: "7"}\n',
        (6, 3),
        ["BUILD_ID is declared in env of service api", "the manifest's ignore", "narrow"],
    ),
    (
        "service-secret/workload-ignore",
        "project: p\nregion: r\nservices:\n  api:\n"
        '    secrets: {DB_PASSWORD: "db:1"}\n    ignore: [DB_PASSWORD]\n',
        (5, 6),
        [
            "DB_PASSWORD is declared in secrets of service api",
            "the ignore of service api",
            "drop the ignore entry 'DB_PASSWORD'",
        ],
    ),
    (
        "e2e/manifest-ignore (the incident)",
        'project: p\nregion: r\nignore: ["E2E_*"]\ne2e:\n  env: {E2E_TESTING: "1"}\n'
        "services:\n  api: {}\n  web: {}\n",
        (5, 3),
        [
            "E2E_TESTING is declared in e2e env",
            "for service api, service web",
            "could never see the E2E set missing",
            "drop the ignore entry 'E2E_*'",
        ],
    ),
    (
        "e2e-secret/workload-ignore",
        'project: p\nregion: r\ne2e:\n  secrets: {E2E_OAUTH_SIMULATION_KEY: "k:latest"}\n'
        'services:\n  api:\n    ignore: ["*_KEY"]\n',
        (4, 7),
        ["E2E_OAUTH_SIMULATION_KEY is declared in e2e secrets", "the ignore of service api"],
    ),
    (
        "e2e/ignore of a targeted workload",
        'project: p\nregion: r\ne2e:\n  env: {STAGING_E2E_TEST: "1"}\n  services: [api]\n'
        "services:\n  api:\n    ignore: [STAGING_E2E_TEST]\n  web: {}\n",
        (4, 8),
        ["for service api:"],
    ),
]


@pytest.mark.parametrize(
    ("text", "lines", "fragments"), [c[1:] for c in OVERLAPS], ids=[c[0] for c in OVERLAPS]
)
def test_a_declared_variable_that_ignore_matches_is_invalid_naming_both_lines(
    configs: Path, text: str, lines: tuple[int, int], fragments: list[str]
) -> None:
    write(configs, "staging.yaml", text)
    declared, ignored = lines

    (problem,) = manifest_problems(configs, "staging")

    assert (problem.path, problem.line) == ("configs/staging.yaml", ignored)
    assert f"(configs/staging.yaml:{declared})" in problem.message
    assert f"(configs/staging.yaml:{ignored})" in problem.message
    for fragment in fragments:
        assert fragment in problem.message, problem.message


def test_one_problem_per_declaration_and_ignore_entry(configs: Path) -> None:
    write(
        configs,
        "staging.yaml",
        'project: p\nregion: r\nignore: ["A*", "AB"]\nservices:\n'
        '  api: {env: {AB: "1", AC: "2"}, ignore: ["A?"]}\n',
    )

    problems = manifest_problems(configs, "staging")

    pairs = sorted((p.line, p.message.split(" ")[0]) for p in problems)
    assert pairs == [(3, "AB"), (3, "AB"), (3, "AC"), (5, "AB"), (5, "AC")]


@pytest.mark.parametrize(
    "text",
    [
        # ignore names only what the manifest does not declare
        'project: p\nregion: r\nignore: [GIT_SHA, "BUILD_*"]\nservices:\n'
        '  api: {env: {ENVIRONMENT: staging}, ignore: ["OTEL_*"]}\n',
        # the e2e set does not go to the workload that ignores its names
        'project: p\nregion: r\ne2e:\n  env: {E2E_TESTING: "1"}\n  services: [api]\n'
        'services:\n  api: {}\n  web: {ignore: ["E2E_*"]}\n',
        # a workload's ignore does not reach another workload's declarations
        'project: p\nregion: r\nservices:\n  api: {env: {BUILD_ID: "7"}}\n'
        '  web: {ignore: ["BUILD_*"]}\n',
    ],
    ids=["disjoint", "e2e-elsewhere", "other-workload"],
)
def test_ignore_that_hides_no_declaration_is_fine(configs: Path, text: str) -> None:
    write(configs, "staging.yaml", text)

    assert load_manifest(configs, "staging").project == "p"

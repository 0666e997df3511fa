"""`policy.yaml`: defaults when absent, the same strictness as manifests when present."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploytool.core.policy import DEFAULT_ALLOWED, DEFAULT_E2E_NAMES, DEFAULT_E2E_PATTERNS, Policy
from deploytool.errors import ManifestError
from deploytool.manifest import load_policy
from tests.manifest.conftest import marked_line, write

CONTRACT_POLICY = """
e2e:
  names: [E2E_TESTING, PYTEST_RUNNING, STAGING_E2E_TEST, E2E_OAUTH_SIMULATION_KEY, E2E_TEST_ENV]
  patterns: ["E2E_*", "*_E2E_*", "*_E2E"]
  allowed_environments: [staging]
environments:                   # optional: pins each environment to its projects
  staging:    {projects: [netra-staging]}
  production: {projects: [netra-prod]}
"""


def test_absent_policy_is_the_defaults(configs: Path) -> None:
    assert load_policy(configs) == Policy()
    assert load_policy(configs).path is None


def test_contract_policy(configs: Path) -> None:
    write(configs, "policy.yaml", CONTRACT_POLICY)

    policy = load_policy(configs)

    assert policy == Policy(
        e2e_names=DEFAULT_E2E_NAMES,
        e2e_patterns=DEFAULT_E2E_PATTERNS,
        allowed_environments=DEFAULT_ALLOWED,
        pins=(("production", ("netra-prod",)), ("staging", ("netra-staging",))),
    )
    assert policy.path == "configs/policy.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Policy()),
        ("{}", Policy()),
        ("e2e: {allowed_environments: []}\n", Policy(allowed_environments=())),
        ("e2e: {names: [MY_FLAG]}\n", Policy(e2e_names=("MY_FLAG",))),
        (
            "environments: {prod: {projects: [b, a]}}\ne2e: {patterns: []}\n",
            Policy(e2e_patterns=(), pins=(("prod", ("b", "a")),)),
        ),
        ("e2e: {case_sensitive: true}\n", Policy(case_sensitive=True)),
        ("e2e: {case_sensitive: false}\n", Policy()),
        (
            "environments: {prod: {projects: [p], regions: [us-east1, europe-west4]}}\n",
            Policy(pins=(("prod", ("p",)),), regions=(("prod", ("us-east1", "europe-west4")),)),
        ),
        (
            "environments: {prod: {regions: [northamerica-northeast1]}}\n",
            Policy(regions=(("prod", ("northamerica-northeast1",)),)),
        ),
    ],
    ids=[
        "empty-file",
        "empty-mapping",
        "nothing-allowed",
        "own-names",
        "pins-no-patterns",
        "case-sensitive",
        "case-insensitive",
        "regions-and-pins",
        "regions-without-pins",
    ],
)
def test_absent_sections_keep_their_defaults(configs: Path, text: str, expected: Policy) -> None:
    write(configs, "policy.yaml", text)

    assert load_policy(configs) == expected


CASES: list[tuple[str, str, list[str]]] = [
    (
        "unknown-top",
        "e2e: {}\nenvironment: {}  # <-\n",
        ["environment: unknown key", "environments:?"],
    ),
    ("unknown-e2e", "e2e:\n  name: [A]  # <-\n", ["name: unknown key in policy e2e", "names:?"]),
    (
        "unknown-pin",
        "environments:\n  prod: {project: [p]}  # <-\n",
        ["project: unknown key in environment prod", "did you mean projects:?"],
    ),
    ("dup-top", "e2e: {}\ne2e: {}  # <-\n", ["e2e: duplicate key", "(first at line 1)"]),
    (
        "dup-env",
        "environments:\n  prod: {projects: [a]}\n  prod: {projects: [b]}  # <-\n",
        ["prod: duplicate key", "(first at line 2)"],
    ),
    (
        "names-string",
        "e2e:\n  names: E2E_TESTING  # <-\n",
        ["names: expected a list", "found a string"],
    ),
    ("names-bool", "e2e:\n  names: [A, yes]  # <-\n", ["value yes is a boolean", '"yes"']),
    ("names-twice", "e2e:\n  names: [A, A]  # <-\n", ["A is listed twice"]),
    (
        "allowed-bad-name",
        "e2e:\n  allowed_environments: [Staging]  # <-\n",
        ["Staging", "not an environment name"],
    ),
    (
        "pin-bad-env-name",
        "environments:\n  Prod: {projects: [p]}  # <-\n",
        ["Prod", "not an environment name"],
    ),
    ("pin-no-projects", "environments:\n  prod: {}  # <-\n", ["projects: missing"]),
    ("pin-empty-projects", "environments:\n  prod: {projects: []}  # <-\n", ["projects: is empty"]),
    (
        "pin-project-int",
        "environments:\n  prod: {projects: [123]}  # <-\n",
        ["value 123 is a number", '"123"'],
    ),
    (
        "case-string",
        'e2e:\n  case_sensitive: "true"  # <-\n',
        ["case_sensitive: expected true or false", "a string"],
    ),
    (
        "case-yes",
        "e2e:\n  case_sensitive: yes  # <-\n",
        ["case_sensitive: expected true or false", "yes"],
    ),
    ("case-number", "e2e:\n  case_sensitive: 1  # <-\n", ["expected true or false", "a number"]),
    ("case-list", "e2e:\n  case_sensitive: [true]  # <-\n", ["expected true or false", "a list"]),
    ("case-null", "e2e:\n  case_sensitive:  # <-\n", ["expected true or false", "null"]),
    (
        "case-typo",
        "e2e:\n  case_sensitiv: true  # <-\n",
        ["unknown key in policy e2e", "did you mean case_sensitive:?"],
    ),
    (
        "region-upper",
        "environments:\n  prod:\n    regions: [us-east1, US-EAST1]  # <-\n",
        ["prod: regions:", "'US-EAST1' is not a Cloud Run region name"],
    ),
    (
        "region-slash",
        "environments:\n  prod:\n    regions: [us-central1/x]  # <-\n",
        ["'us-central1/x' is not a Cloud Run region name"],
    ),
    (
        "region-space",
        "environments:\n  prod:\n    regions: [US CENTRAL]  # <-\n",
        ["'US CENTRAL' is not a Cloud Run region name"],
    ),
    (
        "region-string",
        "environments:\n  prod:\n    regions: us-east1  # <-\n",
        ["regions: expected a list of Cloud Run regions", "found a string"],
    ),
    (
        "regions-empty",
        "environments:\n  prod:\n    regions: []  # <-\n",
        ["prod: regions: is empty"],
    ),
    ("region-number", "environments:\n  prod: {regions: [1]}  # <-\n", ["value 1 is a number"]),
    ("not-mapping", "- e2e  # <-\n", ["top level: expected a mapping", "found a list"]),
    ("syntax", "e2e: [\n", ["YAML syntax error"]),
    (
        "alias",
        "e2e: {names: &n [A]}\nenvironments: {prod: {projects: *n}}  # <-\n",
        ["aliases (*name) are not allowed"],
    ),
]


@pytest.mark.parametrize(("text", "fragments"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_invalid_policy(configs: Path, text: str, fragments: list[str]) -> None:
    write(configs, "policy.yaml", text)
    line = marked_line(text) if "# <-" in text else 2

    with pytest.raises(ManifestError) as raised:
        load_policy(configs)

    problems = raised.value.problems
    assert raised.value.exit_code == 2
    assert any(
        p.path == "configs/policy.yaml"
        and p.line == line
        and all(f in p.message for f in fragments)
        for p in problems
    ), "\n".join(map(str, problems))

"""Warnings about the policy: valid settings that quietly weaken the gate."""

from __future__ import annotations

import pytest

from deploytool.core.policy import DEFAULT_E2E_NAMES, DEFAULT_E2E_PATTERNS, Policy
from deploytool.core.policy_advice import looks_like_production, policy_warnings

PATH = "configs/policy.yaml"
LINES = (
    ("e2e.names", 2),
    ("e2e.patterns", 3),
    ("e2e.allowed_environments.eu-prod", 4),
    ("e2e.allowed_environments.live", 4),
    ("environments.prod", 6),
)


def policy(**kw) -> Policy:
    return Policy(path=PATH, lines=LINES, **kw)


@pytest.mark.parametrize(
    ("name", "production"),
    [
        ("prod", True),
        ("production", True),
        ("prd", True),
        ("live", True),
        ("eu-prod", True),
        ("prod_us", True),
        ("Production", True),
        ("us-live-2", True),
        ("staging", False),
        ("preprod", False),
        ("delivery", False),
        ("products", False),
        ("dev", False),
    ],
)
def test_looks_like_production(name: str, production: bool) -> None:
    assert looks_like_production(name) is production


@pytest.mark.parametrize(
    ("settings", "environments", "expected"),
    [
        pytest.param({}, ["staging", "production"], [], id="defaults"),
        pytest.param(
            {"e2e_names": DEFAULT_E2E_NAMES[1:]},
            ["staging"],
            [],
            id="name-dropped-but-a-pattern-still-matches",
        ),
        pytest.param(
            {"e2e_names": ("E2E_TESTING",)},
            ["staging"],
            [f"{PATH}:2: e2e.names drops the default E2E name PYTEST_RUNNING"],
            id="name-dropped",
        ),
        pytest.param(
            {"e2e_names": ("pytest_running", *DEFAULT_E2E_NAMES[:1])},
            ["staging"],
            [],
            id="other-case-is-not-a-drop",
        ),
        pytest.param(
            {"e2e_names": ("pytest_running",), "case_sensitive": True},
            ["staging"],
            [f"{PATH}:2: e2e.names drops the default E2E name PYTEST_RUNNING"],
            id="other-case-is-a-drop-when-exact",
        ),
        pytest.param(
            {"e2e_patterns": ("E2E_*",)},
            ["staging"],
            [
                f"{PATH}:3: e2e.patterns drops the default pattern '*_E2E_*'",
                f"{PATH}:3: e2e.patterns drops the default pattern '*_E2E'",
            ],
            id="patterns-dropped",
        ),
        pytest.param(
            {"e2e_patterns": ("*E2E*",)}, ["staging"], [], id="a-broader-pattern-is-no-drop"
        ),
        pytest.param(
            {"allowed_environments": ("staging", "eu-prod", "live")},
            ["staging"],
            [
                f"{PATH}:4: E2E variables are allowed in 'eu-prod', whose name looks like "
                "production",
                f"{PATH}:4: E2E variables are allowed in 'live', whose name looks like production",
            ],
            id="production-like-allowed",
        ),
        pytest.param(
            {"pins": (("prod", ("p",)), ("staging", ("s",)))},
            ["staging", "production"],
            [f"{PATH}:6: environments: 'prod' has no manifest (prod.yaml) in the config directory"],
            id="pinned-without-manifest",
        ),
        pytest.param(
            {"regions": (("prod", ("us-east1",)),)},
            ["production"],
            [f"{PATH}:6: environments: 'prod' has no manifest (prod.yaml) in the config directory"],
            id="regions-without-manifest",
        ),
    ],
)
def test_policy_warnings(settings, environments, expected) -> None:
    found = policy_warnings(policy(**settings), environments)
    assert len(found) == len(expected), found
    assert all(w.startswith(e) for w, e in zip(found, expected, strict=True)), found
    assert all("add it back" in w or "remove it" in w or "add the manifest" in w for w in found)


def test_every_default_pattern_is_checked() -> None:
    found = policy_warnings(policy(e2e_patterns=()), [])
    assert len(found) == len(DEFAULT_E2E_PATTERNS)

"""diff_env and diff_service: every drift kind, secret spellings, ignore rules, containers."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ChangeKind, ServiceStatus, diff_env, diff_service
from deploytool.core.model import EnvVar
from tests.core.builders import PROJECT, container, live, plain, secret, spec

MISSING, UNEXPECTED, CHANGED = ChangeKind.MISSING, ChangeKind.UNEXPECTED, ChangeKind.CHANGED


def kinds(changes) -> list[tuple[str, ChangeKind]]:
    return [(c.name, c.kind) for c in changes]


# (id, desired, live, ignore, expected [(name, kind)])
DIFF_ENV_CASES = [
    ("equal plain", (plain("A", "1"),), (plain("A", "1"),), (), []),
    ("both empty", (), (), (), []),
    ("missing", (plain("A", "1"),), (), (), [("A", MISSING)]),
    ("unexpected", (), (plain("A", "1"),), (), [("A", UNEXPECTED)]),
    ("changed plain value", (plain("A", "1"),), (plain("A", "2"),), (), [("A", CHANGED)]),
    ("plain value is case-sensitive", (plain("A", "x"),), (plain("A", "X"),), (), [("A", CHANGED)]),
    (
        "changed secret name",
        (secret("S", "jwt-secret:3"),),
        (secret("S", "other-secret:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "changed secret version",
        (secret("S", "jwt-secret:3"),),
        (secret("S", "jwt-secret:4"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "latest is not a pinned version",
        (secret("S", "jwt-secret:latest"),),
        (secret("S", "jwt-secret:3"),),
        (),
        [("S", CHANGED)],
    ),
    ("plain to secret", (plain("S", "x"),), (secret("S", "x:1"),), (), [("S", CHANGED)]),
    ("secret to plain", (secret("S", "x:1"),), (plain("S", "x:1"),), (), [("S", CHANGED)]),
    ("equal secret", (secret("S", "jwt:3"),), (secret("S", "jwt:3"),), (), []),
    (
        "short name equals full path in the same project",
        (secret("S", "jwt:3"),),
        (secret("S", f"projects/{PROJECT}/secrets/jwt:3"),),
        (),
        [],
    ),
    (
        "full path in the same project equals short name",
        (secret("S", f"projects/{PROJECT}/secrets/jwt:3"),),
        (secret("S", "jwt:3"),),
        (),
        [],
    ),
    (
        # Without `project_number:` a number cannot be resolved: another project's secret
        # must never pass for this one's (CONTRACT "What the gate reads (v2)").
        "an unknown project number is not the short name",
        (secret("S", "jwt:3"),),
        (secret("S", "projects/123456789/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "numeric project path: version still compared",
        (secret("S", "jwt:3"),),
        (secret("S", "projects/123456789/secrets/jwt:4"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "numeric project path: name still compared",
        (secret("S", "jwt:3"),),
        (secret("S", "projects/123456789/secrets/other:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "another project's path is not the short name",
        (secret("S", "jwt:3"),),
        (secret("S", "projects/netra-prod/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "short name is not another project's path",
        (secret("S", "projects/netra-prod/secrets/jwt:3"),),
        (secret("S", "jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "two full paths in different projects differ",
        (secret("S", "projects/netra-prod/secrets/jwt:3"),),
        (secret("S", f"projects/{PROJECT}/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "same full path of another project is equal",
        (secret("S", "projects/netra-prod/secrets/jwt:3"),),
        (secret("S", "projects/netra-prod/secrets/jwt:3"),),
        (),
        [],
    ),
    (
        "full path by id is not a full path by an unknown number",
        (secret("S", f"projects/{PROJECT}/secrets/jwt:3"),),
        (secret("S", "projects/123456789/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "full path by an unknown number is not a full path by id",
        (secret("S", "projects/123456789/secrets/jwt:3"),),
        (secret("S", f"projects/{PROJECT}/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "two different project numbers are two different secrets",
        (secret("S", "projects/111111111/secrets/jwt:3"),),
        (secret("S", "projects/222222222/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    (
        "the same project number on both sides is the same secret",
        (secret("S", "projects/111111111/secrets/jwt:3"),),
        (secret("S", "projects/111111111/secrets/jwt:3"),),
        (),
        [],
    ),
    (
        "full path by number vs another project's id differs",
        (secret("S", "projects/123456789/secrets/jwt:3"),),
        (secret("S", "projects/netra-prod/secrets/jwt:3"),),
        (),
        [("S", CHANGED)],
    ),
    ("empty string equals no value", (plain("A", ""),), (plain("A", None),), (), []),
    ("no value equals empty string", (plain("A", None),), (plain("A", ""),), (), []),
    ("no value is not a value", (plain("A", None),), (plain("A", "x"),), (), [("A", CHANGED)]),
    ("no value is not a secret", (plain("A", None),), (secret("A", "x:1"),), (), [("A", CHANGED)]),
    ("ignore by name, live only", (), (plain("GIT_SHA", "abc"),), ("GIT_SHA",), []),
    ("ignore by name, desired only", (plain("GIT_SHA", "abc"),), (), ("GIT_SHA",), []),
    (
        "ignore by name, both sides differ",
        (plain("GIT_SHA", "abc"),),
        (plain("GIT_SHA", "def"),),
        ("GIT_SHA",),
        [],
    ),
    ("ignore by glob, live only", (), (plain("BUILD_ID", "7"),), ("BUILD_*",), []),
    ("ignore by glob, desired only", (plain("BUILD_ID", "7"),), (), ("BUILD_*",), []),
    (
        "ignore by glob, both sides differ",
        (plain("BUILD_ID", "7"),),
        (plain("BUILD_ID", "8"),),
        ("BUILD_*",),
        [],
    ),
    (
        "ignore globs are case-sensitive",
        (),
        (plain("build_id", "7"),),
        ("BUILD_*",),
        [("build_id", UNEXPECTED)],
    ),
    (
        "ignore leaves other names alone",
        (plain("A", "1"),),
        (plain("GIT_SHA", "x"), plain("OTHER", "y")),
        ("GIT_SHA",),
        [("A", MISSING), ("OTHER", UNEXPECTED)],
    ),
    (
        "name declared twice keeps the last",
        (plain("A", "1"), plain("A", "2")),
        (plain("A", "2"),),
        (),
        [],
    ),
    (
        "sorted by name whatever the input order",
        (plain("Z", "1"), plain("M", "1"), plain("B", "1")),
        (plain("Y", "1"), plain("M", "2"), plain("A", "1")),
        (),
        [("A", UNEXPECTED), ("B", MISSING), ("M", CHANGED), ("Y", UNEXPECTED), ("Z", MISSING)],
    ),
]


@pytest.mark.parametrize(
    ("desired", "live_env", "ignore", "expected"),
    [case[1:] for case in DIFF_ENV_CASES],
    ids=[case[0] for case in DIFF_ENV_CASES],
)
def test_diff_env(desired, live_env, ignore, expected) -> None:
    changes = diff_env(desired, live_env, ignore, PROJECT)
    assert kinds(changes) == expected


@pytest.mark.parametrize(
    ("desired", "live_env", "kind", "want", "have"),
    [
        ([plain("A", "1")], [], MISSING, plain("A", "1"), None),
        ([], [plain("A", "1")], UNEXPECTED, None, plain("A", "1")),
        ([plain("A", "1")], [plain("A", "2")], CHANGED, plain("A", "1"), plain("A", "2")),
        ([secret("A", "s:1")], [plain("A", "s")], CHANGED, secret("A", "s:1"), plain("A", "s")),
    ],
    ids=["missing", "unexpected", "changed", "secret-vs-plain"],
)
def test_diff_env_carries_both_sides(desired, live_env, kind, want, have) -> None:
    (change,) = diff_env(desired, live_env, (), PROJECT)
    assert change.kind is kind
    assert change.desired == want
    assert change.live == have


def test_line_takes_no_part_in_equality() -> None:
    assert diff_env([plain("A", "1", line=7)], [plain("A", "1")], (), PROJECT) == ()


# ---------------------------------------------------------------- diff_service


def test_live_none_is_missing_with_every_desired_var_minus_ignored() -> None:
    wanted = spec(
        env_vars=(plain("Z", "1"), secret("JWT", "jwt:3"), plain("BUILD_ID", "7"), plain("A", "")),
        ignore=("BUILD_*",),
    )
    result = diff_service(wanted, None)
    assert result.status is ServiceStatus.MISSING
    assert kinds(result.changes) == [("A", MISSING), ("JWT", MISSING), ("Z", MISSING)]
    assert all(c.live is None for c in result.changes)
    assert result.changes[1].desired == secret("JWT", "jwt:3")
    assert result.has_drift


def test_live_none_with_no_env_is_still_missing() -> None:
    result = diff_service(spec(env_vars=()), None)
    assert result.status is ServiceStatus.MISSING
    assert result.changes == ()


def test_service_identity_is_carried() -> None:
    wanted = spec("api", (plain("A", "1"),), project="p1", region="europe-west1")
    result = diff_service(
        wanted, live("api", (plain("A", "1"),), project="p1", region="europe-west1")
    )
    assert (result.service, result.project, result.region) == ("api", "p1", "europe-west1")


# (id, spec container, live containers, expected status, expected container, changes)
GOOD_ENV = (plain("A", "1"),)
BAD_ENV = (plain("A", "2"),)
CONTAINER_CASES = [
    (
        "single container, in sync",
        None,
        (container(GOOD_ENV, "only"),),
        ServiceStatus.IN_SYNC,
        "only",
        [],
    ),
    (
        "single container, drift",
        None,
        (container(BAD_ENV, "only"),),
        ServiceStatus.DRIFT,
        "only",
        [("A", CHANGED)],
    ),
    (
        "single container without a port still chosen",
        None,
        (container(GOOD_ENV, "only", has_port=False),),
        ServiceStatus.IN_SYNC,
        "only",
        [],
    ),
    (
        "named container among several",
        "backend",
        (
            container(BAD_ENV, "sidecar", has_port=True),
            container(GOOD_ENV, "backend", has_port=False),
        ),
        ServiceStatus.IN_SYNC,
        "backend",
        [],
    ),
    (
        "named container drifts, the other is not looked at",
        "backend",
        (container(GOOD_ENV, "sidecar"), container(BAD_ENV, "backend")),
        ServiceStatus.DRIFT,
        "backend",
        [("A", CHANGED)],
    ),
    (
        "multi-container: the one with a port",
        None,
        (
            container(BAD_ENV, "sidecar", has_port=False),
            container(GOOD_ENV, "web", has_port=True),
            container(BAD_ENV, "agent", has_port=False),
        ),
        ServiceStatus.IN_SYNC,
        "web",
        [],
    ),
    (
        "multi-container: the one with a port drifts",
        None,
        (container(GOOD_ENV, "sidecar"), container(BAD_ENV, "web", has_port=True)),
        ServiceStatus.DRIFT,
        "web",
        [("A", CHANGED)],
    ),
]


@pytest.mark.parametrize(
    ("wanted_container", "containers", "status", "chosen", "expected"),
    [case[1:] for case in CONTAINER_CASES],
    ids=[case[0] for case in CONTAINER_CASES],
)
def test_diff_service_container_choice(
    wanted_container, containers, status, chosen, expected
) -> None:
    result = diff_service(
        spec(env_vars=GOOD_ENV, container=wanted_container), live(containers=containers)
    )
    assert result.status is status
    assert result.container == chosen
    assert result.error is None
    assert kinds(result.changes) == expected
    assert result.has_drift is bool(expected)


@pytest.mark.parametrize(
    ("wanted_container", "containers", "must_say"),
    [
        (
            None,
            (container(GOOD_ENV, "a", has_port=True), container(GOOD_ENV, "b", has_port=True)),
            ["set `container:`", "a", "b"],
        ),
        (
            None,
            (container(GOOD_ENV, "a"), container(GOOD_ENV, "b")),
            ["set `container:`", "a", "b"],
        ),
        (
            "backend",
            (container(GOOD_ENV, "web", has_port=True), container(GOOD_ENV, "sidecar")),
            ["'backend'", "not found", "web", "sidecar", "`container:`"],
        ),
        (
            "backend",
            (container(GOOD_ENV, "web"),),
            ["'backend'", "not found", "web", "`container:`"],
        ),
        (None, (), ["set `container:`", "none"]),
    ],
    ids=[
        "ambiguous: two with a port",
        "ambiguous: none with a port",
        "named absent among several",
        "named absent, single other container",
        "no containers at all",
    ],
)
def test_diff_service_container_errors(wanted_container, containers, must_say) -> None:
    result = diff_service(
        spec("svc", GOOD_ENV, container=wanted_container), live("svc", containers=containers)
    )
    assert result.status is ServiceStatus.ERROR
    assert result.changes == ()
    assert result.container is None
    assert result.error is not None
    assert "svc" in result.error
    for fragment in must_say:
        assert fragment in result.error


def test_diff_service_applies_ignore_to_live() -> None:
    wanted = spec(env_vars=GOOD_ENV, ignore=("GIT_SHA", "OTEL_*"))
    have = live(env_vars=(*GOOD_ENV, plain("GIT_SHA", "abc"), plain("OTEL_X", "1")))
    result = diff_service(wanted, have)
    assert result.status is ServiceStatus.IN_SYNC
    assert result.changes == ()


def test_diff_service_compares_secrets_in_service_project() -> None:
    wanted = spec(env_vars=(secret("S", "jwt:3"),), project="netra-prod")
    same = live(env_vars=(secret("S", "projects/netra-prod/secrets/jwt:3"),), project="netra-prod")
    other = live(env_vars=(secret("S", f"projects/{PROJECT}/secrets/jwt:3"),), project="netra-prod")
    assert diff_service(wanted, same).status is ServiceStatus.IN_SYNC
    assert diff_service(wanted, other).status is ServiceStatus.DRIFT


def test_envvar_is_never_both() -> None:
    # Sanity on the model the diff relies on: plain and secret of one name never compare equal.
    assert not EnvVar("A", value="x").same_as(secret("A", "x:1"), PROJECT)
    assert not secret("A", "x:1").same_as(EnvVar("A", value="x"), PROJECT)


NUMBER = "123456789"


@pytest.mark.parametrize(
    ("desired", "live", "expected"),
    [
        ("jwt:3", f"projects/{NUMBER}/secrets/jwt:3", []),
        (f"projects/{NUMBER}/secrets/jwt:3", "jwt:3", []),
        (f"projects/{PROJECT}/secrets/jwt:3", f"projects/{NUMBER}/secrets/jwt:3", []),
        (f"projects/{NUMBER}/secrets/jwt:3", f"projects/{PROJECT}/secrets/jwt:3", []),
        # Another number is another project, even when this project's number is known.
        ("jwt:3", "projects/987654321/secrets/jwt:3", [("S", CHANGED)]),
        (f"projects/{NUMBER}/secrets/jwt:3", "projects/987654321/secrets/jwt:3", [("S", CHANGED)]),
        # The version is still compared.
        ("jwt:3", f"projects/{NUMBER}/secrets/jwt:4", [("S", CHANGED)]),
    ],
)
def test_a_known_project_number_resolves_to_the_project(desired, live, expected) -> None:
    changes = diff_env(
        (secret("S", desired),), (secret("S", live),), (), PROJECT, project_number=NUMBER
    )
    assert kinds(changes) == expected

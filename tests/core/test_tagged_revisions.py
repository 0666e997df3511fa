"""Tagged revisions in the gate: a 0% revision with a tag is reachable at its own URL, so it is
checked for leakage and drift like a serving one, and named with its share, tags and URLs."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ServiceStatus
from deploytool.core.gate import evaluate
from deploytool.core.policy import RULE_LEAKAGE, Policy
from deploytool.core.reachable import ReachableRevision, TagRoute, share_text
from deploytool.core.report import LiveSnapshot, LocationRead, RevisionRead
from tests.core.builders import PROJECT, REGION, env, live, manifest, plain, revision, spec

POLICY = Policy()
WANT = env(ENVIRONMENT="x")
LEAKY = (*WANT, plain("E2E_TESTING", "1"))
CANARY = "https://canary---svc-abcdefghij-uc.a.run.app"
BETA = "https://beta---svc-abcdefghij-uc.a.run.app"


def tagged_live(name="svc", *, tags=(("canary", CANARY),), percent=0, project=PROJECT):
    """The template's revision svc-2 serves; svc-1 is reachable by its tags (and `percent`)."""
    traffic = [("svc-2", 100 - percent)]
    if percent:
        traffic.append(("svc-1", percent))
    traffic += [("svc-1", 0, tag, uri) for tag, uri in tags]
    return live(
        name,
        WANT,
        project=project,
        latest_created="svc-2",
        latest_ready="svc-2",
        ready=True,
        traffic=tuple(traffic),
    )


def evaluate_env(environment, *, managed, old_env, tags=(("canary", CANARY),), percent=0):
    project = f"p-{environment}"
    specs = (
        (spec("svc", WANT, project=project),) if managed else (spec("app", WANT, project=project),)
    )
    m = manifest(specs, environment=environment, project=project)
    services = [tagged_live(tags=tags, percent=percent, project=project)]
    if not managed:
        services.append(live("app", WANT, project=project))
    snapshot = LiveSnapshot(
        locations=(LocationRead(project, REGION, services=tuple(services)),),
        revisions=(
            RevisionRead(
                project, REGION, "svc", "svc-1", revision("svc-1", old_env, project=project)
            ),
        ),
    )
    return evaluate(m, POLICY, snapshot)


# (id, environment, managed, env of the tagged revision, exit code)
CASES = [
    ("production, managed, E2E on the tagged revision", "production", True, LEAKY, 4),
    ("production, unmanaged, E2E on the tagged revision", "production", False, LEAKY, 4),
    ("production, managed, clean tagged revision", "production", True, WANT, 0),
    (
        "staging, managed, other env on the tagged revision",
        "staging",
        True,
        env(ENVIRONMENT="y"),
        3,
    ),
    (
        "staging, unmanaged tagged revision is not compared",
        "staging",
        False,
        env(ENVIRONMENT="y"),
        0,
    ),
    ("staging allows E2E, but the tagged revision still drifts", "staging", True, LEAKY, 3),
]


@pytest.mark.parametrize(
    ("environment", "managed", "old_env", "code"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_tagged_revision_verdicts(environment, managed, old_env, code) -> None:
    report = evaluate_env(environment, managed=managed, old_env=old_env)
    assert int(report.verdict.exit_code) == code


def test_leakage_on_a_tagged_revision_names_tag_url_and_share() -> None:
    report = evaluate_env("production", managed=True, old_env=LEAKY)
    (violation,) = report.violations
    assert (violation.rule, violation.revision, violation.tags) == (
        RULE_LEAKAGE,
        "svc-1",
        ("canary",),
    )
    assert f"revision svc-1 (0%, tag canary, {CANARY}) of svc" in violation.message
    assert "--remove-tags canary" in violation.message


def test_unmanaged_leakage_names_the_tag_too() -> None:
    report = evaluate_env("production", managed=False, old_env=LEAKY)
    (violation,) = report.violations
    assert (violation.service, violation.tags) == ("svc", ("canary",))
    assert CANARY in violation.message


def test_drift_on_a_tagged_revision_carries_its_tags() -> None:
    report = evaluate_env(
        "staging",
        managed=True,
        old_env=env(ENVIRONMENT="y"),
        tags=(("canary", CANARY), ("beta", BETA)),
    )
    (diff,) = report.services
    assert diff.status is ServiceStatus.DRIFT
    (rev,) = diff.revisions
    assert (rev.revision, rev.percent) == ("svc-1", 0)
    assert rev.tags == (TagRoute("beta", BETA), TagRoute("canary", CANARY))


def test_tagged_revision_with_traffic_keeps_its_share() -> None:
    report = evaluate_env("production", managed=True, old_env=LEAKY, percent=10)
    (violation,) = report.violations
    assert f"revision svc-1 (10%, tag canary, {CANARY})" in violation.message
    assert "move its traffic" in violation.message


def test_an_unread_tagged_revision_fails_closed() -> None:
    m = manifest((spec("svc", WANT),))
    snapshot = LiveSnapshot(locations=(LocationRead(PROJECT, REGION, services=(tagged_live(),)),))
    report = evaluate(m, POLICY, snapshot)
    assert int(report.verdict.exit_code) == 5
    assert "svc-1" in (report.services[0].error or "")


@pytest.mark.parametrize(
    ("percent", "tags", "unit", "expected"),
    [
        (20, (), "%", "20%"),
        (20, (), "% of traffic", "20% of traffic"),
        (0, (TagRoute("canary", CANARY),), "%", f"0%, tag canary, {CANARY}"),
        (0, (TagRoute("a", ""),), "%", "0%, tag a"),
        (
            5,
            (TagRoute("a", "https://a"), TagRoute("b", "https://b")),
            "%",
            "5%, tag a, https://a; tag b, https://b",
        ),
    ],
)
def test_share_text(percent, tags, unit, expected) -> None:
    assert share_text(percent, tags, unit=unit) == expected


def test_label() -> None:
    reachable = ReachableRevision("r-old", 0, (TagRoute("canary", CANARY),))
    assert reachable.label() == f"revision r-old (0%, tag canary, {CANARY})"
    assert reachable.tag_names == ("canary",)

"""evaluate: the drift gate on hand-built manifests, policies and live snapshots."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ChangeKind, RevisionDrift, ServiceStatus
from deploytool.core.gate import evaluate, not_ready_reason, serving_revisions_to_read
from deploytool.core.model import E2EBlock
from deploytool.core.policy import RULE_LEAKAGE, RULE_PROJECT_PIN, Policy
from deploytool.core.report import LiveSnapshot, LocationRead, RevisionRead
from deploytool.core.verdict import Status
from tests.core.builders import (
    PROJECT,
    REGION,
    container,
    env,
    live,
    manifest,
    plain,
    revision,
    spec,
)

POLICY = Policy()
WANT = env(ENVIRONMENT="staging", LOG_LEVEL="info")
DRIFTED = env(ENVIRONMENT="staging", LOG_LEVEL="debug")


def snap(*services, error=None, project=PROJECT, region=REGION, revisions=()):
    return LiveSnapshot(
        locations=(LocationRead(project, region, services=tuple(services), error=error),),
        revisions=tuple(revisions),
    )


def staging(*services):
    return manifest(tuple(services) or (spec("svc", WANT),))


def production(*services, e2e=None):
    return manifest(
        tuple(services) or (spec("svc", WANT, project="netra-prod"),),
        environment="production",
        project="netra-prod",
        path="configs/production.yaml",
        e2e=e2e,
    )


def prod_snap(*services, error=None, revisions=()):
    return snap(*services, error=error, project="netra-prod", revisions=revisions)


def prod_live(name="svc", env_vars=WANT, **kw):
    return live(name, env_vars, project="netra-prod", **kw)


def only_service(report):
    (diff,) = report.services
    return diff


# ---------------------------------------------------------------- basic verdicts


def test_in_sync_is_exit_0() -> None:
    report = evaluate(staging(), POLICY, snap(live("svc", WANT)))
    assert report.verdict.exit_code == 0
    assert report.verdict.status is Status.IN_SYNC
    assert only_service(report).status is ServiceStatus.IN_SYNC
    assert report.errors == ()
    assert report.violations == ()
    assert report.environment == "staging"


def test_drift_is_exit_3() -> None:
    report = evaluate(staging(), POLICY, snap(live("svc", DRIFTED)))
    assert report.verdict.exit_code == 3
    assert report.verdict.status is Status.DRIFT
    diff = only_service(report)
    assert diff.status is ServiceStatus.DRIFT
    assert [(c.name, c.kind) for c in diff.changes] == [("LOG_LEVEL", ChangeKind.CHANGED)]


def test_missing_service_is_exit_3() -> None:
    report = evaluate(staging(), POLICY, snap(live("someone-else", WANT)))
    assert report.verdict.exit_code == 3
    diff = only_service(report)
    assert diff.status is ServiceStatus.MISSING
    assert {c.kind for c in diff.changes} == {ChangeKind.MISSING}


def test_empty_location_means_missing_not_error() -> None:
    report = evaluate(staging(), POLICY, snap())
    assert only_service(report).status is ServiceStatus.MISSING
    assert report.verdict.exit_code == 3


# ---------------------------------------------------------------- fail closed


@pytest.mark.parametrize(
    "snapshot",
    [
        snap(error="403 permission denied on run.services.list"),
        snap(live("svc", WANT), error="503 unavailable"),  # an error wins over any content
        LiveSnapshot(),  # the location was never read at all
        snap(live("svc", WANT), project="other-project"),  # only another location was read
        snap(live("svc", WANT), region="europe-west1"),
    ],
    ids=["error", "error-with-services", "not-read", "other-project", "other-region"],
)
def test_unread_location_is_error_exit_5_never_0(snapshot) -> None:
    report = evaluate(staging(), POLICY, snapshot)
    assert report.verdict.exit_code == 5
    assert report.verdict.status is Status.ERROR
    diff = only_service(report)
    assert diff.status is ServiceStatus.ERROR
    assert diff.error
    assert any(e.service == "svc" for e in report.errors)


def test_location_error_message_is_kept() -> None:
    report = evaluate(staging(), POLICY, snap(error="403 permission denied"))
    assert only_service(report).error == "403 permission denied"
    (error,) = report.errors
    assert (error.message, error.service, error.project, error.region) == (
        "403 permission denied",
        "svc",
        PROJECT,
        REGION,
    )


def test_location_error_with_a_violation_is_exit_4() -> None:
    m = production(e2e=E2EBlock(env=(plain("E2E_TESTING", "1"),), line=3))
    report = evaluate(m, POLICY, prod_snap(error="timeout"))
    assert report.verdict.exit_code == 4
    assert report.verdict.status is Status.LEAKAGE
    assert only_service(report).status is ServiceStatus.ERROR
    assert report.errors  # still reported


def test_one_bad_location_of_two_keeps_the_verdict_off_green() -> None:
    m = staging(spec("a", WANT), spec("b", WANT, region="europe-west1"))
    snapshot = LiveSnapshot(
        locations=(
            LocationRead(PROJECT, REGION, services=(live("a", WANT),)),
            LocationRead(PROJECT, "europe-west1", error="network unreachable"),
        )
    )
    report = evaluate(m, POLICY, snapshot)
    assert report.verdict.exit_code == 5
    statuses = {d.service: d.status for d in report.services}
    assert statuses == {"a": ServiceStatus.IN_SYNC, "b": ServiceStatus.ERROR}


def test_error_in_a_location_no_managed_service_uses_is_still_an_error() -> None:
    snapshot = LiveSnapshot(
        locations=(
            LocationRead(PROJECT, REGION, services=(live("svc", WANT),)),
            LocationRead(PROJECT, "asia-east1", error="quota exceeded"),
        )
    )
    report = evaluate(staging(), POLICY, snapshot)
    assert report.verdict.exit_code == 5
    assert any(e.region == "asia-east1" and e.service is None for e in report.errors)


def test_ambiguous_container_is_error_exit_5() -> None:
    two = (container(WANT, "a", has_port=True), container(WANT, "b", has_port=True))
    report = evaluate(staging(), POLICY, snap(live("svc", containers=two)))
    assert report.verdict.exit_code == 5
    diff = only_service(report)
    assert diff.status is ServiceStatus.ERROR
    assert "container:" in diff.error
    (error,) = report.errors
    assert error.service == "svc"


# ---------------------------------------------------------------- policy in the gate


def test_manifest_pin_violation_even_when_in_sync() -> None:
    pinned = Policy(pins=(("staging", ("netra-staging-2",)),))
    report = evaluate(staging(), pinned, snap(live("svc", WANT)))
    assert report.verdict.exit_code == 4
    assert [v.rule for v in report.violations] == [RULE_PROJECT_PIN]
    assert only_service(report).status is ServiceStatus.IN_SYNC


def test_managed_service_with_live_e2e_var_in_production() -> None:
    live_env = (*WANT, plain("E2E_TESTING", "1"))
    report = evaluate(production(), POLICY, prod_snap(prod_live(env_vars=live_env)))
    assert report.verdict.exit_code == 4
    (violation,) = report.violations
    assert (violation.rule, violation.service, violation.variable, violation.source) == (
        RULE_LEAKAGE,
        "svc",
        "E2E_TESTING",
        "live",
    )
    assert only_service(report).status is ServiceStatus.DRIFT


def test_unmanaged_service_with_e2e_var_in_production_is_a_violation() -> None:
    rogue = prod_live("rogue", (plain("E2E_OAUTH_SIMULATION_KEY", "x"),))
    report = evaluate(production(), POLICY, prod_snap(prod_live(), rogue))
    assert report.verdict.exit_code == 4
    assert report.verdict.status is Status.LEAKAGE
    (violation,) = report.violations
    assert violation.service == "rogue"
    assert violation.variable == "E2E_OAUTH_SIMULATION_KEY"
    assert violation.source == "live"
    assert [d.service for d in report.services] == ["svc"]  # not managed, not diffed


def test_unmanaged_service_sidecar_e2e_var_is_a_violation() -> None:
    rogue = prod_live(
        "rogue",
        containers=(container(WANT, "app", has_port=True), container(env(PYTEST_RUNNING="1"))),
    )
    report = evaluate(production(), POLICY, prod_snap(prod_live(), rogue))
    assert [v.variable for v in report.violations] == ["PYTEST_RUNNING"]


def test_unmanaged_service_with_e2e_var_in_staging_is_fine() -> None:
    tester = live("tester", env(E2E_TESTING="1"))
    report = evaluate(staging(), POLICY, snap(live("svc", WANT), tester))
    assert report.violations == ()
    assert report.verdict.exit_code == 0


def test_production_e2e_block_in_manifest_is_exit_4_even_in_sync() -> None:
    m = production(e2e=E2EBlock(env=(plain("E2E_TESTING", "1"),), line=3))
    report = evaluate(m, POLICY, prod_snap(prod_live()))
    assert report.verdict.exit_code == 4
    assert any("configs/production.yaml:3" in v.message for v in report.violations)


# ---------------------------------------------------------------- only= and unmanaged


def two_services():
    return staging(spec("a", WANT), spec("b", WANT))


@pytest.mark.parametrize(
    ("only", "services", "code"),
    [
        (None, ["a", "b"], 3),
        ({"a"}, ["a"], 0),
        (["b"], ["b"], 3),
        (("a", "b"), ["a", "b"], 3),
        (set(), [], 0),
        ({"not-in-manifest"}, [], 0),
    ],
)
def test_only_filters_managed_services(only, services, code) -> None:
    snapshot = snap(live("a", WANT), live("b", DRIFTED))
    report = evaluate(two_services(), POLICY, snapshot, only=only)
    assert [d.service for d in report.services] == services
    assert report.verdict.exit_code == code


def test_only_still_checks_unmanaged_services_for_leakage() -> None:
    m = production(spec("a", WANT, project="netra-prod"), spec("b", WANT, project="netra-prod"))
    rogue = prod_live("rogue", env(E2E_TESTING="1"))
    report = evaluate(m, POLICY, prod_snap(prod_live("a"), prod_live("b"), rogue), only={"a"})
    assert [d.service for d in report.services] == ["a"]
    assert [v.service for v in report.violations] == ["rogue"]
    assert report.verdict.exit_code == 4


def test_only_still_fails_closed_on_read_error() -> None:
    report = evaluate(two_services(), POLICY, snap(error="boom"), only={"a"})
    assert report.verdict.exit_code == 5
    assert [d.status for d in report.services] == [ServiceStatus.ERROR]


@pytest.mark.parametrize("list_unmanaged", [True, False])
def test_list_unmanaged(list_unmanaged: bool) -> None:
    snapshot = LiveSnapshot(
        locations=(
            LocationRead(
                PROJECT, REGION, services=(live("zeta"), live("svc", WANT), live("alpha"))
            ),
            LocationRead(
                PROJECT,
                "europe-west1",
                services=(live("svc", WANT, region="europe-west1"),),  # same name, other region
            ),
        )
    )
    report = evaluate(staging(), POLICY, snapshot, list_unmanaged=list_unmanaged)
    listed = [(u.service, u.project, u.region) for u in report.unmanaged]
    if list_unmanaged:
        assert listed == [
            ("svc", PROJECT, "europe-west1"),
            ("alpha", PROJECT, REGION),
            ("zeta", PROJECT, REGION),
        ]
    else:
        assert listed == []
    assert report.verdict.exit_code == 0  # unmanaged services are not drift


def test_services_are_sorted() -> None:
    m = staging(spec("zeta", WANT), spec("alpha", WANT), spec("mid", WANT))
    snapshot = snap(live("zeta", WANT), live("alpha", WANT), live("mid", WANT))
    report = evaluate(m, POLICY, snapshot)
    assert [d.service for d in report.services] == ["alpha", "mid", "zeta"]


def test_warnings_are_carried() -> None:
    report = evaluate(staging(), POLICY, snap(live("svc", WANT)), warnings=("w1",))
    assert report.warnings == ("w1",)


# ---------------------------------------------------------------- serving revisions


# (id, latest_created, latest_ready, ready, traffic, expected reads)
URI_CANARY = "https://canary---svc-abcdefghij-uc.a.run.app"
SERVING_CASES = [
    ("no traffic info", "svc-2", "svc-2", True, (), []),
    ("all traffic on the template", "svc-2", "svc-2", True, (("svc-2", 100),), []),
    (
        "template ready: only other serving revisions",
        "svc-3",
        "svc-3",
        True,
        (("svc-3", 50), ("svc-2", 30), ("svc-1", 20)),
        [("svc-1", 20), ("svc-2", 30)],
    ),
    (
        "zero percent is not serving",
        "svc-3",
        "svc-3",
        True,
        (("svc-3", 90), ("svc-2", 10), ("svc-1", 0)),
        [("svc-2", 10)],
    ),
    (
        "ready unknown is treated as ready",
        "svc-3",
        "svc-3",
        None,
        (("svc-3", 60), ("svc-2", 40)),
        [("svc-2", 40)],
    ),
    (
        "latest created not ready: the older serving revision is read",
        "svc-3",
        "svc-2",
        False,
        (("svc-2", 100),),
        [("svc-2", 100)],
    ),
    (
        "latest created differs from latest ready, even if the service says ready",
        "svc-3",
        "svc-2",
        True,
        (("svc-2", 100),),
        [("svc-2", 100)],
    ),
    (
        "latest created is not latest ready: it is not the template's, read it if serving",
        "svc-3",
        "svc-2",
        None,
        (("svc-3", 50), ("svc-2", 50)),
        [("svc-2", 50), ("svc-3", 50)],
    ),
    (
        "service not ready: even the latest created is read when it serves",
        "svc-3",
        "svc-3",
        False,
        (("svc-3", 100),),
        [("svc-3", 100)],
    ),
    (
        "split entries of one revision are summed",
        "svc-3",
        "svc-3",
        True,
        (("svc-1", 10), ("svc-3", 80), ("svc-1", 10)),
        [("svc-1", 20)],
    ),
    ("empty revision name is skipped", "svc-3", "svc-3", True, (("", 100),), []),
    (
        "a tag makes a 0% revision reachable",
        "svc-3",
        "svc-3",
        True,
        (("svc-3", 100), ("svc-1", 0, "canary", URI_CANARY)),
        [("svc-1", 0, (("canary", URI_CANARY),))],
    ),
    (
        "the template's own tagged revision is not read",
        "svc-3",
        "svc-3",
        True,
        (("svc-3", 100, "", ""), ("svc-3", 0, "latest", "https://latest---svc")),
        [],
    ),
    (
        "several tags on one revision: one read, every tag listed in order",
        "svc-3",
        "svc-3",
        True,
        (
            ("svc-3", 90),
            ("svc-2", 0, "zeta", "https://zeta---svc"),
            ("svc-2", 10, "", ""),
            ("svc-2", 0, "beta", "https://beta---svc"),
        ),
        [("svc-2", 10, (("beta", "https://beta---svc"), ("zeta", "https://zeta---svc")))],
    ),
    (
        "a tag with traffic keeps its share",
        "svc-3",
        "svc-3",
        True,
        (("svc-3", 70), ("svc-2", 30, "old", "")),
        [("svc-2", 30, (("old", ""),))],
    ),
    (
        "untagged 0% next to a tagged revision: only the tagged one",
        "svc-3",
        "svc-3",
        True,
        (("svc-3", 100), ("svc-2", 0, "", ""), ("svc-1", 0, "b", "https://b---svc")),
        [("svc-1", 0, (("b", "https://b---svc"),))],
    ),
    (
        "failed rollout: the template's revision is tagged and read like any other",
        "svc-3",
        "svc-2",
        False,
        (("svc-2", 100), ("svc-3", 0, "next", "https://next---svc")),
        [("svc-2", 100, ()), ("svc-3", 0, (("next", "https://next---svc"),))],
    ),
]


@pytest.mark.parametrize(
    ("created", "ready_rev", "ready", "traffic", "expected"),
    [case[1:] for case in SERVING_CASES],
    ids=[case[0] for case in SERVING_CASES],
)
def test_serving_revisions_to_read(created, ready_rev, ready, traffic, expected) -> None:
    service = live(latest_created=created, latest_ready=ready_rev, ready=ready, traffic=traffic)
    got = serving_revisions_to_read(service)
    if all(len(entry) == 2 for entry in expected):
        assert [(r.revision, r.percent) for r in got] == expected
        assert all(r.tags == () for r in got)
    else:
        assert [
            (r.revision, r.percent, tuple((t.tag, t.uri) for t in r.tags)) for r in got
        ] == expected


@pytest.mark.parametrize(
    ("created", "ready_rev", "ready", "message", "expected"),
    [
        ("svc-2", "svc-2", True, "", None),
        ("svc-2", "svc-2", None, "", None),
        ("", "", None, "", None),
        ("svc-3", "svc-2", None, "", "latest revision svc-3 is not ready"),
        ("svc-3", "svc-2", False, "image not found", "latest revision svc-3 is not ready: "),
        ("svc-2", "svc-2", False, "quota", "latest revision svc-2 is not ready: quota"),
    ],
)
def test_not_ready_reason(created, ready_rev, ready, message, expected) -> None:
    service = live(
        latest_created=created, latest_ready=ready_rev, ready=ready, condition_message=message
    )
    reason = not_ready_reason(service)
    if expected is None:
        assert reason is None
    else:
        assert reason is not None
        assert reason.startswith(expected)
        assert message in reason


def split_live(env_vars=WANT, old="svc-1", percent=20, **kw):
    return live(
        "svc",
        env_vars,
        latest_created="svc-2",
        latest_ready="svc-2",
        ready=True,
        traffic=(("svc-2", 100 - percent), (old, percent)),
        **kw,
    )


def test_old_serving_revision_with_other_env_is_drift() -> None:
    snapshot = snap(
        split_live(),
        revisions=[RevisionRead(PROJECT, REGION, "svc", "svc-1", revision("svc-1", DRIFTED))],
    )
    report = evaluate(staging(), POLICY, snapshot)
    assert report.verdict.exit_code == 3
    diff = only_service(report)
    assert diff.status is ServiceStatus.DRIFT
    assert diff.changes == ()  # the template itself is in sync
    (rev,) = diff.revisions
    assert isinstance(rev, RevisionDrift)
    assert (rev.revision, rev.percent) == ("svc-1", 20)
    assert [(c.name, c.kind) for c in rev.changes] == [("LOG_LEVEL", ChangeKind.CHANGED)]
    assert diff.has_drift


def test_old_serving_revision_with_same_env_is_in_sync() -> None:
    snapshot = snap(
        split_live(),
        revisions=[RevisionRead(PROJECT, REGION, "svc", "svc-1", revision("svc-1", WANT))],
    )
    report = evaluate(staging(), POLICY, snapshot)
    assert report.verdict.exit_code == 0
    assert only_service(report).revisions == ()


def test_template_drift_and_revision_drift_both_reported() -> None:
    snapshot = snap(
        split_live(DRIFTED),
        revisions=[RevisionRead(PROJECT, REGION, "svc", "svc-1", revision("svc-1", env(A="1")))],
    )
    diff = only_service(evaluate(staging(), POLICY, snapshot))
    assert diff.status is ServiceStatus.DRIFT
    assert [c.name for c in diff.changes] == ["LOG_LEVEL"]
    assert [r.revision for r in diff.revisions] == ["svc-1"]


@pytest.mark.parametrize(
    "reads",
    [
        [],
        [RevisionRead(PROJECT, REGION, "svc", "svc-1", error="403 on revisions.get")],
        [RevisionRead(PROJECT, REGION, "svc", "svc-0", revision("svc-0", WANT))],  # wrong one
        [RevisionRead(PROJECT, REGION, "other", "svc-1", revision("svc-1", WANT))],
    ],
    ids=["absent", "read-error", "other-revision", "other-service"],
)
def test_unread_serving_revision_is_error_exit_5(reads) -> None:
    report = evaluate(staging(), POLICY, snap(split_live(), revisions=reads))
    assert report.verdict.exit_code == 5
    diff = only_service(report)
    assert diff.status is ServiceStatus.ERROR
    assert "svc-1" in diff.error
    assert any(e.service == "svc" and "svc-1" in e.message for e in report.errors)


def test_revision_read_error_message_is_kept() -> None:
    reads = [RevisionRead(PROJECT, REGION, "svc", "svc-1", error="403 on revisions.get")]
    report = evaluate(staging(), POLICY, snap(split_live(), revisions=reads))
    assert "403 on revisions.get" in only_service(report).error


def test_e2e_var_on_serving_revision_in_production() -> None:
    service = split_live(project="netra-prod")
    reads = [
        RevisionRead(
            "netra-prod",
            REGION,
            "svc",
            "svc-1",
            revision("svc-1", (*WANT, plain("E2E_TESTING", "1")), project="netra-prod"),
        )
    ]
    report = evaluate(production(), POLICY, prod_snap(service, revisions=reads))
    assert report.verdict.exit_code == 4
    (violation,) = report.violations
    assert violation.revision == "svc-1"
    assert violation.variable == "E2E_TESTING"
    assert violation.service == "svc"
    assert "svc-1" in violation.message
    (rev,) = only_service(report).revisions
    assert rev.revision == "svc-1"


def test_e2e_var_on_serving_revision_in_staging_is_fine() -> None:
    reads = [
        RevisionRead(
            PROJECT, REGION, "svc", "svc-1", revision("svc-1", (*WANT, plain("E2E_TESTING", "1")))
        )
    ]
    report = evaluate(staging(), POLICY, snap(split_live(), revisions=reads))
    assert report.violations == ()
    assert report.verdict.exit_code == 3  # the revision still drifts


def test_e2e_var_on_serving_revision_of_unmanaged_service_in_production() -> None:
    # CONTRACT: leakage is "live on any of its services (managed or not), including the
    # revisions that serve traffic". The snapshot holds the read revision; it must be checked.
    rogue = live(
        "rogue",
        WANT,
        project="netra-prod",
        latest_created="rogue-2",
        latest_ready="rogue-2",
        ready=True,
        traffic=(("rogue-2", 90), ("rogue-1", 10)),
    )
    reads = [
        RevisionRead(
            "netra-prod",
            REGION,
            "rogue",
            "rogue-1",
            revision("rogue-1", env(E2E_TESTING="1"), service="rogue", project="netra-prod"),
        )
    ]
    report = evaluate(production(), POLICY, prod_snap(prod_live(), rogue, revisions=reads))
    assert [(v.service, v.variable, v.revision) for v in report.violations] == [
        ("rogue", "E2E_TESTING", "rogue-1")
    ]
    assert report.verdict.exit_code == 4


def test_not_ready_is_set_when_latest_created_is_not_latest_ready() -> None:
    service = live(
        "svc",
        WANT,
        latest_created="svc-3",
        latest_ready="svc-2",
        ready=False,
        condition_message="container failed to start",
        traffic=(("svc-2", 100),),
    )
    reads = [RevisionRead(PROJECT, REGION, "svc", "svc-2", revision("svc-2", WANT))]
    report = evaluate(staging(), POLICY, snap(service, revisions=reads))
    diff = only_service(report)
    assert diff.not_ready is not None
    assert "svc-3" in diff.not_ready
    assert "container failed to start" in diff.not_ready
    assert diff.status is ServiceStatus.IN_SYNC
    assert report.verdict.exit_code == 0


def test_not_ready_is_none_when_latest_is_ready() -> None:
    report = evaluate(staging(), POLICY, snap(split_live(percent=0)))
    diff = only_service(report)
    assert diff.not_ready is None
    assert diff.status is ServiceStatus.IN_SYNC

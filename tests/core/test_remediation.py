"""Which live leakage apply's planned writes remove, and which would remain (with its remedy).
Pure: hand-built snapshots through after_writes + the gate's own evaluate."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from deploytool.core.gate import evaluate
from deploytool.core.model import LiveService, TrafficShare
from deploytool.core.plan import plan_service
from deploytool.core.policy import Policy
from deploytool.core.remediation import NEXT_REVISION, after_writes, describe
from deploytool.core.report import LiveSnapshot, LocationRead, RevisionRead
from tests.core.builders import container, env, live, manifest, revision, spec

PROD = "p-prod"
CURRENT = "svc-00002-cur"
OLD = "svc-00001-old"


def latest(percent: int = 100) -> TrafficShare:
    return TrafficShare(CURRENT, percent, follows_latest=True)


def pinned(name: str, percent: int) -> TrafficShare:
    return TrafficShare(name, percent)


def managed(**fields: Any) -> LiveService:
    """The managed service, its template's revision serving (LATEST unless replaced)."""
    service = live(
        "svc", project=PROD, latest_created=CURRENT, latest_ready=CURRENT, ready=True, **fields
    )
    return replace(service, traffic=(latest(),))


CASES = [
    ("template leak, LATEST traffic", [managed(env_vars=env(E2E_TESTING="1"))], (), [], []),
    (
        "template leak, traffic pinned to the template's revision",
        [
            replace(
                managed(env_vars=env(E2E_TESTING="1")),
                traffic=(pinned(CURRENT, 100),),
            )
        ],
        (),
        [],
        [("E2E_TESTING", CURRENT, None)],
    ),
    (
        "old revision serving 10% with a leak",
        [replace(managed(env_vars=env(A="1")), traffic=(latest(90), pinned(OLD, 10)))],
        (),
        [revision(OLD, env(E2E_TESTING="1"))],
        [("E2E_TESTING", OLD, None)],
    ),
    (
        "old revision serving 10% without a leak",
        [replace(managed(env_vars=env(E2E_TESTING="1")), traffic=(latest(90), pinned(OLD, 10)))],
        (),
        [revision(OLD, env(A="1"))],
        [],
    ),
    (
        "sidecar leak",
        [
            managed(
                containers=(
                    container(env(E2E_TESTING="1"), name="app", has_port=True),
                    container(env(E2E_TEST_ENV="x"), name="otel"),
                )
            )
        ],
        (),
        [],
        [("E2E_TEST_ENV", None, "otel")],
    ),
    ("ignored name", [managed(env_vars=env(E2E_X="1"))], ("E2E_*",), [], [("E2E_X", None, "app")]),
    (
        "unmanaged service",
        [managed(env_vars=env(A="1")), live("legacy", env(PYTEST_RUNNING="1"), project=PROD)],
        (),
        [],
        [("PYTEST_RUNNING", None, "app")],
    ),
]


@pytest.mark.parametrize(
    ("services", "ignore", "revisions", "remaining"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_what_remains_after_the_planned_writes(services, ignore, revisions, remaining):
    desired = spec("svc", env(A="1"), project=PROD, ignore=ignore)
    prod = manifest((desired,), environment="production", project=PROD)
    policy = Policy()
    snapshot = LiveSnapshot(
        locations=(LocationRead(PROD, "us-central1", services=tuple(services)),),
        revisions=tuple(
            RevisionRead(PROD, "us-central1", "svc", r.name, revision=replace(r, project=PROD))
            for r in revisions
        ),
    )
    target = next(s for s in services if s.name == "svc")
    managed_container = next(
        c for c in target.containers if c.has_port or len(target.containers) == 1
    )
    plan = plan_service(desired, managed_container.name, managed_container.env)
    after = after_writes(snapshot, [plan])
    left = evaluate(prod, policy, after).violations
    pieces = describe(left, after, prod, {"svc"})
    assert sorted((p.variable, p.revision, p.container) for p in pieces) == sorted(remaining)
    assert all("gcloud run services" in p.remedy for p in pieces)
    written = next(s for s in after.locations[0].services if s.name == "svc")
    assert written.latest_created_revision == NEXT_REVISION

"""The pure side of saved plans: keyed digests, and the comparison that decides whether a
saved plan still holds. Tables, no I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deploytool.core.plan import plan_service
from deploytool.core.saved_plan import (
    PlannedChange,
    PlannedWorkload,
    SavedPlan,
    age_problem,
    env_digest,
    manifest_changes,
    planned_workload,
    value_digest,
    workload_changes,
)
from tests.core.builders import plain, secret, spec

SALT = "00" * 16
OTHER_SALT = "11" * 16
D = "d" * 64
DIFFER = ["svc's changes differ from the plan: re-plan"]


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        ((SALT, plain("A", "1")), (SALT, plain("A", "1")), True),
        ((SALT, plain("A", "1")), (OTHER_SALT, plain("A", "1")), False),  # keyed per plan
        ((SALT, plain("A", "1")), (SALT, plain("A", "2")), False),
        ((SALT, plain("A", "1")), (SALT, plain("B", "1")), False),  # the name is bound too
        ((SALT, plain("A", "")), (SALT, plain("A")), True),  # Cloud Run: no value is ""
        ((SALT, secret("A", "s:1")), (SALT, secret("A", "s:2")), False),
        ((SALT, secret("A", "s:1")), (SALT, plain("A", "s:1")), False),  # plain vs secret
        ((SALT, plain("A", '1","x')), (SALT, plain("A", "1")), False),  # no field splicing
    ],
)
def test_value_digests(a, b, equal):
    assert (value_digest(*a) == value_digest(*b)) is equal


def test_a_digest_is_hex_and_holds_no_value():
    digest = value_digest(SALT, plain("A", "hunter2"))
    assert len(digest) == 64 and set(digest) <= set("0123456789abcdef")


def test_env_digest_binds_the_order():
    one, two = plain("A", "1"), plain("B", "$(A)")
    assert env_digest(SALT, [one, two]) != env_digest(SALT, [two, one])


def test_planned_workload_records_changes_sorted_without_values():
    s = spec("svc", (plain("B", "new"), plain("A", "1")))
    p = plan_service(s, "app", [plain("B", "old"), plain("OLD", "x")])
    w = planned_workload(SALT, p, "etag-1")
    assert [(c.name, c.kind) for c in w.changes] == [
        ("A", "missing"), ("B", "changed"), ("OLD", "unexpected"),
    ]  # fmt: skip
    assert w.changes[2].desired_digest is None
    assert w.changes[1].desired_digest == value_digest(SALT, plain("B", "new"))
    assert w.etag == "etag-1" and w.container == "app"


def workload(name="svc", kind="service", etag="e1", changes=(), env=D, container="app"):
    return PlannedWorkload(kind, name, "p", "r", container, etag, tuple(changes), env)


CHANGE = PlannedChange("A", "missing", D)


@pytest.mark.parametrize(
    ("saved", "now", "expected"),
    [
        ([workload()], [workload()], []),
        ([workload()], [workload(etag="e2")], ["svc's etag changed since the plan: re-plan"]),
        (
            [workload(kind="job", name="migrate")],
            [workload(kind="job", name="migrate", etag="e2")],
            ["job migrate's etag changed since the plan: re-plan"],
        ),
        ([workload(changes=[CHANGE])], [workload()], DIFFER),
        ([workload()], [workload(env="e" * 64)], DIFFER),
        (
            [workload()],
            [workload(container="other")],
            ["svc's managed container is now 'other': re-plan"],
        ),
        ([workload()], [], ["svc is no longer planned (gone, or no longer managed)"]),
        ([], [workload()], ["svc was not in the plan: re-plan"]),
        # A service and a job may share a name: they are different workloads.
        ([workload(), workload(kind="job")], [workload(), workload(kind="job")], []),
    ],
)  # fmt: skip
def test_workload_changes(saved, now, expected):
    assert workload_changes(saved, now) == expected


@pytest.mark.parametrize(
    ("saved", "now", "expected"),
    [
        ({"a.yaml": "1"}, {"a.yaml": "1"}, []),
        ({"a.yaml": "1"}, {"a.yaml": "2"}, ["a.yaml changed since the plan"]),
        ({"a.yaml": "1"}, {"a.yaml": "1", "p.yaml": "3"}, ["p.yaml was added since the plan"]),
        ({"a.yaml": "1", "b.yaml": "2"}, {"a.yaml": "1"}, ["b.yaml was removed since the plan"]),
    ],
)  # fmt: skip
def test_manifest_changes(saved, now, expected):
    assert manifest_changes(tuple(saved.items()), tuple(now.items())) == expected


MADE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
PLAN = SavedPlan("staging", MADE, "0.1.0", SALT, (("a.yaml", D),), (), ())


@pytest.mark.parametrize(
    ("age", "max_age", "stale"),
    [
        (timedelta(hours=23, minutes=59), timedelta(hours=24), False),
        (timedelta(hours=24), timedelta(hours=24), False),
        (timedelta(hours=24, seconds=1), timedelta(hours=24), True),
        (timedelta(minutes=31), timedelta(minutes=30), True),
        (timedelta(0), timedelta(minutes=30), False),
    ],
)
def test_age(age, max_age, stale):
    problem = age_problem(PLAN, MADE + age, max_age)
    assert (problem is not None) is stale
    if stale:
        assert problem is not None and problem.startswith("stale plan")


def test_stale_message_names_both_durations():
    problem = age_problem(replace(PLAN), MADE + timedelta(days=3), timedelta(hours=6))
    assert problem is not None and "3d ago" in problem and "--plan-max-age 6h" in problem

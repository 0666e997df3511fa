"""The env a write sends: live order kept, ignored names untouched, references first."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ChangeKind
from deploytool.core.plan import merged_env, order_for_references, plan_service, same_plan
from tests.core.builders import plain, secret, spec


def names(env):
    return [v.name for v in env]


@pytest.mark.parametrize(
    ("desired", "live", "ignore", "expected"),
    [
        # untouched variables keep their live place; new ones go at the end
        ({"A": "1", "B": "2", "C": "3"}, {"B": "2", "A": "1"}, (), ["B", "A", "C"]),
        # a changed value is replaced in place
        ({"A": "1", "B": "new"}, {"B": "old", "A": "1"}, (), ["B", "A"]),
        # live-only and not ignored: removed
        ({"A": "1"}, {"A": "1", "OLD": "x"}, (), ["A"]),
        # live-only and ignored: kept where it was
        ({"A": "1"}, {"GIT_SHA": "abc", "A": "1"}, ("GIT_SHA",), ["GIT_SHA", "A"]),
        # glob ignore
        ({"A": "1"}, {"BUILD_ID": "7", "A": "0"}, ("BUILD_*",), ["BUILD_ID", "A"]),
    ],
    ids=["order", "replace-in-place", "remove", "ignored-kept", "ignored-glob"],
)
def test_merged_env_order_and_ownership(desired, live, ignore, expected):
    s = spec("svc", tuple(plain(k, v) for k, v in desired.items()), ignore=ignore)
    result = merged_env(s, [plain(k, v) for k, v in live.items()])
    assert names(result) == expected
    by_name = {v.name: v for v in result}
    for name, value in desired.items():
        assert by_name[name].value == value
    for name in set(live) - set(desired):
        if name in expected:
            assert by_name[name].value == live[name], "ignored values are untouched"


def test_equal_secret_spelled_differently_is_left_as_live():
    s = spec("svc", (secret("K", "projects/netra-staging/secrets/key:3"),))
    live = [secret("K", "key:3")]
    assert merged_env(s, live) == tuple(live)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ([("URL", "http://$(HOST):80"), ("HOST", "db")], ["HOST", "URL"]),
        ([("A", "$(B)"), ("B", "$(C)"), ("C", "x")], ["C", "B", "A"]),
        ([("A", "$$(B)"), ("B", "x")], ["A", "B"]),  # escaped: no reference
        ([("A", "$(NOPE)"), ("B", "x")], ["A", "B"]),  # unknown name: nothing to move
        ([("A", "$(B)"), ("B", "$(A)")], ["B", "A"]),  # a cycle stays stable, no recursion
    ],
    ids=["moved-before-user", "chain", "escaped", "unknown", "cycle"],
)
def test_referenced_variables_come_before_their_users(env, expected):
    assert names(order_for_references([plain(k, v) for k, v in env])) == expected


def test_plan_service_noop_sends_live_env_unchanged():
    live = [plain("B", "2"), plain("A", "1")]
    plan = plan_service(spec("svc", (plain("A", "1"), plain("B", "2"))), "app", live)
    assert plan.is_noop and plan.new_env == tuple(live)


def test_plan_service_lists_changes_and_new_env():
    plan = plan_service(spec("svc", (plain("A", "2"),)), "app", [plain("A", "1"), plain("X", "")])
    assert [(c.name, c.kind) for c in plan.changes] == [
        ("A", ChangeKind.CHANGED),
        ("X", ChangeKind.UNEXPECTED),
    ]
    assert plan.new_env == (plain("A", "2"),)
    assert plan.container == "app"


@pytest.mark.parametrize(
    ("live_a", "live_b", "same"),
    [
        ([plain("A", "1")], [plain("A", "1")], True),
        ([plain("A", "1")], [plain("A", "1"), plain("HOTFIX", "on")], False),
        ([plain("A", "1")], [plain("A", "other")], False),
    ],
    ids=["identical", "new-live-variable", "other-live-value"],
)
def test_same_plan_detects_a_changed_situation(live_a, live_b, same):
    s = spec("svc", (plain("A", "2"),))
    a = plan_service(s, "app", live_a).changes
    b = plan_service(s, "app", live_b).changes
    assert same_plan(a, b) is same

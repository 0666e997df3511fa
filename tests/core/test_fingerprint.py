"""Drift versus pending: each difference's origin from what deploytool last applied."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ChangeKind, EnvChange, Origin
from deploytool.core.fingerprint import (
    applied_record,
    classify,
    digest,
    fingerprint,
    kinds_summary,
    parse_record,
    with_origins,
)
from tests.core.builders import plain, secret

APPLIED = [plain("A", "1"), plain("B", "1"), secret("S", "key:3")]
RECORD = parse_record(applied_record(APPLIED))


@pytest.mark.parametrize(
    ("change", "origin"),
    [
        # live changed since the apply, manifest did not
        (EnvChange("A", ChangeKind.CHANGED, plain("A", "1"), plain("A", "hand")), Origin.DRIFT),
        # manifest changed since, live did not
        (EnvChange("A", ChangeKind.CHANGED, plain("A", "2"), plain("A", "1")), Origin.PENDING),
        # both changed
        (EnvChange("A", ChangeKind.CHANGED, plain("A", "2"), plain("A", "3")), Origin.UNKNOWN),
        # someone added a variable live
        (EnvChange("NEW", ChangeKind.UNEXPECTED, None, plain("NEW", "x")), Origin.DRIFT),
        # the manifest added one
        (EnvChange("NEW", ChangeKind.MISSING, plain("NEW", "x"), None), Origin.PENDING),
        # someone removed an applied variable live
        (EnvChange("B", ChangeKind.MISSING, plain("B", "1"), None), Origin.DRIFT),
        # the manifest dropped an applied variable
        (EnvChange("B", ChangeKind.UNEXPECTED, None, plain("B", "1")), Origin.PENDING),
        # a secret version bumped in the manifest
        (
            EnvChange("S", ChangeKind.CHANGED, secret("S", "key:4"), secret("S", "key:3")),
            Origin.PENDING,
        ),
    ],
    ids=[
        "live-edit",
        "manifest-edit",
        "both",
        "live-added",
        "manifest-added",
        "live-removed",
        "manifest-removed",
        "secret-version",
    ],
)
def test_classify(change, origin):
    assert classify(change, RECORD) is origin


@pytest.mark.parametrize("text", [None, "", "not json", "[1, 2]", '{"A": 1}'])
def test_no_or_unreadable_record_is_unknown(text):
    change = EnvChange("A", ChangeKind.CHANGED, plain("A", "2"), plain("A", "1"))
    assert with_origins([change], text)[0].origin is Origin.UNKNOWN


def test_record_holds_digests_not_values():
    text = applied_record([plain("API_KEY", "sk_live_canary_value")])
    assert "sk_live_canary_value" not in text
    assert parse_record(text) == {"API_KEY": digest(plain("API_KEY", "sk_live_canary_value"))}


def test_fingerprint_ignores_order_and_sees_values():
    a = [plain("A", "1"), plain("B", "2")]
    assert fingerprint(a) == fingerprint(list(reversed(a)))
    assert fingerprint(a) != fingerprint([plain("A", "1"), plain("B", "3")])
    assert fingerprint([plain("A", "1")]) != fingerprint([secret("A", "1:latest")])


def test_kinds_summary_names_only():
    changes = [
        EnvChange("X", ChangeKind.MISSING, plain("X", "1"), None),
        EnvChange("Y", ChangeKind.UNEXPECTED, None, plain("Y", "1")),
        EnvChange("Z", ChangeKind.CHANGED, plain("Z", "1"), plain("Z", "2")),
    ]
    assert kinds_summary(changes) == {"added": ["X"], "removed": ["Y"], "changed": ["Z"]}

"""The plan file's format: what the writer writes the reader reads back, and nothing else."""

from __future__ import annotations

import json
import os
import stat
from datetime import UTC, datetime

import pytest

from deploytool.core.saved_plan import PlannedChange, PlannedWorkload, SavedPlan
from deploytool.errors import UsageError
from deploytool.plan_file import read_plan, to_document, write_plan

D, E = "d" * 64, "e" * 64
PLAN = SavedPlan(
    environment="staging",
    created_at=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    tool_version="0.1.0",
    salt="ab" * 16,
    manifests=(("policy.yaml", D), ("staging.yaml", E)),
    selection=("backend",),
    workloads=(
        PlannedWorkload(
            "job", "migrate", "p", "us-central1", "app", "etag-2",
            (PlannedChange("A", "missing", D), PlannedChange("OLD", "unexpected", None)), E,
        ),
        PlannedWorkload("service", "backend", "p", "us-central1", "app", "etag-1", (), D),
    ),
)  # fmt: skip


def test_round_trip(tmp_path):
    path = tmp_path / "plan.json"
    write_plan(path, PLAN)
    back = read_plan(path)
    assert back.workloads == tuple(sorted(PLAN.workloads, key=lambda w: w.key))
    assert (back.environment, back.created_at, back.salt, back.manifests, back.selection) == (
        PLAN.environment, PLAN.created_at, PLAN.salt, PLAN.manifests, PLAN.selection,
    )  # fmt: skip
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rewriting_replaces_the_file_atomically_and_keeps_it_private(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_plan(path, PLAN)
    assert json.loads(path.read_text())["kind"] == "deploytool-plan"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_an_unwritable_place_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot write the plan"):
        write_plan(tmp_path / "missing-dir" / "plan.json", PLAN)


def test_the_document_is_deterministic():
    assert to_document(PLAN) == to_document(PLAN)
    assert [w["name"] for w in to_document(PLAN)["workloads"]] == ["migrate", "backend"]


def test_a_missing_file_names_it(tmp_path):
    with pytest.raises(UsageError, match=r"nope\.json: cannot read the plan"):
        read_plan(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d["workloads"][0].pop("etag"), "workloads[0].etag"),
        (lambda d: d["workloads"][0]["changes"][0].update(kind="renamed"), "changes[0].kind"),
        (lambda d: d["workloads"][0]["changes"][1].update(desired_digest=D), "null exactly"),
        (lambda d: d["workloads"][0]["changes"][0].update(desired_digest=None), "null exactly"),
        (lambda d: d.update(selection=[""]), "selection[0]"),
        (lambda d: d.pop("tool_version"), "tool_version"),
        (lambda d: d["workloads"].append("x"), "workloads[2] must be an object"),
    ],
)
def test_malformed_fields_are_named(tmp_path, edit, says):
    doc = to_document(PLAN)
    edit(doc)
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UsageError, match=r"plan\.json: .*") as caught:
        read_plan(path)
    assert says in caught.value.message

"""Audit runs: every report says which run it is of and when it started; `audit --merge` joins
the shards of one run only."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from deploytool.commands.audit_merge import merge_reports
from deploytool.commands.audit_run import AuditRun, start_run
from deploytool.errors import ExitCode, UsageError
from deploytool.render.json_doc import gate_doc
from deploytool.render.json_load import DocumentError, load_gate
from deploytool.render.reports import write_reports
from tests.integration.test_audit import STAGING, seed_in_sync
from tests.reports import sample

UTC_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.mark.parametrize(
    ("option", "environ", "expected"),
    [
        (None, {"CLOUD_RUN_EXECUTION": "audit-x7k2p"}, "audit-x7k2p"),
        ("gh-1234-1", {"CLOUD_RUN_EXECUTION": "audit-x7k2p"}, "gh-1234-1"),
        ("gh-1234-1", {}, "gh-1234-1"),
    ],
    ids=["cloud-run-execution", "option-wins", "option"],
)
def test_the_run_id_comes_from_the_option_else_cloud_run(option, environ, expected):
    assert start_run(option, environ=environ).run_id == expected


@pytest.mark.parametrize("environ", [{}, {"CLOUD_RUN_EXECUTION": ""}], ids=["unset", "empty"])
def test_without_one_a_run_id_is_generated_fresh_each_time(environ):
    first, second = start_run(environ=environ), start_run(environ=environ)
    assert re.fullmatch(r"[0-9a-f]{32}", first.run_id)
    assert first.run_id != second.run_id


@pytest.mark.parametrize("bad", ["", " x", "a b", "x\n", "é", "x" * 129])
def test_a_malformed_run_id_is_a_usage_error(bad):
    with pytest.raises(UsageError, match="not a valid run id"):
        start_run(bad, environ={})
    with pytest.raises(UsageError, match="CLOUD_RUN_EXECUTION"):
        start_run(environ={"CLOUD_RUN_EXECUTION": bad or " "})


def test_started_at_is_utc_iso_8601():
    paris = timezone(timedelta(hours=2))
    run = start_run(environ={}, now=datetime(2026, 3, 1, 11, 30, 5, 999, tzinfo=paris))
    assert run.started_at == "2026-03-01T09:30:05Z"


def run_of(run_id, started_at="2026-03-01T09:30:05Z"):
    return AuditRun(run_id, started_at)


def shard_files(tmp_path, *runs):
    """Shard i of len(runs), each written as `audit --shard --report` writes it."""
    paths = []
    for index, run in enumerate(runs):
        result = replace(
            sample.audit(sample.report("staging", services=(sample.API,) if index else ())),
            shard=(index, len(runs)),
            run=run,
        )
        path = tmp_path / f"shard-{index}.json"
        write_reports(result, report=path, junit=None, markdown=None)
        paths.append(path)
    return paths


def test_a_report_carries_its_run_and_reads_back():
    result = replace(sample.full(), run=run_of("audit-x7k2p"))
    doc = gate_doc(result)
    assert (doc["run_id"], doc["started_at"]) == ("audit-x7k2p", "2026-03-01T09:30:05Z")
    assert load_gate(doc).run == result.run
    assert gate_doc(load_gate(doc)) == doc


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"run_id": ""}, "run_id: is empty"),
        ({"run_id": 7}, "run_id: expected a string"),
        ({"started_at": None}, "started_at: missing"),
        ({"started_at": "yesterday"}, "not an ISO-8601 time"),
        ({"started_at": "2026-03-01T09:30:05"}, "with a time zone"),
    ],
)
def test_a_malformed_run_is_a_document_error(fields, says):
    doc = gate_doc(replace(sample.green(), run=run_of("r")))
    doc.update(fields)
    doc = {k: v for k, v in doc.items() if v is not None}
    with pytest.raises(DocumentError, match=says):
        load_gate(doc)


def test_shards_of_one_run_merge_and_keep_the_run_started_first(tmp_path):
    paths = shard_files(
        tmp_path, run_of("audit-x7k2p", "2026-03-01T09:30:07Z"), run_of("audit-x7k2p")
    )
    merged = merge_reports(paths)
    assert merged.run == run_of("audit-x7k2p", "2026-03-01T09:30:05Z")
    assert int(merged.verdict.exit_code) == 3
    assert merge_reports(paths, run_id="audit-x7k2p").run == merged.run


def test_shards_of_different_runs_are_refused_naming_each_run_and_its_files(tmp_path):
    paths = shard_files(tmp_path, run_of("run-a"), run_of("run-b"), run_of("run-a"))
    with pytest.raises(UsageError) as caught:
        merge_reports(paths)
    assert caught.value.exit_code == ExitCode.USAGE
    assert (
        f"different audit runs (run_id run-a: {paths[0]}, {paths[2]}; run_id run-b: {paths[1]})"
    ) in caught.value.message
    assert "--run-id" in (caught.value.hint or "")


def test_merging_reports_of_another_run_than_the_one_named_is_refused(tmp_path):
    paths = shard_files(tmp_path, run_of("run-a"), run_of("run-a"))
    with pytest.raises(UsageError, match=f"--run-id run-b: .*run_id run-a: {paths[0]}"):
        merge_reports(paths, run_id="run-b")


def test_older_reports_merge_only_among_themselves(tmp_path):
    (tmp_path / "old").mkdir()
    old = shard_files(tmp_path / "old", None, None)
    assert merge_reports(old).run is None, "all without a run id: merged as before"
    assert "run_id" not in gate_doc(merge_reports(old))
    mixed = shard_files(tmp_path, run_of("run-a"), None)
    with pytest.raises(UsageError) as caught:
        merge_reports(mixed)
    assert f"no run_id (an older report): {mixed[1]}" in caught.value.message
    with pytest.raises(UsageError, match="--run-id run-a"):
        merge_reports(old, run_id="run-a")


# -- through the CLI, against the emulator ---------------------------------------------------


@pytest.fixture
def cfg(configs):
    return configs(staging=STAGING)


def shard_reports(cli, cfg, emulator, tmp_path, envs):
    paths = []
    for index, env in enumerate(envs):
        path = tmp_path / f"shard-{index}.json"
        args = ["audit", "staging", "--shard", f"{index}/{len(envs)}", "--report", str(path)]
        result = cli(*args, "--config-dir", str(cfg), emulator=emulator, env=env)
        assert result.exit_code == 0, result.output
        paths.append(path)
    return paths


def test_cli_reports_carry_cloud_run_execution_and_started_at(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    before = datetime.now(UTC).replace(microsecond=0)
    report = tmp_path / "report.json"
    env = {"CLOUD_RUN_EXECUTION": "audit-x7k2p"}
    result = cli(
        "audit", "--config-dir", str(cfg), "-o", "json", "--report", str(report),
        emulator=emulator, env=env,
    )  # fmt: skip
    after = datetime.now(UTC)
    assert result.exit_code == 0, result.output
    for doc in (result.json(), json.loads(report.read_text(encoding="utf-8"))):
        assert doc["run_id"] == "audit-x7k2p"
        assert UTC_SECONDS.match(doc["started_at"])
        started = datetime.fromisoformat(doc["started_at"])
        assert before <= started <= after


def test_cli_generates_a_run_id_per_run(emulator, cli, cfg):
    seed_in_sync(emulator)
    ids = [
        cli("audit", "--config-dir", str(cfg), "-o", "json", emulator=emulator).json()["run_id"]
        for _ in range(2)
    ]
    assert all(re.fullmatch(r"[0-9a-f]{32}", run_id) for run_id in ids)
    assert ids[0] != ids[1]


def test_cli_merges_shards_of_one_run_and_refuses_mixed_runs(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    one = {"CLOUD_RUN_EXECUTION": "audit-x7k2p"}
    (tmp_path / "same").mkdir()
    same = shard_reports(cli, cfg, emulator, tmp_path / "same", [one, one])
    merged = cli("audit", "--merge", str(same[0]), "--merge", str(same[1]), "-o", "json")
    assert merged.exit_code == 0, merged.output
    assert merged.json()["run_id"] == "audit-x7k2p"

    mixed = shard_reports(cli, cfg, emulator, tmp_path, [one, {}])  # shard 1: its own run
    refused = cli("audit", "--merge", str(mixed[0]), "--merge", str(mixed[1]), "-o", "json")
    assert refused.exit_code == 2
    assert refused.json()["status"] == "error"
    assert f"run_id audit-x7k2p: {mixed[0]}" in refused.stderr
    assert str(mixed[1]) in refused.stderr and "different audit runs" in refused.stderr


def test_cli_run_id_option_names_the_run_of_every_shard(emulator, cli, cfg, tmp_path):
    seed_in_sync(emulator)
    ci = {"DEPLOYTOOL_RUN_ID": "gh-1234-1"}
    paths = shard_reports(cli, cfg, emulator, tmp_path, [ci, ci])
    merged = cli("audit", "--merge", str(paths[0]), "--merge", str(paths[1]), "--run-id", "gh-1")
    assert merged.exit_code == 2 and "--run-id gh-1: not every report" in merged.stderr
    bad = cli("audit", "--run-id", "no spaces", "--config-dir", str(cfg), emulator=emulator)
    assert bad.exit_code == 2 and "not a valid run id" in bad.stderr

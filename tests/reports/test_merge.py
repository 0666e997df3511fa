"""audit --merge: shard reports back into one audit, verdicts decided again, bad files exit 2."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from deploytool.commands.audit_merge import merge_reports
from deploytool.core.report import ReadError
from deploytool.errors import ExitCode, LiveStateError, UsageError
from deploytool.redaction import scrub_document
from deploytool.render.json_doc import dumps, failure_doc, gate_doc
from deploytool.render.reports import write_reports
from tests.reports import sample

ASIA = ReadError(f"503 unavailable (echoed {sample.NASTY})", None, sample.P_PROD, "asia-east1")
EU = ReadError(sample.EU_ERROR, "eu-backend", sample.P_PROD, "europe-west1")


def shard_files(tmp_path, *results):
    paths = []
    for index, result in enumerate(results):
        path = tmp_path / f"shard-{index}.json"
        write_reports(result, report=path, junit=None, markdown=None)
        paths.append(path)
    return paths


def shards():
    """sample.full() as two shards would report it: manifest findings naming no service in
    shard 0 only, a location nobody could list in both."""
    zero = sample.audit(
        sample.report(
            "production",
            services=(sample.BACKEND,),
            violations=(sample.LEAK_MANIFEST, sample.PIN),
            errors=(ASIA,),
            warnings=sample.production().warnings,
        ),
        sample.report("staging", services=(sample.API,), unmanaged=(sample.SCRATCH,)),
    )
    one = sample.audit(
        sample.report(
            "production",
            services=(sample.EU_BACKEND,),
            violations=(sample.LEAK_LIVE,),
            errors=(EU, ASIA),
            unmanaged=(sample.LEGACY,),
            warnings=sample.production().warnings,
        ),
        sample.report("staging", services=(sample.AUTH, sample.WORKER)),
    )
    return zero, one


def environments(doc):
    return {env["environment"]: env for env in doc["environments"]}


def test_merged_shards_equal_the_unsharded_audit(tmp_path):
    merged = gate_doc(merge_reports(shard_files(tmp_path, *shards())))
    # The shards went through files, scrubbed of every value their rendering masked.
    whole = scrub_document(gate_doc(sample.full()))
    assert (merged["status"], merged["exit_code"]) == (whole["status"], whole["exit_code"])
    assert list(environments(merged)) == list(environments(whole))
    for name, env in environments(whole).items():
        got = environments(merged)[name]
        assert got["services"] == env["services"]
        assert got["unmanaged"] == env["unmanaged"]
        assert got["warnings"] == env["warnings"]
        assert (got["status"], got["exit_code"]) == (env["status"], env["exit_code"])
        key = json.dumps
        assert sorted(map(key, got["violations"])) == sorted(map(key, env["violations"]))
        assert sorted(map(key, got["errors"])) == sorted(map(key, env["errors"]))


def test_verdicts_are_decided_again_not_copied(tmp_path):
    zero, one = shards()
    paths = shard_files(tmp_path, zero, one)
    # A shard claiming green for an environment it found drift in does not make it green.
    doc = json.loads(paths[1].read_text(encoding="utf-8"))
    doc["status"], doc["exit_code"] = "in_sync", 0
    for env in doc["environments"]:
        env["status"], env["exit_code"] = "in_sync", 0
    paths[1].write_text(json.dumps(doc), encoding="utf-8")
    merged = merge_reports(paths)
    verdicts = {r.environment: r.verdict for r in merged.reports}
    assert int(verdicts["production"].exit_code) == 4
    assert int(verdicts["staging"].exit_code) == 3
    assert int(merged.verdict.exit_code) == 4


def test_one_green_shard_and_one_drifted_shard_merge_to_drift(tmp_path):
    green = sample.audit(sample.report("staging", services=(sample.BACKEND,)))
    drift = sample.audit(sample.report("staging", services=(sample.WORKER,)))
    merged = merge_reports(shard_files(tmp_path, green, drift))
    assert (str(merged.verdict.status), int(merged.verdict.exit_code)) == ("drift", 3)


def test_a_location_error_is_kept_once_when_a_shard_named_its_service(tmp_path):
    zero = sample.audit(sample.report("production", services=(sample.EU_BACKEND,), errors=(EU,)))
    location_only = replace(EU, service=None)
    one = sample.audit(sample.report("production", errors=(location_only,)))
    merged = merge_reports(shard_files(tmp_path, zero, one))
    assert merged.reports[0].errors == (EU,)
    assert int(merged.verdict.exit_code) == 5
    (tmp_path / "alone").mkdir()
    alone = merge_reports(shard_files(tmp_path / "alone", one))
    assert alone.reports[0].errors == (location_only,)


def test_the_same_shard_twice_counts_once(tmp_path):
    zero, _ = shards()
    (path,) = shard_files(tmp_path, zero)
    copy = tmp_path / "copy.json"
    copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    merged = merge_reports([path, copy, path])
    assert gate_doc(merged) == gate_doc(merge_reports([path]))


def test_merged_masked_values_stay_masked(tmp_path):
    sample.plant()
    paths = shard_files(tmp_path, *shards())
    merged = merge_reports(paths)
    text = dumps(gate_doc(merged))
    sample.assert_no_canary(text, "merged report")
    api = next(s for r in merged.reports for s in r.services if s.service == "api")
    assert {c.name: c.live.value for c in api.changes}["API_KEY"] == "***"


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), "utf-8")
    return path


def good_doc():
    return gate_doc(sample.green())


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{not json", "not a JSON document"),
        ([1, 2], "not an audit report"),
        ({**good_doc(), "schema_version": 2}, "schema_version 2 is not supported"),
        ({**good_doc(), "schema_version": "1"}, "schema_version '1' is not supported"),
        ({**good_doc(), "command": "diff"}, "a 'diff' report, not an audit report"),
        ({**good_doc(), "environments": "x"}, "environments: expected a list"),
        (
            {**good_doc(), "environments": [{"environment": "e", "status": "in_sync"}]},
            "environments[0].exit_code",
        ),
    ],
    ids=["not-json", "not-object", "schema-2", "schema-str", "diff", "envs", "env-field"],
)
def test_bad_files_are_usage_errors_naming_the_file(tmp_path, content, says):
    good = write(tmp_path, "good.json", good_doc())
    bad = write(tmp_path, "bad.json", content)
    with pytest.raises(UsageError) as caught:
        merge_reports([good, bad])
    assert caught.value.exit_code == ExitCode.USAGE
    assert str(bad) in caught.value.message
    assert says in caught.value.message


def test_missing_file_directory_and_binary(tmp_path):
    for path, says in [
        (tmp_path / "nope.json", "does not exist"),
        (tmp_path, "is a directory"),
        (write(tmp_path, "bin.json", ""), None),
    ]:
        if says is None:
            path.write_bytes(b"\xff\xfe\x00")
            says = "not UTF-8"
        with pytest.raises(UsageError) as caught:
            merge_reports([path])
        assert says in caught.value.message and str(path) in caught.value.message


def test_no_reports_at_all():
    with pytest.raises(UsageError):
        merge_reports([])


def test_a_shard_that_failed_as_a_whole_fails_the_merge_with_its_exit_code(tmp_path):
    good = write(tmp_path, "good.json", good_doc())
    failed = failure_doc("audit", None, LiveStateError("no credentials", "run gcloud auth"))
    bad = write(tmp_path, "failed.json", failed)
    with pytest.raises(LiveStateError) as caught:
        merge_reports([good, bad])
    assert caught.value.exit_code == ExitCode.LIVE
    assert str(bad) in caught.value.message and "no credentials" in caught.value.message
    failed_usage = failure_doc("audit", None, UsageError("bad manifest"))
    with pytest.raises(UsageError):
        merge_reports([write(tmp_path, "usage.json", failed_usage)])


def test_shards_of_different_runs_disagreeing_on_a_service(tmp_path):
    first = sample.audit(sample.report("staging", services=(sample.API,)))
    second = sample.audit(sample.report("staging", services=(replace(sample.API, changes=()),)))
    paths = shard_files(tmp_path, first, second)
    with pytest.raises(UsageError) as caught:
        merge_reports(paths)
    assert "api" in caught.value.message and str(paths[1]) in caught.value.message
    assert str(paths[0]) in caught.value.message


def test_the_policy_warnings_of_a_run_survive_the_merge_once(tmp_path):
    said = ("configs/policy.yaml:2: e2e.names drops the default E2E name PYTEST_RUNNING",)
    zero, one = (replace(result, warnings=said) for result in shards())
    merged = merge_reports(shard_files(tmp_path, zero, one))
    assert merged.warnings == said
    assert gate_doc(merged)["warnings"] == list(said)

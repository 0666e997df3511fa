"""write_reports: each file only when asked, the JSON exactly as `--output json`, unwritable
paths a usage error (exit 2) naming the path, and no secret in anything written."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from deploytool.errors import ExitCode, UsageError
from deploytool.render.json_doc import dumps, gate_doc
from deploytool.render.reports import write_reports
from tests.reports import sample


def test_writes_each_report_it_is_given(tmp_path):
    paths = {k: tmp_path / f"audit.{k}" for k in ("json", "xml", "md")}
    result = sample.full()
    write_reports(result, report=paths["json"], junit=paths["xml"], markdown=paths["md"])
    assert paths["json"].read_text(encoding="utf-8") == dumps(gate_doc(result))
    assert ET.parse(paths["xml"]).getroot().tag == "testsuites"
    assert paths["md"].read_text(encoding="utf-8").startswith("## deploytool audit:")


def test_only_the_reports_asked_for(tmp_path):
    write_reports(sample.full(), report=None, junit=tmp_path / "j.xml", markdown=None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["j.xml"]


def test_overwrites_an_existing_report(tmp_path):
    path = tmp_path / "r.json"
    path.write_text("old and longer " * 1000, encoding="utf-8")
    write_reports(sample.green(), report=path, junit=None, markdown=None)
    assert json.loads(path.read_text(encoding="utf-8"))["status"] == "in_sync"


def usage_error(**paths) -> UsageError:
    options = {"report": None, "junit": None, "markdown": None, **paths}
    with pytest.raises(UsageError) as caught:
        write_reports(sample.full(), **options)
    assert caught.value.exit_code == ExitCode.USAGE
    return caught.value


def test_missing_directory_is_a_usage_error_and_nothing_is_written(tmp_path):
    good = tmp_path / "report.json"
    missing = tmp_path / "no-such-dir" / "junit.xml"
    error = usage_error(report=good, junit=missing)
    assert str(missing) in error.message
    assert "does not exist" in error.message
    assert "mkdir -p" in error.hint and "does not create" in error.hint
    assert not good.exists(), "every path is checked before any file is written"
    assert not missing.parent.exists()


def test_a_directory_as_the_path(tmp_path):
    error = usage_error(markdown=tmp_path)
    assert "is a directory" in error.message and str(tmp_path) in error.message
    assert error.hint.endswith("audit.md")


def test_parent_that_is_a_file(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    error = usage_error(report=blocker / "r.json")
    assert "is not a directory" in error.message


def test_permission_denied(tmp_path):
    if os.geteuid() == 0:
        # Root writes through chmod; sysfs refuses new files even to root.
        target = Path("/sys/deploytool-report.xml")
        error = usage_error(junit=target)
    else:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        target = locked / "j.xml"
        try:
            error = usage_error(junit=target)
        finally:
            locked.chmod(0o700)
    assert "permission denied" in error.message.lower() and str(target) in error.message


def test_two_reports_to_one_file(tmp_path):
    error = usage_error(report=tmp_path / "x", junit=tmp_path / "." / "x")
    assert "both be written" in error.message


def test_unwritable_step_summary_is_a_usage_error(monkeypatch, tmp_path):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "gone" / "summary.md"))
    error = usage_error()
    assert "GITHUB_STEP_SUMMARY" in error.message


def test_no_secret_in_any_written_file(tmp_path, monkeypatch, capsys):
    sample.plant()
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    paths = [tmp_path / "r.json", tmp_path / "j.xml", tmp_path / "m.md"]
    write_reports(sample.full(), report=paths[0], junit=paths[1], markdown=paths[2])
    for path in [*paths, summary]:
        text = path.read_text(encoding="utf-8")
        assert "***" in text
        sample.assert_no_canary(text, path.name)
    captured = capsys.readouterr()
    sample.assert_no_canary(captured.out + captured.err, "annotations")
    # The echoed canary in a read error is masked, not dropped.
    doc = json.loads(paths[0].read_text(encoding="utf-8"))
    errors = doc["environments"][0]["errors"]
    assert errors[0]["message"].endswith("(caller saw ***)")
    assert errors[1]["message"] == "503 unavailable (echoed ***)"


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (PermissionError(13, "Permission denied"), "permission denied"),
        (OSError(28, "No space left on device"), "No space left on device"),
    ],
)
def test_write_failures_become_usage_errors(tmp_path, monkeypatch, raised, expected):
    def refuse(*args, **kwargs):
        raise raised

    monkeypatch.setattr("pathlib.Path.open", refuse)
    error = usage_error(report=tmp_path / "r.json")
    assert expected in error.message and str(tmp_path / "r.json") in error.message

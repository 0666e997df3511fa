"""GitHub Actions: escaped workflow commands on stderr, the job summary appended."""

from __future__ import annotations

import pytest

from deploytool.core.diff import ServiceStatus
from deploytool.render import github
from deploytool.render.json_doc import gate_doc
from deploytool.render.reports import write_reports
from tests.reports import sample


def no_files(result):
    write_reports(result, report=None, junit=None, markdown=None)


@pytest.fixture
def on_github(monkeypatch, tmp_path):
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def test_escaping_follows_the_workflow_command_rules():
    assert github.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = github.command("error", "100%\nsure", title="env: a,b", file=None)
    assert line == "::error title=env%3A a%2Cb::100%25%0Asure"
    assert github.command("warning", "plain") == "::warning::plain"


def test_errors_for_violations_and_read_errors_warnings_for_drift_and_not_ready():
    lines = github.annotation_lines(gate_doc(sample.full()))
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 3 + 2  # three violations, two read errors
    assert len(warnings) == 3  # api drift, worker missing, auth not ready
    assert errors[0] == (
        "::error file=configs/production.yaml,line=7,title=deploytool production%3A "
        "e2e-leakage::configs/production.yaml:7: E2E_TESTING is an E2E/test variable in "
        "protected environment 'production'; remove it"
    )
    assert errors[1].startswith("::error title=deploytool production%3A e2e-leakage::")
    assert "::p-prod/asia-east1: 503 unavailable" in errors[4]
    api = next(w for w in warnings if "api drift" in w)
    # Names only, never values; `%` of "20%" escaped.
    assert api.endswith(
        "::api (p-staging/us-central1) differs from the manifest: ~API_KEY, ~DB_PASSWORD, "
        "-DEBUG, ~LOG_LEVEL; serving revision api-00007-old (20%25): ~LOG_LEVEL"
    )
    assert any("worker missing::worker" in w and "does not exist live" in w for w in warnings)
    assert any("auth not ready::" in w for w in warnings)
    assert all("\n" not in line for line in lines)


def test_absolute_manifest_paths_are_made_relative_to_the_workspace(monkeypatch):
    monkeypatch.setenv("GITHUB_WORKSPACE", "/home/runner/work/repo")
    violation = {
        "source": "manifest",
        "message": "/home/runner/work/repo/configs/prod.yaml:3: E2E_TESTING ...",
    }
    assert github._manifest_position(violation) == ("configs/prod.yaml", "3")
    outside = {"source": "manifest", "message": "/etc/prod.yaml:3: x"}
    assert github._manifest_position(outside) == (None, None)
    live = {"source": "live", "message": "configs/prod.yaml:3: x"}
    assert github._manifest_position(live) == (None, None)


def test_at_most_ten_annotations_per_level():
    services = tuple(
        sample.ServiceDiff(f"svc-{i:02d}", "p", "r", ServiceStatus.MISSING) for i in range(25)
    )
    lines = github.annotation_lines(gate_doc(sample.audit(sample.report("e", services=services))))
    assert len(lines) == 10
    assert "svc-08" in lines[8]
    assert lines[9].endswith("::16 more warnings; see the job summary or the audit report")


def test_annotations_go_to_stderr_and_summary_is_appended(on_github, capsys):
    no_files(sample.full())
    out, err = capsys.readouterr()
    assert out == "", "stdout carries the report or the JSON document, nothing else"
    assert err.count("::error ") == 5 and err.count("::warning ") == 3
    summary = on_github.read_text(encoding="utf-8")
    assert summary.startswith("earlier step output\n## deploytool audit: ⛔ LEAKAGE (exit 4)")
    assert "### staging: ⚠️ DRIFT (exit 3)" in summary
    no_files(sample.green())
    again = on_github.read_text(encoding="utf-8")
    assert again.startswith(summary)
    assert again[len(summary) :].startswith("## deploytool audit: ✅ IN SYNC (exit 0)")


def test_nothing_for_github_outside_github_actions(monkeypatch, tmp_path, capsys):
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GITHUB_ACTIONS", "false")
    no_files(sample.full())
    assert capsys.readouterr() == ("", "")
    assert not summary.exists()


def test_annotations_without_a_summary_file(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    no_files(sample.full())
    assert "::error " in capsys.readouterr().err


def test_summary_is_cut_at_a_line_within_githubs_limit():
    text = "".join(f"| row {i} | {'x' * 50} |\n" for i in range(100))
    cut = github.summary_text(text, limit=1000)
    assert len(cut.encode()) <= 1000
    assert "truncated" in cut
    assert all(line.startswith("| row") for line in cut.split("\n\n")[0].splitlines())
    assert github.summary_text("short\n", limit=1000) == "short\n"


def test_no_secret_in_annotations_or_summary(on_github, capsys):
    sample.plant()
    no_files(sample.full())
    sample.assert_no_canary(capsys.readouterr().err, "annotations")
    sample.assert_no_canary(on_github.read_text(encoding="utf-8"), "job summary")

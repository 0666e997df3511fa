"""The files an audit leaves behind: `--report` (JSON), `--junit` (XML), `--markdown`, and on
GitHub Actions (`GITHUB_ACTIONS=true`) annotations on stderr plus the job summary.

All of them render one JSON document (`gate_doc`), so they agree with `--output json` and with
each other, and every value went through the same redaction. A file that cannot be written is a
usage error (exit 2) naming the path and what to do; directories are not created, so a typo in a
path fails loudly instead of scattering reports. Every path is checked before any is written.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from deploytool.commands.results import GateResult
from deploytool.errors import UsageError
from deploytool.redaction import scrub_document
from deploytool.render import github
from deploytool.render.json_doc import dumps, gate_doc
from deploytool.render.junit import junit_document
from deploytool.render.markdown import markdown_document

Doc = dict[str, Any]
SARIF_REPORT = "SARIF report (--sarif)"


def write_reports(
    result: GateResult,
    *,
    report: Path | None,
    junit: Path | None,
    markdown: Path | None,
) -> None:
    on_github = os.environ.get("GITHUB_ACTIONS", "").lower() == "true"
    summary_env = os.environ.get("GITHUB_STEP_SUMMARY", "") if on_github else ""
    summary = Path(summary_env) if summary_env else None
    wanted: list[tuple[str, Path, Callable[[Doc], str]]] = [
        (what, path, render)
        for what, path, render in (
            ("JSON report (--report)", report, pretty),
            ("JUnit report (--junit)", junit, junit_document),
            ("Markdown report (--markdown)", markdown, markdown_document),
        )
        if path is not None
    ]
    if not wanted and not on_github:
        return
    check_report_paths(report=report, junit=junit, markdown=markdown)

    # A secret echoed in a message (an API error) is scrubbed here, before JSON, XML or
    # Markdown escaping could change its spelling and hide it from the final `scrub`.
    doc = scrub_document(gate_doc(result))
    for what, path, render in wanted:
        _write(path, render(doc), what, mode="w")
    if on_github:
        # stderr, not stdout: see render/github.py (the runner reads commands from both).
        github.write_annotations(doc, sys.stderr)
        if summary is not None:
            text = github.summary_text(markdown_document(doc))
            _write(summary, text, "GitHub job summary ($GITHUB_STEP_SUMMARY)", mode="a")


def pretty(document: Doc) -> str:
    """A report file is pretty JSON whatever `--output` printed."""
    return dumps(document, one_line=False)


def check_report_paths(
    *,
    report: Path | None = None,
    junit: Path | None = None,
    markdown: Path | None = None,
    sarif: Path | None = None,
) -> None:
    """UsageError (exit 2) now if any report could not be written later."""
    targets = [
        (what, path)
        for what, path in (
            ("JSON report (--report)", report),
            ("JUnit report (--junit)", junit),
            ("Markdown report (--markdown)", markdown),
            (SARIF_REPORT, sarif),
        )
        if path is not None
    ]
    _distinct(targets)
    for what, path in targets:
        _check_parent(path, what)
    if os.environ.get("GITHUB_ACTIONS", "").lower() == "true":
        summary = os.environ.get("GITHUB_STEP_SUMMARY", "")
        if summary:
            _check_parent(Path(summary), "GitHub job summary ($GITHUB_STEP_SUMMARY)")


def _distinct(targets: list[tuple[str, Path]]) -> None:
    seen: dict[Path, str] = {}
    for what, path in targets:
        key = Path(os.path.abspath(path))
        if key in seen:
            raise UsageError(
                f"the {seen[key]} and the {what} would both be written to {path}",
                "give each report its own file",
            )
        seen[key] = what


def _check_parent(path: Path, what: str) -> None:
    parent = path.parent
    if not parent.exists():
        raise UsageError(
            f"cannot write the {what} to {path}: directory {parent} does not exist",
            f"create it first (deploytool does not create directories), e.g. mkdir -p {parent}, "
            f"or choose another path",
        )
    if not parent.is_dir():
        raise UsageError(
            f"cannot write the {what} to {path}: {parent} is not a directory",
            "choose a path inside an existing directory",
        )
    if path.is_dir():
        raise UsageError(
            f"cannot write the {what} to {path}: it is a directory",
            f"name a file, e.g. {path / ('audit' + _suffix(what))}",
        )


def _suffix(what: str) -> str:
    if what == SARIF_REPORT:
        return ".sarif"
    return ".xml" if "JUnit" in what else ".md" if "Markdown" in what else ".json"


def write_text(path: Path, text: str, what: str) -> None:
    """Write a report file; a failure is a UsageError naming the path and what to do."""
    _write(path, text, what, mode="w")


def _write(path: Path, text: str, what: str, *, mode: str) -> None:
    try:
        with path.open(mode, encoding="utf-8", newline="") as file:
            file.write(text)
    except PermissionError:
        raise UsageError(
            f"cannot write the {what} to {path}: permission denied",
            "choose a path you can write to, or fix the permissions of the file or directory",
        ) from None
    except FileNotFoundError:
        raise UsageError(
            f"cannot write the {what} to {path}: directory {path.parent} does not exist",
            "create it first (deploytool does not create directories) or choose another path",
        ) from None
    except OSError as error:
        raise UsageError(
            f"cannot write the {what} to {path}: {error.strerror or error}",
            "choose another path, or free space / fix the file system and re-run",
        ) from None

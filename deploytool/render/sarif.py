"""`--sarif FILE`: the findings as a SARIF 2.1.0 log for GitHub code scanning and other
viewers. Written whatever the verdict, also when the manifests are invalid.

Every result has a physical location: a manifest path relative to the repository root
(`uriBaseId` `%SRCROOT%`: the git top level containing the config dir, else the current
directory) and a line. `partialFingerprints` hash what the finding is about (rule,
environment, workload, variable, revision), never line numbers or values, so the same finding
keeps its fingerprint from one run to the next.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from deploytool import __version__
from deploytool.redaction import scrub, scrub_document
from deploytool.render.sarif_findings import Finding
from deploytool.render.sarif_rules import RULE_INDEX, RULES, rule_doc

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "deploytoolFinding/v1"


def repository_root(config_dir: Path, cwd: Path | None = None) -> Path:
    """The git work tree containing `config_dir` (a `.git` directory or, in a worktree or
    submodule, a `.git` file), else the current directory."""
    start = config_dir.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return (cwd or Path.cwd()).resolve()


def fingerprint(finding: Finding) -> str:
    parts = (
        finding.rule,
        finding.environment or "",
        finding.kind or "",
        finding.name or "",
        finding.variable or "",
        finding.revision or "",
        finding.detail,
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def sarif_log(
    findings: Sequence[Finding],
    *,
    root: Path,
    exit_code: int,
    successful: bool,
    automation_id: str,
    notifications: Iterable[str] = (),
) -> dict[str, Any]:
    """The SARIF document (one run). `successful`: the tool reached a verdict (exit 0, 3
    or 4); False when it stopped early (invalid input, live state unreadable as a whole)."""
    invocation: dict[str, Any] = {"executionSuccessful": successful, "exitCode": exit_code}
    messages = list(notifications)
    if messages:
        invocation["toolExecutionNotifications"] = [
            {"level": "error", "message": {"text": text}} for text in messages
        ]
    ordered = sorted(findings, key=_order)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "deploytool",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [rule_doc(rule) for rule in RULES],
                    }
                },
                "automationDetails": {"id": automation_id},
                "originalUriBaseIds": {SRCROOT: {"uri": root.as_uri().rstrip("/") + "/"}},
                "invocations": [invocation],
                "results": [_result(f, root) for f in ordered],
            }
        ],
    }


def sarif_text(document: dict[str, Any]) -> str:
    # As json_doc.dumps: scrub every string before encoding, then the text as a last net.
    return scrub(json.dumps(scrub_document(document), indent=2, ensure_ascii=False)) + "\n"


def _order(f: Finding) -> tuple[str, int, str, str]:
    return (f.path or "", f.line or 0, f.rule, fingerprint(f))


def _result(finding: Finding, root: Path) -> dict[str, Any]:
    rule = RULES[RULE_INDEX[finding.rule]]
    properties = {
        key: value
        for key, value in (
            ("environment", finding.environment),
            ("kind", finding.kind),
            ("workload", finding.name),
            ("variable", finding.variable),
            ("revision", finding.revision),
        )
        if value is not None
    }
    result: dict[str, Any] = {
        "ruleId": rule.id,
        "ruleIndex": RULE_INDEX[rule.id],
        "level": rule.level,
        "message": {"text": finding.message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": _artifact(finding.path, root),
                    "region": {"startLine": max(finding.line or 1, 1)},
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(finding)},
    }
    if properties:
        result["properties"] = properties
    if finding.suppressed is not None:
        result["suppressions"] = [{"kind": "external", "justification": finding.suppressed}]
    return result


def _artifact(path: str | None, root: Path) -> dict[str, str]:
    """A path relative to the repository root; a file outside it keeps its absolute URI
    (code scanning cannot place it, but the finding is not lost)."""
    if not path:
        return {"uri": "configs", "uriBaseId": SRCROOT}
    absolute = Path(path).resolve()
    try:
        relative = absolute.relative_to(root)
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": relative.as_posix(), "uriBaseId": SRCROOT}

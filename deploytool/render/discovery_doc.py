"""The JSON of `audit --discover` (CONTRACT.md, JSON v2): top-level `unowned` (workloads in
projects no environment owns), `violations` (theirs), and `discovery` (the scopes searched, the
locations found, and what could not be read: failed searches, unreadable unowned locations).

`unowned_environment` turns those keys back into the shape of one environment's part, so the
Markdown, JUnit and GitHub writers, which read the document, show them like an environment's."""

from __future__ import annotations

from typing import Any

from deploytool.commands.discover import DiscoveryResult
from deploytool.core.discovery import UNOWNED

Doc = dict[str, Any]
SERVICE = "service"


def discovery_fields(found: DiscoveryResult, violation_doc: Any, error_doc: Any) -> Doc:
    report = found.report
    return {
        "unowned": [
            {
                # Unmanaged entries name their kind once the gate reads every kind.
                "kind": str(getattr(u, "kind", SERVICE)),
                "name": getattr(u, "name", u.service),
                "project": u.project,
                "region": u.region,
            }
            for u in report.unmanaged
        ],
        "violations": [violation_doc(v) for v in report.violations],
        "discovery": {
            "scopes": list(found.scopes),
            "locations": [{"project": p, "region": r} for p, r in found.locations],
            "kinds": list(found.kinds),
            "status": str(report.verdict.status),
            "exit_code": int(report.verdict.exit_code),
            "errors": [error_doc(e) for e in report.errors],
            "warnings": list(report.warnings),
        },
    }


def unowned_environment(doc: Doc) -> Doc | None:
    """The `--discover` part of an audit document as an environment part, None without it."""
    found = doc.get("discovery")
    if doc.get("command") != "audit" or not isinstance(found, dict):
        return None
    return {
        "environment": UNOWNED,
        "status": found.get("status"),
        "exit_code": found.get("exit_code"),
        "services": [],
        "violations": list(doc.get("violations", [])),
        "errors": list(found.get("errors", [])),
        "unmanaged": [
            {
                "service": u.get("name"),
                "kind": u.get("kind"),
                "project": u.get("project"),
                "region": u.get("region"),
            }
            for u in doc.get("unowned", [])
            if isinstance(u, dict)
        ],
        "warnings": list(found.get("warnings", [])),
        "unowned": True,
    }

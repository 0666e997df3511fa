"""JUnit XML of a `diff`/`audit` result, for CI test-report views.

One <testsuite> per environment. In it, classname `deploytool.audit.<env>` holds one testcase per
managed service (a <failure> on drift or a missing service, an <error> when it could not be
read); `.policy` one failing testcase per violation; `.unmanaged` one passing testcase per
unmanaged service; `.live` an <error> for each read error no service testcase already carries
(a location that could not be listed, a serving revision of an unmanaged service). So the XML
fails exactly when the exit code is not 0.

Built with ElementTree from the JSON document (values as redacted there); every string is
scrubbed and stripped of characters XML 1.0 cannot carry before it enters the tree.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from deploytool.commands.results import GateResult
from deploytool.redaction import scrub
from deploytool.render.doc_notes import ack_note, acknowledged_only
from deploytool.render.escape import escape_document
from deploytool.render.json_doc import gate_doc
from deploytool.render.markdown import (
    ORIGIN_NOTE,
    drifted,
    environment_docs,
    location,
    status_word,
    value_text,
    workload_name,
    workloads,
)
from deploytool.render.revisions import revision_kind, revision_share, violation_tags

Doc = dict[str, Any]
SIGN = {"missing": "+", "unexpected": "-", "changed": "~"}
# Characters XML 1.0 cannot hold (ElementTree would write them and produce a broken file).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def clean(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", scrub("" if value is None else str(value)))


def render_junit(result: GateResult) -> str:
    return junit_document(gate_doc(result))


def junit_document(doc: Doc) -> str:
    # Values one line each, so a failure body's lines are only the tool's own.
    doc = escape_document(doc)
    command = clean(doc.get("command", "audit"))
    root = ET.Element("testsuites", {"name": f"deploytool {command}"})
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for env in environment_docs(doc):
        suite = _suite(env, command)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, count in totals.items():
        root.set(key, str(count))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return scrub('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n")


def _suite(env: Doc, command: str) -> ET.Element:
    name = clean(env.get("environment"))
    base = f"deploytool.{command}.{name}"
    suite = ET.Element("testsuite", {"name": name})
    props = ET.SubElement(suite, "properties")
    for key in ("status", "exit_code"):
        ET.SubElement(props, "property", {"name": key, "value": clean(env.get(key))})
    cases: list[ET.Element] = []
    services = workloads(env)
    for service in services:
        cases.append(_service_case(service, base))
    for violation in env.get("violations", []):
        cases.append(_violation_case(violation, base + ".policy"))
    for unmanaged in env.get("unmanaged", []):
        case = _case(base + ".unmanaged", workload_name(unmanaged))
        _out(
            case,
            f"unowned: {location(unmanaged)} is in a project no environment owns; checked as "
            "protected"
            if env.get("unowned") is True
            else f"unmanaged: {location(unmanaged)} is read by this environment's audit, but no "
            f"manifest manages {unmanaged.get('service')}",
        )
        cases.append(case)
    carried = {
        (s.get("service"), s.get("project"), s.get("region"))
        for s in services
        if s.get("status") == "error"
    }
    for error in env.get("errors", []):
        if (error.get("service"), error.get("project"), error.get("region")) in carried:
            continue
        subject = error.get("service") or location(error)
        case = _case(base + ".live", f"read {subject}")
        where = (
            f"{error.get('service')} ({location(error)})"
            if error.get("service")
            else (location(error))
        )
        _fail(case, "error", error.get("message"), "live-state", f"{where}: {error.get('message')}")
        cases.append(case)
    suite.extend(cases)
    failures = sum(1 for c in cases if c.find("failure") is not None)
    errors = sum(1 for c in cases if c.find("error") is not None)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    suite.set("skipped", "0")
    return suite


def _case(classname: str, name: Any) -> ET.Element:
    return ET.Element("testcase", {"classname": clean(classname), "name": clean(name)})


def _fail(case: ET.Element, tag: str, message: Any, kind: Any, body: Any) -> None:
    element = ET.SubElement(case, tag, {"message": clean(message), "type": clean(kind)})
    element.text = clean(body)


def _out(case: ET.Element, body: str) -> None:
    ET.SubElement(case, "system-out").text = clean(body)


def change_lines(changes: list[Doc], indent: str = "") -> list[str]:
    lines = []
    for ch in changes:
        kind = str(ch.get("kind"))
        live, desired = value_text(ch.get("live")), value_text(ch.get("desired"))
        if kind == "changed":
            what = f"live {live} -> manifest {desired}"
        elif kind == "missing":
            what = f"manifest {desired}, not live"
        else:
            what = f"live {live}, not in manifest"
        origin = ORIGIN_NOTE.get(ch.get("origin") or "")
        notes = [n for n in (origin, ack_note(ch)) if n]
        note = f" ({'; '.join(notes)})" if notes else ""
        lines.append(f"{indent}{SIGN.get(kind, '?')} {ch.get('name')}: {what} [{kind}]{note}")
    return lines


def _service_case(service: Doc, classname: str) -> ET.Element:
    case = _case(classname, workload_name(service))
    status = str(service.get("status"))
    where = location(service)
    changes = service.get("changes", [])
    revisions = service.get("revisions", [])
    if status == "error":
        message = service.get("error") or "live state could not be read"
        _fail(case, "error", message, "error", f"{service.get('service')} ({where}): {message}")
    elif drifted(service):
        count = len(changes) + sum(len(r.get("changes", [])) for r in revisions)
        if status == "missing":
            message = f"service does not exist live in {where}"
        else:
            message = f"drift: {count} change{'s' if count != 1 else ''} in {where}"
        lines = change_lines(changes)
        for r in revisions:
            share = revision_share(r, unit="% of traffic")
            lines.append(f"{revision_kind(r)} revision {r.get('revision')} ({share}):")
            lines += change_lines(r.get("changes", []), "  ")
        _fail(case, "failure", message, status, "\n".join(lines) or message)
    notes = [f"{status_word(status).lower()}: {where}"]
    if acknowledged_only(service):
        # Shown as acknowledged, not a failure: the changes and their reasons go to the log.
        notes.append("drift acknowledged, not a failure:")
        notes += change_lines(changes, "  ")
        for r in revisions:
            notes.append(f"  {revision_kind(r)} revision {r.get('revision')}:")
            notes += change_lines(r.get("changes", []), "    ")
    if service.get("container"):
        notes.append(f"container: {service['container']}")
    if service.get("not_ready"):
        notes.append(f"warning: {service['not_ready']}")
    _out(case, "\n".join(notes))
    return case


def _violation_case(violation: Doc, classname: str) -> ET.Element:
    parts = [str(violation.get("rule"))]
    if violation.get("variable"):
        parts.append(str(violation["variable"]))
    if violation.get("service"):
        parts.append(f"on {violation['service']}")
    if violation.get("revision"):
        parts.append(f"revision {violation['revision']}")
    tags = violation_tags(violation)
    if tags:
        parts.append(("tags " if len(tags) > 1 else "tag ") + ", ".join(tags))
    if violation.get("source"):
        parts.append(f"({violation['source']})")
    case = _case(classname, " ".join(parts))
    _fail(case, "failure", violation.get("message"), violation.get("rule"), violation["message"])
    return case

"""A Markdown report of a `diff`/`audit` result: for a file (`--markdown`), a pull request or the
GitHub job summary.

Rendered from the JSON document (`json_doc.gate_doc`), so every value is exactly what the JSON
shows: `***` for secret-looking names, references for Secret Manager values. Each string is
scrubbed before it is escaped (escaping would otherwise hide a known secret from `scrub`), and
the whole text once more at the end.
"""

from __future__ import annotations

from typing import Any

from deploytool.commands.results import GateResult
from deploytool.redaction import scrub
from deploytool.render.discovery_doc import unowned_environment
from deploytool.render.doc_notes import ack_note, acknowledged_only, changed_by, gating
from deploytool.render.escape import escape_document
from deploytool.render.json_doc import gate_doc
from deploytool.render.revisions import revision_share, violation_tags

Doc = dict[str, Any]

STATUS_WORD = {"in_sync": "IN SYNC", "drift": "DRIFT", "leakage": "LEAKAGE", "error": "ERROR"}
ICON = {"in_sync": "✅", "drift": "⚠️", "leakage": "⛔", "error": "❌"}
KIND_NOTE = {"missing": "in manifest, not live", "unexpected": "live, not in manifest"}
ORIGIN_NOTE = {"drift": "changed live since apply", "pending": "manifest changed since apply"}
_MD_SPECIAL = set("\\`*_[]<>|~#!")


def environment_docs(doc: Doc) -> list[Doc]:
    """The per-environment parts of an `audit` document, or the one of a `diff` document."""
    if doc.get("command") == "audit":
        unowned = unowned_environment(doc)  # `--discover`: shown as one more part
        return list(doc.get("environments", [])) + ([unowned] if unowned else [])
    return [doc]


def workloads(env: Doc) -> list[Doc]:
    """Every workload entry of an environment: services, then jobs, then worker pools."""
    return [w for section in ("services", "jobs", "worker_pools") for w in env.get(section, [])]


def workload_name(entry: Doc) -> str:
    """`backend`, `job migrate`, `worker pool consumer`: a service keeps its bare name."""
    kind = entry.get("kind") or "service"
    name = str(entry.get("name") or entry.get("service"))
    return name if kind == "service" else f"{kind.replace('_', ' ')} {name}"


def read_errors(env: Doc) -> list[Doc]:
    """The environment's read errors, plus any unreadable service they do not already name
    (a hand-built or merged document may carry only the service's own `error`)."""
    errors = list(env.get("errors", []))
    named = {(e.get("service"), e.get("project"), e.get("region")) for e in errors}
    for s in workloads(env):
        if (
            s.get("status") == "error"
            and (s.get("service"), s.get("project"), s.get("region")) not in named
        ):
            errors.append(
                {
                    "service": s.get("service"),
                    "project": s.get("project"),
                    "region": s.get("region"),
                    "message": s.get("error") or "live state could not be read",
                }
            )
    return errors


def status_word(status: str) -> str:
    return STATUS_WORD.get(status, status.upper())


def value_text(value: Any) -> str:
    """A `desired`/`live` value of the JSON document as plain text (already redacted there)."""
    if value is None:
        return "-"
    if isinstance(value, dict):
        return f"secret:{value.get('secret')}:{value.get('version')}"
    return str(value)


def location(item: Doc) -> str:
    return f"{item.get('project') or '?'}/{item.get('region') or '?'}"


def drifted(service: Doc) -> bool:
    """Drift that fails the gate (acknowledged drift is shown, but is no failure)."""
    return gating(service)


def counts(env: Doc) -> dict[str, int]:
    services = workloads(env)
    return {
        "services": len(services),
        "in_sync": sum(1 for s in services if s.get("status") == "in_sync"),
        "drift": sum(1 for s in services if s.get("status") == "drift"),
        "missing": sum(1 for s in services if s.get("status") == "missing"),
        "error": sum(1 for s in services if s.get("status") == "error"),
        "violations": len(env.get("violations", [])),
        "unmanaged": len(env.get("unmanaged", [])),
        "errors": len(env.get("errors", [])),
    }


def text(value: Any) -> str:
    """Plain text in Markdown: nothing in it is taken as markup, HTML or a line break."""
    raw = " ".join(scrub(str(value)).splitlines())
    out = []
    for i, ch in enumerate(raw):
        if ch == "&":
            out.append("&amp;")
        elif ch == "_" and _inside_word(raw, i):
            out.append(ch)  # E2E_TESTING: an intraword `_` never opens emphasis (CommonMark)
        elif ch in _MD_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _inside_word(raw: str, i: int) -> bool:
    return 0 < i < len(raw) - 1 and raw[i - 1].isalnum() and raw[i + 1].isalnum()


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def code(value: Any, *, table: bool = False) -> str:
    """A code span holding any string: fenced past its backticks, line breaks shown as ⏎,
    pipes escaped inside a table (GFM unescapes `\\|` there, even in code spans)."""
    raw = scrub(str(value)).replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    if raw == "":
        return "*(empty)*"
    longest = run = 0
    for ch in raw:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    if raw[0] in "` " or raw[-1] in "` ":
        raw = f" {raw} "
    if table:
        raw = raw.replace("|", "\\|")
    return f"{fence}{raw}{fence}"


def value_cell(value: Any) -> str:
    if value is None:
        return "—"
    return code(value_text(value), table=True)


def render_markdown(result: GateResult) -> str:
    return markdown_document(gate_doc(result))


def markdown_document(doc: Doc) -> str:
    doc = escape_document(doc)  # no value can break a line, a table row or a heading
    command = str(doc.get("command", "audit"))
    envs = environment_docs(doc)
    status = str(doc.get("status", "error"))
    lines = [
        f"## deploytool {text(command)}: {ICON.get(status, '')} {status_word(status)} "
        f"(exit {doc.get('exit_code')})",
        "",
    ]
    if command == "audit" and not envs:
        lines += ["No environment was audited.", ""]
    if len(envs) > 1 or command == "audit":
        lines += _overview(envs)
    for env in envs:
        lines += _environment(env)
    return scrub("\n".join(lines).rstrip("\n") + "\n")


def _overview(envs: list[Doc]) -> list[str]:
    if not envs:
        return []
    head = (
        "| environment | status | exit code | services | in sync | drifted | missing "
        "| unreadable | violations | unmanaged |"
    )
    rows = [head, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for env in envs:
        c = counts(env)
        status = str(env.get("status"))
        rows.append(
            f"| {text(env.get('environment'))} | {ICON.get(status, '')} {status_word(status)} "
            f"| {env.get('exit_code')} | {c['services']} | {c['in_sync']} | {c['drift']} "
            f"| {c['missing']} | {c['error']} | {c['violations']} | {c['unmanaged']} |"
        )
    return [*rows, ""]


def _environment(env: Doc) -> list[str]:
    status = str(env.get("status"))
    c = counts(env)
    lines = [
        f"### {text(env.get('environment'))}: {ICON.get(status, '')} {status_word(status)} "
        f"(exit {env.get('exit_code')})",
        "",
        f"{c['in_sync']} of {plural(c['services'], 'managed service')} in sync, "
        f"{c['drift']} drifted, {c['missing']} missing, {c['error']} unreadable; "
        f"{plural(c['violations'], 'policy violation')}; "
        f"{plural(c['unmanaged'], 'unmanaged service')}.",
        "",
    ]
    # By the exit-code precedence: policy (4), then what could not be read (5), then drift (3).
    lines += _violations(env.get("violations", []))
    lines += _errors(read_errors(env))
    lines += _drift([s for s in workloads(env) if drifted(s) or acknowledged_only(s)])
    lines += _not_ready([s for s in workloads(env) if s.get("not_ready")])
    lines += _unmanaged(env.get("unmanaged", []), env.get("unowned") is True)
    warnings = env.get("warnings", [])
    if warnings:
        lines += [f"#### Warnings ({len(warnings)})", ""]
        lines += [f"- {text(w)}" for w in warnings] + [""]
    return lines


def _violations(violations: list[Doc]) -> list[str]:
    if not violations:
        return []
    lines = [f"#### ⛔ Policy violations ({len(violations)})", ""]
    for v in violations:
        where = [code(v["service"])] if v.get("service") else []
        if v.get("revision"):
            where.append(f"revision {code(v['revision'])}")
        tags = violation_tags(v)
        if tags:
            where.append(("tags " if len(tags) > 1 else "tag ") + ", ".join(map(code, tags)))
        if v.get("variable"):
            where.append(code(v["variable"]))
        if v.get("source"):
            where.append(f"({text(v['source'])})")
        head = " ".join([f"**{text(v.get('rule'))}**", *where])
        lines.append(f"- {head}: {text(v.get('message'))}")
    return [*lines, ""]


def _errors(errors: list[Doc]) -> list[str]:
    if not errors:
        return []
    lines = [f"#### ❌ Live state not read ({len(errors)})", ""]
    for e in errors:
        subject = (
            f"{code(e['service'])} ({text(location(e))})" if e.get("service") else text(location(e))
        )
        lines.append(f"- {subject}: {text(e.get('message'))}")
    return [*lines, ""]


def _drift(services: list[Doc]) -> list[str]:
    if not services:
        return []
    lines = [
        f"#### ⚠️ Drifted services ({len(services)})",
        "",
        "| service | location | variable | change | live | manifest | changed by |",
        "|---|---|---|---|---|---|---|",
    ]
    for s in services:
        name = code(workload_name(s), table=True)
        if s.get("status") == "missing":
            name += " (not live)"
        if acknowledged_only(s):
            name += " (acknowledged)"
        who = text(changed_by(s.get("last_modifier"), s.get("update_time")))
        groups = [(name, s.get("changes", []), who)]
        groups += [
            (
                f"{name} revision {code(r.get('revision'), table=True)} "
                f"({text(revision_share(r))})",
                r.get("changes", []),
                text(changed_by(r.get("creator"), r.get("create_time"))),
            )
            for r in s.get("revisions", [])
        ]
        where = text(location(s))
        if s.get("status") == "missing" and not s.get("changes"):
            lines.append(f"| {name} | {where} | | missing service | — | — | {who} |")
        for label, changes, by in groups:
            for ch in changes:
                kind = str(ch.get("kind"))
                notes = [
                    n
                    for n in (KIND_NOTE.get(kind), ORIGIN_NOTE.get(ch.get("origin")), ack_note(ch))
                    if n
                ]
                change = text(kind) + (f" ({text(', '.join(notes))})" if notes else "")
                lines.append(
                    f"| {label} | {where} | {code(ch.get('name'), table=True)} | {change} "
                    f"| {value_cell(ch.get('live'))} | {value_cell(ch.get('desired'))} | {by} |"
                )
    return [*lines, ""]


def _not_ready(services: list[Doc]) -> list[str]:
    if not services:
        return []
    lines = [f"#### ⚠️ Latest revision not ready ({len(services)})", ""]
    lines += [
        f"- {code(workload_name(s))} ({text(location(s))}): {text(s.get('not_ready'))}"
        for s in services
    ]
    return [*lines, ""]


def _unmanaged(unmanaged: list[Doc], unowned: bool = False) -> list[str]:
    if not unmanaged:
        return []
    items = [f"- {code(workload_name(u))} ({text(location(u))})" for u in unmanaged]
    title = (
        "Unowned workloads (no environment owns their project)"
        if unowned
        else "Unmanaged services"  # the title CI dashboards know; jobs and pools are listed too
    )
    if len(unmanaged) <= 10:
        return [f"#### {title} ({len(unmanaged)})", "", *items, ""]
    # Long lists fold away; a blank line after <summary> lets GitHub render the Markdown inside.
    return [
        "<details>",
        f"<summary>{title} ({len(unmanaged)})</summary>",
        "",
        *items,
        "",
        "</details>",
        "",
    ]

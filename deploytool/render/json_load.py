"""The inverse of `json_doc.gate_doc`: a `diff` or `audit` JSON document back to a GateResult.

Values come back as the document shows them: a masked value stays `***` (the plaintext never
left the process that wrote the document), a secret reference becomes a SecretRef again. So
`gate_doc(load_gate(gate_doc(x))) == gate_doc(x)`.

Keys are only ever added to schema_version 1, so keys this version does not know are ignored
and keys added after the first release (`revisions`, `not_ready`, `warnings`, revision `tags`,
`uri`, `uris`, violation `tag`, `tags`, ...) default when absent. Anything malformed raises
DocumentError naming where in the document it is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from deploytool.commands.audit_run import AuditRun, parse_timestamp
from deploytool.commands.discover import DiscoveryResult
from deploytool.commands.results import GateResult
from deploytool.core.diff import (
    ChangeKind,
    EnvChange,
    Origin,
    RevisionDrift,
    ServiceDiff,
    ServiceStatus,
)
from deploytool.core.model import JOB, KINDS, SERVICE, WORKER_POOL, EnvVar, SecretRef
from deploytool.core.policy import Violation
from deploytool.core.reachable import TagRoute
from deploytool.core.report import EXECUTIONS, EnvironmentReport, ReadError, UnmanagedService
from deploytool.core.verdict import Status, Verdict
from deploytool.errors import ExitCode
from deploytool.render.ack_doc import load_note
from deploytool.render.discovery_doc import unowned_environment

T = TypeVar("T")
Doc = dict[str, Any]
GATE_COMMANDS = ("diff", "audit")


class DocumentError(ValueError):
    """A JSON document that is not a deploytool report; `where` is a path like
    `environments[0].services[2].status`."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


def _at(where: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{where}[{key}]"
    return f"{where}.{key}" if where else key


def _mapping(value: Any, where: str) -> Doc:
    if not isinstance(value, dict):
        raise DocumentError(where, f"expected an object, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string"}.get(
        type(value), "a list" if isinstance(value, list) else "an object"
    )


def _text(doc: Doc, key: str, where: str) -> str:
    if key not in doc:
        raise DocumentError(_at(where, key), "missing")
    value = doc[key]
    if not isinstance(value, str):
        raise DocumentError(_at(where, key), f"expected a string, got {_kind(value)}")
    return value


def _optional_text(doc: Doc, key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise DocumentError(_at(where, key), f"expected a string or null, got {_kind(value)}")
    return value


def _int(doc: Doc, key: str, where: str) -> int:
    value = doc.get(key)
    if type(value) is not int:  # a bool is an int to isinstance
        raise DocumentError(_at(where, key), f"expected a whole number, got {_kind(value)}")
    return value


def _items(
    doc: Doc, key: str, where: str, load: Callable[[Any, str], T], *, required: bool
) -> tuple[T, ...]:
    if key not in doc and not required:
        return ()
    value = doc.get(key)
    if not isinstance(value, list):
        raise DocumentError(_at(where, key), f"expected a list, got {_kind(value)}")
    here = _at(where, key)
    return tuple(load(item, _at(here, i)) for i, item in enumerate(value))


def _choice(enum: type[Any], doc: Doc, key: str, where: str) -> Any:
    text = _text(doc, key, where)
    try:
        return enum(text)
    except ValueError:
        allowed = ", ".join(str(member) for member in enum)
        raise DocumentError(_at(where, key), f"{text!r} is not one of {allowed}") from None


def load_value(name: str, value: Any, where: str) -> EnvVar | None:
    """A `desired`/`live` value: null, a (possibly masked) string, or a secret reference."""
    if value is None:
        return None
    if isinstance(value, str):
        return EnvVar(name, value=value)
    if isinstance(value, dict):
        return EnvVar(
            name, secret=SecretRef(_text(value, "secret", where), _text(value, "version", where))
        )
    raise DocumentError(where, f"expected a string, a secret reference or null, got {_kind(value)}")


def load_change(value: Any, where: str) -> EnvChange:
    doc = _mapping(value, where)
    name = _text(doc, "name", where)
    origin = _choice(Origin, doc, "origin", where) if doc.get("origin") is not None else None
    try:
        note = load_note(doc)
    except ValueError as exc:
        key, message = exc.args
        raise DocumentError(_at(where, key), message) from None
    return EnvChange(
        name=name,
        kind=_choice(ChangeKind, doc, "kind", where),
        desired=load_value(name, doc.get("desired"), _at(where, "desired")),
        live=load_value(name, doc.get("live"), _at(where, "live")),
        origin=origin,
        acknowledged=note,
    )


def _optional_string(value: Any, where: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise DocumentError(where, f"expected a string or null, got {_kind(value)}")
    return value


def load_tags(doc: Doc, where: str) -> tuple[TagRoute, ...]:
    """`tags` with `uris` (one per tag) or, without `uris`, `uri` for the first tag. Reports
    written before tags were read have neither."""
    tags = _items(doc, "tags", where, _warning, required=False)
    uris = _items(doc, "uris", where, _optional_string, required=False)
    if uris and len(uris) != len(tags):
        raise DocumentError(_at(where, "uris"), f"expected {len(tags)} entries, one per tag")
    if not uris:
        first = _optional_text(doc, "uri", where)
        uris = tuple(first if i == 0 else None for i in range(len(tags)))
    return tuple(TagRoute(tag, uri or "") for tag, uri in zip(tags, uris, strict=True))


def load_revision(value: Any, where: str) -> RevisionDrift:
    doc = _mapping(value, where)
    return RevisionDrift(
        revision=_text(doc, "revision", where),
        percent=_int(doc, "percent", where),
        changes=_items(doc, "changes", where, load_change, required=True),
        tags=load_tags(doc, where),
        creator=_optional_text(doc, "creator", where),
        create_time=_optional_text(doc, "create_time", where),
    )


def _workload_kind(doc: Doc, where: str, default: str, allowed: tuple[str, ...] = KINDS) -> str:
    """`kind` (added in v2; older reports hold services only, so absent means `default`)."""
    kind = _optional_text(doc, "kind", where) or default
    if kind not in allowed:
        raise DocumentError(_at(where, "kind"), f"{kind!r} is not one of {', '.join(allowed)}")
    return kind


def _workload_name(doc: Doc, where: str) -> str:
    """`service` (every entry, every kind), else `name`."""
    return _text(doc, "service" if "service" in doc or "name" not in doc else "name", where)


def load_service(value: Any, where: str, kind: str = SERVICE) -> ServiceDiff:
    doc = _mapping(value, where)
    return ServiceDiff(
        kind=_workload_kind(doc, where, kind),
        service=_workload_name(doc, where),
        project=_text(doc, "project", where),
        region=_text(doc, "region", where),
        status=_choice(ServiceStatus, doc, "status", where),
        changes=_items(doc, "changes", where, load_change, required=True),
        container=_optional_text(doc, "container", where),
        error=_optional_text(doc, "error", where),
        revisions=_items(doc, "revisions", where, load_revision, required=False),
        not_ready=_optional_text(doc, "not_ready", where),
        last_modifier=_optional_text(doc, "last_modifier", where),
        update_time=_optional_text(doc, "update_time", where),
    )


def load_violation(value: Any, where: str) -> Violation:
    doc = _mapping(value, where)
    return Violation(
        rule=_text(doc, "rule", where),
        environment=_text(doc, "environment", where),
        message=_text(doc, "message", where),
        service=_optional_text(doc, "service", where),
        variable=_optional_text(doc, "variable", where),
        source=_optional_text(doc, "source", where) or "manifest",
        revision=_optional_text(doc, "revision", where),
        tags=_violation_tags(doc, where),
        kind=_workload_kind(doc, where, SERVICE),
        execution=_optional_text(doc, "execution", where),
    )


def _violation_tags(doc: Doc, where: str) -> tuple[str, ...]:
    if "tags" in doc:
        return _items(doc, "tags", where, _warning, required=True)
    tag = _optional_text(doc, "tag", where)
    return (tag,) if tag else ()


def load_error(value: Any, where: str) -> ReadError:
    doc = _mapping(value, where)
    return ReadError(
        message=_text(doc, "message", where),
        service=_optional_text(doc, "service", where),
        project=_optional_text(doc, "project", where),
        region=_optional_text(doc, "region", where),
        kind=_workload_kind(doc, where, SERVICE, (*KINDS, EXECUTIONS)),
    )


def load_unmanaged(value: Any, where: str) -> UnmanagedService:
    doc = _mapping(value, where)
    return UnmanagedService(
        service=_workload_name(doc, where),
        project=_text(doc, "project", where),
        region=_text(doc, "region", where),
        kind=_workload_kind(doc, where, SERVICE),
    )


def _warning(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DocumentError(where, f"expected a string, got {_kind(value)}")
    return value


def load_verdict(doc: Doc, where: str) -> Verdict:
    status = _choice(Status, doc, "status", where)
    code = _int(doc, "exit_code", where)
    try:
        exit_code = ExitCode(code)
    except ValueError:
        raise DocumentError(
            _at(where, "exit_code"), f"{code} is no exit code of deploytool"
        ) from None
    return Verdict(status, exit_code)


def load_environment(value: Any, where: str) -> EnvironmentReport:
    doc = _mapping(value, where)
    return EnvironmentReport(
        environment=_text(doc, "environment", where),
        verdict=load_verdict(doc, where),
        services=_items(doc, "services", where, load_service, required=True)
        + _items(doc, "jobs", where, lambda v, w: load_service(v, w, JOB), required=False)
        + _items(
            doc, "worker_pools", where, lambda v, w: load_service(v, w, WORKER_POOL), required=False
        ),
        violations=_items(doc, "violations", where, load_violation, required=True),
        errors=_items(doc, "errors", where, load_error, required=True),
        unmanaged=_items(doc, "unmanaged", where, load_unmanaged, required=False),
        warnings=_items(doc, "warnings", where, _warning, required=False),
    )


def load_gate(value: Any) -> GateResult:
    """A `diff` or `audit` document (schema_version 1) as the GateResult that produced it."""
    doc = _mapping(value, "")
    version = doc.get("schema_version")
    if type(version) is not int or version != 1:
        raise DocumentError("schema_version", f"{version!r} is not supported (expected 1)")
    command = doc.get("command")
    if command not in GATE_COMMANDS:
        raise DocumentError("command", f"{command!r} is not a diff or audit report")
    verdict = load_verdict(doc, "")
    if command == "audit":
        reports = _items(doc, "environments", "", load_environment, required=True)
    else:
        reports = (load_environment(doc, ""),)
    shard = None
    if isinstance(doc.get("shard"), dict):
        part = _mapping(doc["shard"], "shard")
        shard = (_int(part, "index", "shard"), _int(part, "count", "shard"))
    run = load_run(doc) if command == "audit" else None
    warnings = _items(doc, "warnings", "", _warning, required=False) if command == "audit" else ()
    return GateResult(
        command=command,
        reports=reports,
        verdict=verdict,
        shard=shard,
        run=run,
        warnings=warnings,
        discovery=load_discovery(doc),
    )


def load_discovery(doc: Doc) -> DiscoveryResult | None:
    """The `--discover` keys (`unowned`, `violations`, `discovery`), None when absent."""
    part = unowned_environment(doc)
    if part is None:
        return None
    found = _mapping(doc["discovery"], "discovery")
    locations = tuple(
        (_text(loc, "project", "discovery.locations"), _text(loc, "region", "discovery.locations"))
        for loc in (_mapping(x, "discovery.locations") for x in found.get("locations", []))
    )
    return DiscoveryResult(
        scopes=tuple(str(s) for s in found.get("scopes", [])),
        locations=locations,
        kinds=tuple(str(k) for k in found.get("kinds", [])),
        report=load_environment(part, "discovery"),
    )


def load_run(doc: Doc) -> AuditRun | None:
    """`run_id` and `started_at`; None for a report written before runs were recorded."""
    run_id = _optional_text(doc, "run_id", "")
    if run_id is None:
        return None
    if not run_id:
        raise DocumentError("run_id", "is empty")
    started_at = _text(doc, "started_at", "")
    try:
        parse_timestamp(started_at)
    except ValueError:
        raise DocumentError(
            "started_at", f"{started_at!r} is not an ISO-8601 time with a time zone"
        ) from None
    return AuditRun(run_id, started_at)

"""A check of emulator JSON against the run v2 discovery document that ships in
google-api-python-client: every field name known to its schema, every value of the schema's
type (int64 as strings, RFC 3339 timestamps, durations, enum names), `Any` values checked
against the schema their `@type` names, and errors shaped as AIP-193 asks (google.rpc.Status
with exactly one ErrorInfo)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import googleapiclient

DOCUMENT = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents" / "run.v2.json"

# Emulator route -> the discovery method that answers it.
ROUTE_METHODS = {
    "services.list": ("services", "list"),
    "services.get": ("services", "get"),
    "services.update": ("services", "patch"),
    "revisions.list": ("services.revisions", "list"),
    "revisions.get": ("services.revisions", "get"),
    "operations.get": ("operations", "get"),
    "operations.list": ("operations", "list"),
    "operations.wait": ("operations", "wait"),
}

# google.rpc.ErrorInfo is not among the run v2 document's schemas; its shape, from
# google/rpc/error_details.proto.
_ERROR_INFO = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "domain": {"type": "string"},
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}
_REASON = re.compile(r"^[A-Z][A-Z0-9_]+[A-Z0-9]$")  # AIP-193: UPPER_SNAKE_CASE, <= 63
_CODES = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
}  # fmt: skip
_DURATION = re.compile(r"^-?\d+(\.\d{1,9})?s$")


@cache
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    return data


def method(route: str) -> dict[str, Any]:
    path, verb = ROUTE_METHODS[route]
    node: dict[str, Any] = document()["resources"]["projects"]["resources"]["locations"]
    for part in path.split("."):
        node = node["resources"][part]
    found: dict[str, Any] = node["methods"][verb]
    return found


def response_schema(route: str) -> str:
    return str(method(route)["response"]["$ref"])


def check_response(route: str, status: int, body: str, int_enums: bool) -> list[str]:
    """Everything wrong with one answer of the emulator ([] when it conforms)."""
    value = json.loads(body)
    if status >= 400:
        return check_error(value)
    if route not in ROUTE_METHODS:
        return [f"{route or '?'}: answered {status} on a route the document does not have"]
    return check(value, {"$ref": response_schema(route)}, route, int_enums)


def check_error(value: Any) -> list[str]:
    if not isinstance(value, dict) or set(value) != {"error"}:
        return [f"error body is not {{'error': ...}}: {value!r}"]
    error = dict(value["error"])
    problems = []
    status = error.pop("status", None)
    if status not in _CODES:
        problems.append(f"error.status {status!r} is not a google.rpc.Code name")
    problems += check(error, {"$ref": "GoogleRpcStatus"}, "error", False)
    infos = [d for d in error.get("details", []) if d.get("@type", "").endswith("rpc.ErrorInfo")]
    if len(infos) != 1:
        problems.append(f"error.details has {len(infos)} ErrorInfo (AIP-193: exactly one)")
    for info in infos:
        if not _REASON.match(str(info.get("reason", ""))) or len(info["reason"]) > 63:
            problems.append(f"ErrorInfo.reason {info.get('reason')!r} is not UPPER_SNAKE_CASE")
        if not info.get("domain"):
            problems.append("ErrorInfo.domain is empty")
    return problems


def check(value: Any, schema: dict[str, Any], path: str, int_enums: bool) -> list[str]:
    if "$ref" in schema:
        schema = document()["schemas"][schema["$ref"]]
    kind = schema.get("type")
    if kind == "any":
        return []
    if kind == "object":
        return _check_object(value, schema, path, int_enums)
    if kind == "array":
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        return [
            p
            for i, item in enumerate(value)
            for p in check(item, schema["items"], f"{path}[{i}]", int_enums)
        ]
    if kind == "string":
        return _check_string(value, schema, path, int_enums)
    if kind == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected an integer, got {value!r}"]
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{path}: expected a number, got {value!r}"]
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{path}: expected a boolean, got {value!r}"]
    return [f"{path}: schema type {kind!r} not understood"]


def _check_object(value: Any, schema: dict[str, Any], path: str, int_enums: bool) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: expected an object, got {value!r}"]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    if extra is not None and extra.get("type") == "any" and "@type" in value:
        return _check_any(value, path, int_enums)
    problems = []
    for key, item in value.items():
        if key in properties:
            problems += check(item, properties[key], f"{path}.{key}", int_enums)
        elif extra is not None:
            problems += check(item, extra, f"{path}.{key}", int_enums)
        else:
            problems.append(f"{path}.{key}: not a field of {schema.get('id', 'this object')}")
    return problems


def _check_any(value: dict[str, Any], path: str, int_enums: bool) -> list[str]:
    """A google.protobuf.Any: the rest of the object is the message its `@type` names."""
    message = str(value["@type"]).rsplit("/", 1)[-1]
    rest = {k: v for k, v in value.items() if k != "@type"}
    if message == "google.rpc.ErrorInfo":
        return check(rest, _ERROR_INFO, f"{path}<ErrorInfo>", int_enums)
    parts = message.split(".")
    schema_id = "Google" + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    if schema_id not in document()["schemas"]:
        return [f"{path}: @type {message} has no schema in the document"]
    return check(rest, {"$ref": schema_id}, f"{path}<{message}>", int_enums)


def _check_string(value: Any, schema: dict[str, Any], path: str, int_enums: bool) -> list[str]:
    if "enum" in schema:
        if int_enums:
            ok = isinstance(value, int) and value >= 0
            return [] if ok else [f"{path}: expected an enum number, got {value!r}"]
        ok = value in schema["enum"]
        return [] if ok else [f"{path}: {value!r} is not one of {schema['enum']}"]
    if not isinstance(value, str):
        return [f"{path}: expected a string, got {value!r}"]
    form = schema.get("format")
    if form in ("int64", "uint64") and not re.fullmatch(r"-?\d+", value):
        return [f"{path}: {value!r} is not an {form} string"]
    if form == "google-datetime":
        try:
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return [f"{path}: {value!r} is not an RFC 3339 timestamp"]
    if form == "google-duration" and not _DURATION.match(value):
        return [f"{path}: {value!r} is not a duration"]
    return []

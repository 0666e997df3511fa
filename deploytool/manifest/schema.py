"""The JSON Schema (draft 2020-12) of a manifest or of the policy file, generated from the
description the loader reads (manifest/shape.py), with the loader's own name and reference
patterns. For editors (`# yaml-language-server: $schema=...`) and pre-commit checks.

It says what a schema can: the keys, which are required, and the kind of every value
(strings only, `SECRET:VERSION` references, names Cloud Run accepts). Checks across blocks
(a name in both env and secrets, e2e targets, the variable count after merging) stay with
`deploytool validate`. YAML 1.1 booleans (`yes`, `on`) are strings to an editor's YAML 1.2
parser; the loader refuses them, so validate before trusting a green editor.
"""

from __future__ import annotations

from typing import Any

from deploytool.core.model import (
    MAX_VALUE_BYTES,
    MAX_VARS_PER_CONTAINER,
    RESERVED_NAMES,
    RESERVED_PREFIX,
)
from deploytool.core.regions import REGION_NAME
from deploytool.manifest.files import ENVIRONMENT_NAME
from deploytool.manifest.shape import (
    LONG_WORKLOAD_NAME,
    MANIFEST,
    POLICY,
    WORKLOAD_KEYS,
    WORKLOAD_NAME,
    Block,
    Choice,
    Digits,
    DottedPath,
    Entries,
    Expectations,
    Flag,
    IsoDate,
    Named,
    NameMap,
    Prose,
    Strings,
    UrlPath,
    Value,
    Variables,
    Word,
    WorkloadRef,
)
from deploytool.manifest.variables import MAX_NAME_CHARS, SECRET_REF
from deploytool.manifest.verify_block import DOTTED_PATH

DIALECT = "https://json-schema.org/draft/2020-12/schema"
SCHEMAS = ("manifest", "policy")
_CONTROL = "\\x00-\\x1f\\x7f-\\x9f"

_DEFS: dict[str, dict[str, Any]] = {
    "word": {"type": "string", "pattern": f"^[^\\s/{_CONTROL}]+$"},
    "variable_name": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_NAME_CHARS,
        "pattern": f"^[^={_CONTROL}]+$",
        "not": {
            "anyOf": [
                {"enum": sorted(RESERVED_NAMES)},
                {"pattern": f"^{RESERVED_PREFIX}"},
            ]
        },
    },
    "plain_value": {
        "type": "string",
        # Characters, where Cloud Run's limit is in bytes: validate checks the bytes.
        "maxLength": MAX_VALUE_BYTES,
        "pattern": "^[^\\x00]*$",
    },
    "secret_ref": {
        "type": "string",
        "pattern": SECRET_REF,
        "description": "SECRET:VERSION, e.g. jwt-secret:latest or projects/PROJECT/secrets/NAME:3",
    },
}


def json_schema(which: str) -> dict[str, Any]:
    """The schema of `which` ("manifest" or "policy")."""
    block = MANIFEST if which == "manifest" else POLICY
    body = _block(block)
    if which == "manifest":
        # A workload without region: needs a default region: at the top level.
        body["if"] = {"not": {"required": ["region"]}}
        body["then"] = {
            "properties": {
                key: {"additionalProperties": {"required": ["region"]}} for key in WORKLOAD_KEYS
            }
        }
    else:
        body["type"] = ["object", "null"]  # an empty policy.yaml is the defaults
    return {
        "$schema": DIALECT,
        "title": f"deploytool {which}",
        "description": (
            "configs/<environment>.yaml" if which == "manifest" else "configs/policy.yaml"
        ),
        **body,
        "$defs": {**_DEFS, "workload": _block(_workload_block())},
    }


def _workload_block() -> Block:
    named = next(k.value for k in MANIFEST.keys if k.name == "services")
    assert isinstance(named, Named)
    return named.entry


def _block(block: Block) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            key.name: {"description": key.description, **_value(key.value)} for key in block.keys
        },
    }
    if block.required:
        schema["required"] = list(block.required)
    groups = [{"anyOf": [{"required": [key]} for key in group]} for group in block.one_of]
    if len(groups) == 1:
        schema.update(groups[0])
    elif groups:
        schema["allOf"] = groups
    if block.exactly_one:
        schema["oneOf"] = [{"required": [key]} for key in block.exactly_one]
    return schema


def _value(value: Value) -> dict[str, Any]:
    if isinstance(value, Word):
        return {"$ref": "#/$defs/word"}
    if isinstance(value, Strings):
        item = {
            "region": {"type": "string", "pattern": REGION_NAME.pattern},
            "environment": {"type": "string", "pattern": ENVIRONMENT_NAME.pattern},
            "word": {"type": "string", "pattern": "^[A-Za-z0-9_]+$"},
        }.get(value.item, {"type": "string", "pattern": "\\S"})
        schema: dict[str, Any] = {"type": "array", "items": item, "uniqueItems": True}
        if value.non_empty:
            schema["minItems"] = 1
        return schema
    if isinstance(value, Variables):
        return {
            "type": "object",
            "propertyNames": {"$ref": "#/$defs/variable_name"},
            "additionalProperties": {
                "$ref": "#/$defs/secret_ref" if value.secret else "#/$defs/plain_value"
            },
            "maxProperties": MAX_VARS_PER_CONTAINER,
        }
    if isinstance(value, Flag):
        return {"type": "boolean"}
    if isinstance(value, Digits):
        return {"type": "string", "pattern": "^[0-9]{1,20}$"}
    if isinstance(value, NameMap):
        name = {"type": "string", "pattern": WORKLOAD_NAME.pattern}
        return {"type": "object", "propertyNames": name, "additionalProperties": name}
    if isinstance(value, IsoDate):
        return {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    if isinstance(value, Prose):
        return {"type": "string", "pattern": "\\S"}
    if isinstance(value, WorkloadRef):
        pattern = WORKLOAD_NAME if value.kind == "service" else LONG_WORKLOAD_NAME
        return {"type": "string", "pattern": pattern.pattern}
    if isinstance(value, Entries):
        return {"type": "array", "items": _block(value.entry)}
    if isinstance(value, Choice):
        return {"type": "string", "enum": list(value.options)}
    if isinstance(value, UrlPath):
        return {"type": "string", "pattern": f"^/(?!/)[^\\s{_CONTROL}]*$"}
    if isinstance(value, DottedPath):
        return {"type": "string", "pattern": DOTTED_PATH.pattern}
    if isinstance(value, Expectations):
        return {
            "type": "object",
            "propertyNames": {"type": "string", "pattern": DOTTED_PATH.pattern},
            "additionalProperties": {"type": "string"},
        }
    if isinstance(value, Named):
        key_pattern = {
            "workload": WORKLOAD_NAME,
            "long_workload": LONG_WORKLOAD_NAME,
        }.get(value.key, ENVIRONMENT_NAME)
        is_workload = value.key in ("workload", "long_workload")
        schema = {
            "type": "object",
            "propertyNames": {"type": "string", "pattern": key_pattern.pattern},
            "additionalProperties": (
                {"$ref": "#/$defs/workload"} if is_workload else _block(value.entry)
            ),
        }
        if value.non_empty:
            schema["minProperties"] = 1
        return schema
    return _block(value)

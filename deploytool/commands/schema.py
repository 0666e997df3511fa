"""`deploytool schema manifest|policy`: the JSON Schema of a manifest or of the policy file,
generated from the description the loader itself reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploytool.core.verdict import Verdict, decide
from deploytool.manifest.schema import json_schema


@dataclass(frozen=True)
class SchemaResult:
    which: str
    document: dict[str, Any]
    verdict: Verdict


def run(which: str) -> SchemaResult:
    return SchemaResult(which, json_schema(which), decide(violations=0, errors=0, drifted=0))

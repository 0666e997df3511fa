"""`deploytool validate [ENV ...]`: schema and policy of the manifests, offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from deploytool.commands.results import ValidatedEnvironment, ValidateResult
from deploytool.core.plaintext import manifest_plaintext
from deploytool.core.policy import manifest_violations
from deploytool.core.verdict import combine, decide
from deploytool.manifest import read_all


def run(config_dir: Path, environments: Sequence[str]) -> ValidateResult:
    loaded = read_all(config_dir, list(environments) or None)
    checked = []
    for manifest in loaded.manifests:
        violations = tuple(
            manifest_violations(manifest, loaded.policy)
            + manifest_plaintext(manifest, loaded.policy)
        )
        checked.append(
            ValidatedEnvironment(
                environment=manifest.environment,
                path=manifest.path,
                services=len(manifest.services),
                violations=violations,
                verdict=decide(violations=len(violations), errors=0, drifted=0),
            )
        )
    return ValidateResult(
        environments=tuple(checked),
        verdict=combine(e.verdict for e in checked),
        warnings=tuple(loaded.warnings),
    )

"""`deploytool validate [ENV ...]`: schema and policy of the manifests, offline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from deploytool.commands.results import ValidatedEnvironment, ValidateResult
from deploytool.core.ownership import ownership_of
from deploytool.core.plaintext import manifest_plaintext
from deploytool.core.policy import manifest_violations
from deploytool.core.policy_advice import policy_warnings
from deploytool.core.verdict import combine, decide
from deploytool.manifest import read_config


def run(config_dir: Path, environments: Sequence[str]) -> ValidateResult:
    # Every manifest is read, even when some are named: ownership is judged over all of them.
    loaded = read_config(config_dir, list(environments) or None)
    everything = [*loaded.manifests, *loaded.others]
    checked = []
    for manifest in loaded.manifests:
        violations = (
            *manifest_violations(manifest, loaded.policy),
            *manifest_plaintext(manifest, loaded.policy),
            *ownership_of(manifest.environment, everything, loaded.policy),
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
        warnings=(*policy_warnings(loaded.policy, loaded.environments), *loaded.warnings),
        manifests=loaded.manifests,
    )

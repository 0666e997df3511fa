"""Warnings: things worth fixing that do not make a manifest invalid. None shows a value."""

from __future__ import annotations

from deploytool.core.credentials import credential_kind, is_plain_endpoint
from deploytool.core.model import ServiceSpec
from deploytool.core.policy import Policy
from deploytool.core.secret_names import is_secret_name
from deploytool.manifest.e2e_block import E2ESet
from deploytool.manifest.nodes import shown


def manifest_warnings(
    path: str, specs: list[ServiceSpec], e2e: E2ESet | None, policy: Policy
) -> list[str]:
    """`path:line: message` for each warning, sorted by line. Call it before the e2e set is
    merged, so each declaration is warned about once."""
    found: list[tuple[int, str]] = []

    def warn(line: int | None, message: str) -> None:
        found.append((line or 0, f"{path}:{line}: {message}"))

    declared = [var for spec in specs for var in spec.env] + list(e2e.block.env if e2e else ())
    for var in declared:
        if (
            not var.is_secret_ref
            and var.value
            and is_secret_name(var.name, policy.redaction.names)
            and not is_plain_endpoint(var.value)
        ):
            warn(
                var.line,
                f"{shown(var.name)} holds a plain value but its name looks secret; store it in "
                f"Secret Manager and list it under secrets: as {shown(var.name)}: SECRET:VERSION",
            )
        elif not var.is_secret_ref and var.value and (kind := credential_kind(var.value)):
            warn(
                var.line,
                f"[plaintext-secret] {shown(var.name)} holds a plain value that looks like a "
                f"{kind} (not shown); move it to Secret Manager and list it under secrets: as "
                f"{shown(var.name)}: SECRET:VERSION",
            )
        imitated = policy.lookalike(var.name)
        if imitated is not None:
            warn(
                var.line,
                f"{shown(ascii(var.name))} looks like the E2E variable {shown(imitated)} (case "
                f"or Unicode look-alike) but policy does not match it; rename it to "
                f"{shown(imitated)} or remove it",
            )
    return [message for _, message in sorted(found)]


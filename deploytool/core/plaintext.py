"""`plaintext-secret`: credentials kept as plain environment values instead of Secret Manager
references (CONTRACT.md, "Secrets (v2)"). Pure; no value ever enters a message.

Reported live: a plain value that looks like a credential, on any container of any service
read; and a plain value under a name the manifest declares under `secrets:` for that service.
In the manifest: a credential-looking value under `env:`. Each is a warning, and a violation
(exit 4) in a protected environment whose policy says `redact.plaintext_secrets: error`. (The
manifest warning itself comes from the loader's advice, with the file:line of the value.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

from deploytool.core.credentials import credential_kind
from deploytool.core.model import EnvVar, LiveService, Manifest, ServiceSpec
from deploytool.core.policy import Policy, Violation
from deploytool.core.redact import PlaintextSecrets

RULE_PLAINTEXT_SECRET = "plaintext-secret"

# Names the shape of a value ("GitHub token"), or None; never returns part of the value.
Detector = Callable[[str], str | None]


def is_violation(policy: Policy, environment: str) -> bool:
    return (
        policy.is_protected(environment)
        and policy.redaction.plaintext_secrets is PlaintextSecrets.ERROR
    )


def live_plaintext(
    environment: str,
    live: LiveService,
    manifest: Manifest,
    policy: Policy,
    detector: Detector = credential_kind,
) -> tuple[list[Violation], list[str]]:
    """(violations, warnings) for the plain values of one live service."""
    spec = next(
        (
            s
            for s in manifest.services
            if (s.project, s.region, s.name) == (live.project, live.region, live.name)
        ),
        None,
    )
    declared = _declared_refs(spec)
    violations: list[Violation] = []
    warnings: list[str] = []
    seen: set[str] = set()
    for container in live.containers:
        for var in container.env:
            if var.secret is not None or not var.value or var.name in seen:
                continue
            kind = detector(var.value)
            if kind is None and var.name not in declared:
                continue
            seen.add(var.name)
            why = (
                f"holds a plain value that looks like a {kind}"
                if kind is not None
                else "is declared under secrets: in the manifest but is a plain value live"
            )
            message = (
                f"{live.project}/{live.region}/{live.name}: {var.name} {why} (not shown); "
                f"{move_advice(live, var, declared.get(var.name))}"
            )
            if is_violation(policy, environment):
                violations.append(
                    Violation(
                        rule=RULE_PLAINTEXT_SECRET,
                        environment=environment,
                        service=live.name,
                        variable=var.name,
                        source="live",
                        message=message,
                    )
                )
            else:
                warnings.append(f"[{RULE_PLAINTEXT_SECRET}] {message}")
    return violations, warnings


def manifest_plaintext(
    manifest: Manifest, policy: Policy, detector: Detector = credential_kind
) -> list[Violation]:
    """Credential-looking `env:` values in a protected environment's manifest, when the
    policy makes them violations (otherwise the loader's warning is all)."""
    if not is_violation(policy, manifest.environment):
        return []
    found = []
    for spec in manifest.services:
        for var in spec.env:
            if var.secret is not None or not var.value:
                continue
            kind = detector(var.value)
            if kind is None:
                continue
            where = f"{manifest.path}:{var.line}" if var.line is not None else manifest.path
            found.append(
                Violation(
                    rule=RULE_PLAINTEXT_SECRET,
                    environment=manifest.environment,
                    service=spec.name,
                    variable=var.name,
                    source="manifest",
                    message=(
                        f"{where}: {var.name} of {spec.name} holds a plain value that looks "
                        f"like a {kind} (not shown) in protected environment "
                        f"{manifest.environment!r}; store it in Secret Manager and list it "
                        f"under secrets: as {var.name}: SECRET:VERSION"
                    ),
                )
            )
    return found


def move_advice(live: LiveService, var: EnvVar, declared: str | None) -> str:
    """The gcloud command that turns the plain value into a Secret Manager reference."""
    ref = declared or f"{suggested_secret_name(var.name)}:latest"
    return (
        f"move it to Secret Manager: gcloud run services update {live.name} "
        f"--update-secrets {var.name}={ref} --region {live.region} --project {live.project}"
    )


def suggested_secret_name(variable: str) -> str:
    """A Secret Manager name for a variable: lowercase, `_` as `-` (DATABASE_URL →
    database-url)."""
    name = re.sub(r"[^a-z0-9-]+", "-", variable.lower()).strip("-")
    return name or "secret"


def _declared_refs(spec: ServiceSpec | None) -> dict[str, str]:
    if spec is None:
        return {}
    return {v.name: str(v.secret) for v in spec.env if v.secret is not None}

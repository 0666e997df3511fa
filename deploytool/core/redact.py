"""The one redaction decision: whether a plain value may be shown, from the variable's name,
its declaration and the value itself (CONTRACT.md, "Secrets (v2)"). Pure.

Every writer asks this through `deploytool.redaction`, which adds the process-wide context
(the policy's `redact.names`, the names the manifests declare under `secrets:`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from deploytool.core.credentials import credential_kind
from deploytool.core.secret_names import is_secret_name


class PlaintextSecrets(StrEnum):
    """What a credential-looking plain value is in a protected environment."""

    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True)
class RedactionSettings:
    """The policy's `redact:` section."""

    names: tuple[str, ...] = ()  # more words that mark a name as secret (added to the defaults)
    plaintext_secrets: PlaintextSecrets = PlaintextSecrets.WARN


class MaskReason(StrEnum):
    NAME = "name"  # the name contains a secret word
    DECLARED = "declared"  # the manifest declares the name under `secrets:`
    VALUE = "value"  # the value looks like a credential


def mask_reason(
    name: str,
    value: str | None,
    *,
    settings: RedactionSettings | None = None,
    declared: Collection[str] = (),
) -> MaskReason | None:
    """Why the value of `name` must print as `***`, or None when it may be shown."""
    if is_secret_name(name, settings.names if settings else ()):
        return MaskReason.NAME
    if name in declared:
        return MaskReason.DECLARED
    if value and credential_kind(value) is not None:
        return MaskReason.VALUE
    return None

"""What one exported document holds, before its project is resolved: the core values, with
the project as the file wrote it (an id, or a project number) and where it was written."""

from __future__ import annotations

from dataclasses import dataclass

from deploytool.core.model import LiveRevision, LiveService


@dataclass(frozen=True)
class ParsedService:
    service: LiveService
    where: str  # file:line of the document, for errors


@dataclass(frozen=True)
class ParsedRevision:
    revision: LiveRevision
    where: str


Parsed = ParsedService | ParsedRevision

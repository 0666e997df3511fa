"""What one exported document holds, before its project is resolved: the core values, with
the project as the file wrote it (an id, or a project number) and where it was written."""

from __future__ import annotations

from dataclasses import dataclass

from deploytool.core.model import LiveExecution, LiveRevision, LiveService


@dataclass(frozen=True)
class LatestExecution:
    """A job's `latestCreatedExecution` (absent from `--format export`): enough to know
    whether a run the gate must check exists even when no execution file was given."""

    name: str
    create_time: str = ""
    running: bool = False


@dataclass(frozen=True)
class ParsedService:
    """A service, job or worker pool (`service.kind` says which)."""

    service: LiveService
    where: str  # file:line of the document, for errors
    latest_execution: LatestExecution | None = None  # jobs only


@dataclass(frozen=True)
class ParsedRevision:
    revision: LiveRevision
    where: str


@dataclass(frozen=True)
class ParsedExecution:
    execution: LiveExecution
    where: str


@dataclass(frozen=True)
class ExecutionsListed:
    """A list response of executions (`{"executions": [...]}`), possibly empty: executions
    were exported, so none in it means none ran."""

    where: str


Parsed = ParsedService | ParsedRevision | ParsedExecution | ExecutionsListed

"""The one error hierarchy. Each class carries the exit code of CONTRACT.md; cli.py turns it
into an exit in exactly one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    BUG = 1
    USAGE = 2
    DRIFT = 3
    POLICY = 4
    LIVE = 5
    INTERRUPTED = 130


class DeployToolError(Exception):
    """An expected failure: the message says what happened, the hint what to do."""

    exit_code: ExitCode = ExitCode.BUG

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(DeployToolError):
    """Bad arguments or a missing file: nothing was read from or written to Cloud Run."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class ManifestProblem:
    """One thing wrong in a manifest or policy file, pinned to a line."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.message}"


class ManifestError(UsageError):
    """A manifest or policy file is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[ManifestProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line or 0, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class PolicyViolationError(DeployToolError):
    """A write was refused because the environment's policy forbids it."""

    exit_code = ExitCode.POLICY


class LiveStateError(DeployToolError):
    """Cloud Run could not be read or written: auth, permission, network, API error."""

    exit_code = ExitCode.LIVE

    def __init__(self, message: str, hint: str | None = None, *, service: str | None = None):
        super().__init__(message, hint)
        self.service = service


class CredentialsError(LiveStateError):
    """No usable credentials (ADC missing, impersonation refused)."""


class ConflictError(LiveStateError):
    """The service changed between read and write (etag mismatch) and the plan no longer holds."""


class RolloutError(LiveStateError):
    """The update was accepted but the new revision did not become ready."""


class RolloutUnknownError(LiveStateError):
    """The update was accepted but its rollout could not be followed (the operation could
    not be polled): the service must be re-read to know what happened."""


class PlanChangedError(LiveStateError):
    """A saved plan no longer holds (manifests, etags or the plan itself changed, or it is
    too old): nothing was written; re-plan."""

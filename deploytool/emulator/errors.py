"""Errors of the emulator: API errors it answers over HTTP, and a bad state file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deploytool.errors import UsageError

# HTTP status -> the google.rpc code name Google's JSON error body carries alongside it.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "UNIMPLEMENTED",
    409: "ABORTED",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


class ApiError(Exception):
    """An error the emulator answers as `{"error": {"code", "message", "status"}}`."""

    def __init__(
        self,
        http_code: int,
        message: str,
        status: str | None = None,
        details: Sequence[Mapping[str, object]] = (),
    ) -> None:
        super().__init__(message)
        self.http_code = http_code
        self.message = message
        self.status = status or _STATUS_NAMES.get(http_code, "UNKNOWN")
        # e.g. a google.rpc.ErrorInfo, which the client exposes as exc.reason / exc.metadata
        self.details = [dict(detail) for detail in details]

    def to_json(self) -> dict[str, object]:
        error: dict[str, object] = {
            "code": self.http_code,
            "message": self.message,
            "status": self.status,
        }
        if self.details:
            error["details"] = self.details
        return {"error": error}

    @classmethod
    def not_found(cls, message: str) -> ApiError:
        return cls(404, message, "NOT_FOUND")

    @classmethod
    def invalid(cls, message: str) -> ApiError:
        return cls(400, message, "INVALID_ARGUMENT")

    @classmethod
    def aborted(cls, message: str) -> ApiError:
        return cls(409, message, "ABORTED")

    @classmethod
    def already_exists(cls, message: str) -> ApiError:
        return cls(409, message, "ALREADY_EXISTS")


class StateFileError(UsageError, ValueError):
    """The emulator's state file is missing or invalid. A `UsageError`, so the CLI exits 2;
    also a `ValueError` for callers that only know the standard library."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(
            f"{path}: {reason}",
            hint="fix the state file; deploytool/emulator/statefile.py documents its format",
        )
        self.path = path
        self.reason = reason

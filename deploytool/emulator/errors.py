"""Errors of the emulator: API errors it answers over HTTP, and a bad state file.

Every API error carries exactly one google.rpc.ErrorInfo in `details`, as AIP-193 requires
("All error responses must include an ErrorInfo payload in details"; variables that appear in
the message must also be in its metadata). Cloud Run's own reasons are not published; the
ones used here are the emulator's (docs/EMULATOR.md lists them), under the domain
`run.googleapis.com`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deploytool.errors import UsageError

DOMAIN = "run.googleapis.com"
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"

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


def error_info(
    reason: str, metadata: Mapping[str, str] | None = None, domain: str = DOMAIN
) -> dict[str, object]:
    """A google.rpc.ErrorInfo as it appears in a JSON error body (an `Any` with `@type`)."""
    return {
        "@type": ERROR_INFO,
        "reason": reason,
        "domain": domain,
        "metadata": dict(metadata or {}),
    }


class ApiError(Exception):
    """An error the emulator answers as `{"error": {"code", "message", "status", "details"}}`."""

    def __init__(
        self,
        http_code: int,
        message: str,
        status: str | None = None,
        details: Sequence[Mapping[str, object]] = (),
        *,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.http_code = http_code
        self.message = message
        self.status = status or _STATUS_NAMES.get(http_code, "UNKNOWN")
        # The client exposes the ErrorInfo as exc.reason / exc.domain / exc.metadata.
        self.details = [dict(detail) for detail in details]
        if not any(detail.get("@type") == ERROR_INFO for detail in self.details):
            self.details.insert(0, error_info(reason or self.status, metadata))

    @property
    def reason(self) -> str:
        info = next(d for d in self.details if d.get("@type") == ERROR_INFO)
        return str(info["reason"])

    def to_json(self) -> dict[str, object]:
        error: dict[str, object] = {
            "code": self.http_code,
            "message": self.message,
            "status": self.status,
            "details": self.details,
        }
        return {"error": error}

    @classmethod
    def not_found(
        cls, message: str, reason: str = "NOT_FOUND", metadata: Mapping[str, str] | None = None
    ) -> ApiError:
        return cls(404, message, "NOT_FOUND", reason=reason, metadata=metadata)

    @classmethod
    def missing(cls, kind: str, name: str) -> ApiError:
        """A resource that does not exist, in Cloud Run's words: "Resource 'S' of kind
        'SERVICE' in region 'R' in project 'P' does not exist." (`name` is the full name)."""
        parts = name.split("/")
        project = parts[1] if len(parts) > 1 else ""
        region = parts[3] if len(parts) > 3 else ""
        short = parts[-1]
        return cls.not_found(
            f"Resource '{short}' of kind '{kind}' in region '{region}' in project "
            f"'{project}' does not exist.",
            reason="RESOURCE_NOT_FOUND",
            metadata={"resource": short, "kind": kind, "region": region, "project": project},
        )

    @classmethod
    def invalid(
        cls,
        message: str,
        reason: str = "INVALID_ARGUMENT",
        metadata: Mapping[str, str] | None = None,
    ) -> ApiError:
        return cls(400, message, "INVALID_ARGUMENT", reason=reason, metadata=metadata)

    @classmethod
    def aborted(
        cls, message: str, reason: str = "ABORTED", metadata: Mapping[str, str] | None = None
    ) -> ApiError:
        return cls(409, message, "ABORTED", reason=reason, metadata=metadata)

    @classmethod
    def already_exists(
        cls, message: str, reason: str = "ALREADY_EXISTS", metadata: Mapping[str, str] | None = None
    ) -> ApiError:
        return cls(409, message, "ALREADY_EXISTS", reason=reason, metadata=metadata)


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

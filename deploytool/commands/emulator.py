"""`deploytool emulator`: the local Cloud Run Admin API v2 server, in the foreground."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deploytool.core.verdict import Status, Verdict
from deploytool.errors import ExitCode, UsageError


@dataclass(frozen=True)
class EmulatorResult:
    verdict: Verdict = field(default_factory=lambda: Verdict(Status.IN_SYNC, ExitCode.OK))


def run(host: str, port: int, state: Path | None) -> EmulatorResult:
    from deploytool.emulator import StateFileError, serve

    if host not in ("127.0.0.1", "localhost", "::1"):
        # It has no authentication: anything that reaches it can rewrite its services.
        import sys

        print(f"warning: the emulator has no authentication; binding {host}", file=sys.stderr)
    try:
        serve(host, port, str(state) if state else None)
    except StateFileError as exc:
        raise UsageError(str(exc), "fix the state file or start without --state") from exc
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", "choose another --port"
        ) from exc
    return EmulatorResult()

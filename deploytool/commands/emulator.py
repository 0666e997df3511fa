"""`deploytool emulator`: the local Cloud Run Admin API v2 server, in the foreground, with
optional fault injection for drills and tests."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploytool.core.verdict import Status, Verdict
from deploytool.errors import ExitCode, UsageError


@dataclass(frozen=True)
class EmulatorResult:
    verdict: Verdict = field(default_factory=lambda: Verdict(Status.IN_SYNC, ExitCode.OK))


@dataclass(frozen=True)
class FaultFlags:
    """Faults from the command line: `--fault ROUTE:STATUS[:RATE]`, `--drop ROUTE[:RATE]`,
    `--deny PREFIX`, `--fail-rollout SERVICE=MESSAGE`, `--race-etag SERVICE[:TIMES]`,
    `--repeat-page-token ROUTE`."""

    errors: Sequence[str] = ()
    drops: Sequence[str] = ()
    deny: Sequence[str] = ()
    fail_rollout: Sequence[str] = ()
    races: Sequence[str] = ()
    repeat_tokens: Sequence[str] = ()
    seed: int | None = None
    latency: float = 0.0
    operation_delay: float = 0.0

    def apply_to(self, state: Any) -> None:
        if self.seed is not None:
            state.faults.reseed(self.seed)
        try:
            for spec in self.errors:
                route, status, rate = _split(spec, 3, "--fault ROUTE:STATUS[:RATE]")
                state.faults.inject_error(route, int(status), float(rate or 1.0))
            for spec in self.drops:
                route, rate = _split(spec, 2, "--drop ROUTE[:RATE]")
                state.faults.drop_connections(route, float(rate or 1.0))
            for prefix in self.deny:
                state.faults.deny(prefix)
            for spec in self.races:
                service, times = _split(spec, 2, "--race-etag SERVICE[:TIMES]")
                state.faults.race_etag(service, int(times or 1))
            for route in self.repeat_tokens:
                state.faults.repeat_page_token(route)
            for spec in self.fail_rollout:
                service, _, message = spec.partition("=")
                if not service or not message:
                    raise ValueError("use --fail-rollout projects/P/locations/L/services/S=MSG")
                state.set_fail_rollout(service, message)
        except (ValueError, KeyError) as exc:
            raise UsageError(f"bad fault flag: {exc}", "see `deploytool emulator --help`") from exc


def _split(spec: str, parts: int, usage: str) -> list[str]:
    # Routes contain no colon; a resource name in --race-etag contains none either.
    pieces = spec.split(":")
    if not 1 <= len(pieces) <= parts or not pieces[0]:
        raise ValueError(f"{spec!r}: use {usage}")
    return pieces + [""] * (parts - len(pieces))


def run(
    host: str,
    port: int,
    state: Path | None,
    faults: FaultFlags | None = None,
    *,
    apps: bool = False,
) -> EmulatorResult:
    from deploytool.emulator import StateFileError, serve

    flags = faults or FaultFlags()
    if host not in ("127.0.0.1", "localhost", "::1"):
        # It has no authentication: anything that reaches it can rewrite its services.
        print(f"warning: the emulator has no authentication; binding {host}", file=sys.stderr)
    try:
        serve(
            host,
            port,
            str(state) if state else None,
            latency=flags.latency,
            operation_delay=flags.operation_delay,
            configure=flags.apply_to,
            apps=apps,
        )
    except StateFileError as exc:
        raise UsageError(str(exc), "fix the state file or start without --state") from exc
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}", "choose another --port"
        ) from exc
    return EmulatorResult()

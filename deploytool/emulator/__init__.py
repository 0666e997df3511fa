"""A local Cloud Run Admin API v2 server built on the library's own message types, for the
demo, the test suite and the benchmarks. The real `google-cloud-run` REST client talks to it
unmodified:

    with Emulator(EmulatorState.from_file("state.yaml"), operation_delay=0.5) as emulator:
        client = run_v2.ServicesClient(
            transport="rest", credentials=AnonymousCredentials(),
            client_options={"api_endpoint": emulator.endpoint})

Names are imported lazily: importing `google.cloud.run_v2` costs about 0.3 s, and
`deploytool --help` must not pay it just because the CLI mentions this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from deploytool.emulator.errors import ApiError, StateFileError
    from deploytool.emulator.faults import FaultDecision, FaultPlan
    from deploytool.emulator.server import Emulator, RecordedRequest, serve
    from deploytool.emulator.state import EmulatorState

__all__ = [
    "ApiError",
    "Emulator",
    "EmulatorState",
    "FaultDecision",
    "FaultPlan",
    "RecordedRequest",
    "StateFileError",
    "serve",
]

_HOMES = {
    "ApiError": "errors",
    "StateFileError": "errors",
    "FaultDecision": "faults",
    "FaultPlan": "faults",
    "Emulator": "server",
    "RecordedRequest": "server",
    "serve": "server",
    "EmulatorState": "state",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)

"""The fault plan through the real client: deny, seeded error rates, drops, latency."""

from __future__ import annotations

import time

import pytest
import requests
from google.api_core import exceptions
from google.cloud import run_v2

from deploytool.emulator import Emulator, EmulatorState, FaultPlan
from tests.emulator.conftest import BACKEND, PARENT, make_service, services_client

SECRET = "projects/secret-proj/locations/us-central1"


def test_denied_project_is_permission_denied_naming_the_permission(
    state: EmulatorState, emulator: Emulator, services: run_v2.ServicesClient
) -> None:
    state.put_service(make_service(f"{SECRET}/services/hidden"))
    emulator.faults.deny("projects/secret-proj")

    # Over REST the client picks the exception by HTTP status: 403 is Forbidden (the parent
    # of PermissionDenied); the ErrorInfo detail carries the reason and the permission.
    with pytest.raises(exceptions.Forbidden, match=r"run\.services\.list") as info:
        list(services.list_services(parent=SECRET))
    with pytest.raises(exceptions.Forbidden, match=r"run\.services\.get"):
        services.get_service(name=f"{SECRET}/services/hidden")
    assert info.value.reason == "IAM_PERMISSION_DENIED"
    assert info.value.metadata == {"permission": "run.services.list", "resource": SECRET}
    assert [s.name for s in services.list_services(parent=PARENT)] == [BACKEND]


def _failures(seed: int, attempts: int = 40) -> list[int]:
    """Which of `attempts` gets fail when 503 is injected at 30% with `seed`."""
    state = EmulatorState()
    state.put_service(make_service())
    state.faults = FaultPlan(seed).inject_error("services.get", 503, rate=0.3)
    failed = []
    with Emulator(state) as emulator:
        client = services_client(emulator)
        for attempt in range(attempts):
            try:
                client.get_service(name=BACKEND, retry=None)
            except exceptions.ServiceUnavailable:
                failed.append(attempt)
    return failed


def test_seeded_503_rate_is_reproducible() -> None:
    first, again, other = _failures(seed=11), _failures(seed=11), _failures(seed=12)

    assert first == again
    assert first != other
    assert 4 <= len(first) <= 20


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, exceptions.TooManyRequests),
        (500, exceptions.InternalServerError),
        (503, exceptions.ServiceUnavailable),
    ],
)
def test_injected_status_maps_to_the_client_exception(
    emulator: Emulator,
    services: run_v2.ServicesClient,
    status: int,
    error: type[exceptions.GoogleAPICallError],
) -> None:
    emulator.faults.inject_error("services.list", status, rate=1.0)

    with pytest.raises(error):
        list(services.list_services(parent=PARENT, retry=None))
    assert services.get_service(name=BACKEND).name == BACKEND  # other routes unaffected


def test_dropped_connection_is_a_connection_error(emulator: Emulator) -> None:
    emulator.faults.drop_connections("services.get")

    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{emulator.endpoint}/v2/{BACKEND}", timeout=5)


def test_latency_is_added_to_every_request(state: EmulatorState) -> None:
    with Emulator(state, latency=0.05) as emulator:
        client = services_client(emulator)
        client.get_service(name=BACKEND)
        started = time.perf_counter()
        client.get_service(name=BACKEND)
        assert time.perf_counter() - started >= 0.05


def test_fault_plan_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="route"):
        FaultPlan().inject_error("services.delete", 503)
    with pytest.raises(ValueError, match="rate"):
        FaultPlan().inject_error("*", 503, rate=2)

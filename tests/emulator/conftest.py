"""Fixtures: a running emulator and the REAL google-cloud-run REST clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2

from deploytool.emulator import Emulator, EmulatorState

PARENT = "projects/netra-staging/locations/us-central1"
BACKEND = f"{PARENT}/services/netra-backend-staging"


def make_service(
    name: str = BACKEND,
    env: Mapping[str, str] | None = None,
    secrets: Mapping[str, tuple[str, str]] | None = None,
    image: str = "gcr.io/netra/backend:1",
) -> run_v2.Service:
    """A service as a seed would have it: a template with one container, nothing else."""
    variables = [run_v2.EnvVar(name=k, value=v) for k, v in (env or {}).items()]
    for key, (secret, version) in (secrets or {}).items():
        ref = run_v2.SecretKeySelector(secret=secret, version=version)
        variables.append(
            run_v2.EnvVar(name=key, value_source=run_v2.EnvVarSource(secret_key_ref=ref))
        )
    container = run_v2.Container(
        name="backend",
        image=image,
        env=variables,
        ports=[run_v2.ContainerPort(container_port=8080)],
    )
    return run_v2.Service(name=name, template=run_v2.RevisionTemplate(containers=[container]))


def env_of(message: run_v2.Service | run_v2.Revision) -> dict[str, str]:
    """Plain variables of the first container, by name (secret refs as SECRET:VERSION)."""
    containers = (
        message.template.containers if isinstance(message, run_v2.Service) else message.containers
    )
    result = {}
    for var in containers[0].env:
        ref = var.value_source.secret_key_ref
        result[var.name] = f"{ref.secret}:{ref.version}" if ref.secret else var.value
    return result


@pytest.fixture
def state() -> EmulatorState:
    state = EmulatorState(seed=7)
    state.put_service(
        make_service(env={"ENVIRONMENT": "staging"}, secrets={"JWT_SECRET": ("jwt-secret", "3")})
    )
    return state


@pytest.fixture
def emulator(state: EmulatorState) -> Iterator[Emulator]:
    with Emulator(state) as running:
        yield running


def services_client(emulator: Emulator) -> run_v2.ServicesClient:
    """The real client, configured as deploytool configures it for CLOUD_RUN_EMULATOR_HOST."""
    return run_v2.ServicesClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.endpoint},
    )


def revisions_client(emulator: Emulator) -> run_v2.RevisionsClient:
    return run_v2.RevisionsClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options={"api_endpoint": emulator.endpoint},
    )


@pytest.fixture
def services(emulator: Emulator) -> run_v2.ServicesClient:
    return services_client(emulator)


@pytest.fixture
def revisions(emulator: Emulator) -> run_v2.RevisionsClient:
    return revisions_client(emulator)

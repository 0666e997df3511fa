"""Small constructors for hand-built core values. Pure data, no I/O."""

from __future__ import annotations

from deploytool.core.model import (
    E2EBlock,
    EnvVar,
    LiveContainer,
    LiveRevision,
    LiveService,
    Manifest,
    SecretRef,
    ServiceSpec,
    TrafficShare,
)

PROJECT = "netra-staging"
REGION = "us-central1"


def plain(name: str, value: str | None = None, line: int | None = None) -> EnvVar:
    return EnvVar(name, value=value, line=line)


def secret(name: str, ref: str, line: int | None = None) -> EnvVar:
    secret_name, _, version = ref.rpartition(":")
    return EnvVar(name, secret=SecretRef(secret_name, version), line=line)


def env(**values: str) -> tuple[EnvVar, ...]:
    return tuple(plain(k, v) for k, v in values.items())


def spec(
    name: str = "svc",
    env_vars: tuple[EnvVar, ...] = (),
    *,
    project: str = PROJECT,
    region: str = REGION,
    container: str | None = None,
    ignore: tuple[str, ...] = (),
    line: int | None = None,
) -> ServiceSpec:
    return ServiceSpec(
        name=name,
        project=project,
        region=region,
        env=env_vars,
        container=container,
        ignore=ignore,
        line=line,
    )


def container(
    env_vars: tuple[EnvVar, ...] = (), name: str = "app", has_port: bool = False
) -> LiveContainer:
    return LiveContainer(name=name, env=env_vars, has_port=has_port)


def live(
    name: str = "svc",
    env_vars: tuple[EnvVar, ...] = (),
    *,
    project: str = PROJECT,
    region: str = REGION,
    containers: tuple[LiveContainer, ...] | None = None,
    latest_created: str = "",
    latest_ready: str = "",
    ready: bool | None = None,
    condition_message: str = "",
    traffic: tuple[tuple[str, int] | tuple[str, int, str, str], ...] = (),
) -> LiveService:
    """`traffic`: (revision, percent) or (revision, percent, tag, uri) entries."""
    return LiveService(
        name=name,
        project=project,
        region=region,
        containers=containers if containers is not None else (container(env_vars),),
        latest_created_revision=latest_created,
        latest_ready_revision=latest_ready,
        ready=ready,
        condition_message=condition_message,
        traffic=tuple(TrafficShare(*entry) for entry in traffic),
    )


def revision(
    name: str,
    env_vars: tuple[EnvVar, ...] = (),
    *,
    service: str = "svc",
    project: str = PROJECT,
    region: str = REGION,
) -> LiveRevision:
    return LiveRevision(
        name=name,
        service=service,
        project=project,
        region=region,
        containers=(container(env_vars),),
        ready=True,
    )


def manifest(
    services: tuple[ServiceSpec, ...],
    *,
    environment: str = "staging",
    project: str = PROJECT,
    region: str = REGION,
    path: str = "configs/staging.yaml",
    e2e: E2EBlock | None = None,
    project_line: int | None = None,
) -> Manifest:
    return Manifest(
        environment=environment,
        path=path,
        project=project,
        region=region,
        services=services,
        e2e=e2e,
        project_line=project_line,
    )

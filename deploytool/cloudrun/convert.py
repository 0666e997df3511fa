"""Protobuf messages of google-cloud-run ↔ the core model. Nothing above the adapter sees a
proto."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from google.cloud import run_v2

from deploytool.core.model import (
    EnvVar,
    LiveContainer,
    LiveRevision,
    LiveService,
    SecretRef,
    TrafficShare,
)
from deploytool.redaction import remember

_SUCCEEDED = run_v2.Condition.State.CONDITION_SUCCEEDED
_FAILED = run_v2.Condition.State.CONDITION_FAILED
_LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST


def split_name(resource: str) -> tuple[str, str, str]:
    """`projects/P/locations/L/services/S[/revisions/R]` → (P, L, S)."""
    parts = resource.split("/")
    return parts[1], parts[3], parts[5]


def short(resource: str) -> str:
    return resource.rsplit("/", 1)[-1]


def env_from_proto(entries: Iterable[run_v2.EnvVar]) -> tuple[EnvVar, ...]:
    out = []
    for entry in entries:
        ref = entry.value_source.secret_key_ref if "value_source" in entry else None
        if ref is not None and ref.secret:
            out.append(EnvVar(entry.name, secret=SecretRef(ref.secret, ref.version or "latest")))
        else:
            # An entry with neither field set is the empty string to Cloud Run.
            out.append(EnvVar(entry.name, value=entry.value))
    return tuple(out)


def env_to_proto(variables: Sequence[EnvVar]) -> list[run_v2.EnvVar]:
    out = []
    for var in variables:
        if var.secret is not None:
            ref = run_v2.SecretKeySelector(secret=var.secret.secret, version=var.secret.version)
            out.append(
                run_v2.EnvVar(name=var.name, value_source=run_v2.EnvVarSource(secret_key_ref=ref))
            )
        else:
            out.append(run_v2.EnvVar(name=var.name, value=var.value or ""))
    return out


def containers_from_proto(containers: Iterable[run_v2.Container]) -> tuple[LiveContainer, ...]:
    out = tuple(
        LiveContainer(name=c.name, env=env_from_proto(c.env), has_port=bool(c.ports))
        for c in containers
    )
    # Every plaintext value under a secret-looking name is noted the moment it is read, so
    # it is scrubbed from anything that later echoes it (an API error, a traceback).
    for container in out:
        remember(container.env)
    return out


def service_from_proto(service: run_v2.Service) -> LiveService:
    project, region, name = split_name(service.name)
    condition = service.terminal_condition
    ready: bool | None = None
    if condition.state == _SUCCEEDED:
        ready = True
    elif condition.state == _FAILED:
        ready = False
    return LiveService(
        name=name,
        project=project,
        region=region,
        containers=containers_from_proto(service.template.containers),
        etag=service.etag,
        annotations=tuple(sorted(service.annotations.items())),
        latest_created_revision=short(service.latest_created_revision),
        latest_ready_revision=short(service.latest_ready_revision),
        ready=ready,
        condition_message=condition.message,
        traffic=_traffic(service),
        uri=service.uri,
        last_modifier=service.last_modifier,
        update_time=timestamp(service, "update_time"),
    )


def timestamp(message: Any, field: str) -> str:
    """A proto timestamp as ISO-8601 UTC (`2026-01-02T03:04:05.123456Z`), "" when unset."""
    if field not in message:
        return ""
    value = getattr(message, field)
    return str(value.rfc3339()) if hasattr(value, "rfc3339") else str(value)


def _traffic(service: run_v2.Service) -> tuple[TrafficShare, ...]:
    """What serves, tags included. A LATEST entry may come without a revision name (the
    v2 API leaves it out at times; a guess from gcloud output): it is the latest ready one,
    which must still be read when it is not the template's (a failed rollout)."""
    out = []
    for status in service.traffic_statuses:
        revision = status.revision
        if not revision and status.type_ == _LATEST:
            revision = service.latest_ready_revision
        if revision:
            out.append(
                TrafficShare(
                    short(revision),
                    status.percent,
                    status.tag,
                    status.uri,
                    follows_latest=status.type_ == _LATEST,
                )
            )
    return tuple(out)


def revision_from_proto(revision: run_v2.Revision) -> LiveRevision:
    project, region, service = split_name(revision.name)
    ready: bool | None = None
    message = ""
    for condition in revision.conditions:
        if condition.type_ == "Ready":
            ready = condition.state == _SUCCEEDED
            message = condition.message
    return LiveRevision(
        name=short(revision.name),
        service=service,
        project=project,
        region=region,
        containers=containers_from_proto(revision.containers),
        ready=ready,
        condition_message=message,
        creator=revision.creator,
        create_time=timestamp(revision, "create_time"),
    )

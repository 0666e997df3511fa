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

# Plain ints: the raw protobuf messages read below hold enums as numbers.
_SUCCEEDED = int(run_v2.Condition.State.CONDITION_SUCCEEDED)
_FAILED = int(run_v2.Condition.State.CONDITION_FAILED)
_LATEST = int(run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST)


def split_name(resource: str) -> tuple[str, str, str]:
    """`projects/P/locations/L/services/S[/revisions/R]` → (P, L, S)."""
    parts = resource.split("/")
    return parts[1], parts[3], parts[5]


def short(resource: str) -> str:
    return resource.rsplit("/", 1)[-1]


def env_from_proto(entries: Iterable[Any]) -> tuple[EnvVar, ...]:
    """Env entries (proto-plus or raw protobuf messages) as the core's EnvVar."""
    out = []
    for entry in map(_raw, entries):
        ref = entry.value_source.secret_key_ref if entry.HasField("value_source") else None
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


def containers_from_proto(containers: Iterable[Any]) -> tuple[LiveContainer, ...]:
    """Containers (proto-plus or raw protobuf messages) as the core's LiveContainer."""
    out = tuple(
        LiveContainer(name=c.name, env=env_from_proto(c.env), has_port=len(c.ports) > 0)
        for c in map(_raw, containers)
    )
    # Every plaintext value under a secret-looking name is noted the moment it is read, so
    # it is scrubbed from anything that later echoes it (an API error, a traceback).
    for container in out:
        remember(container.env)
    return out


def _raw(message: Any) -> Any:
    """The protobuf message under a proto-plus wrapper. Listing 1,200 services reads every
    field of every one: through the wrappers that cost about 0.4 ms a service, on the raw
    messages a fraction of it (scripts/bench_audit.py)."""
    wrapper = type(message)
    return wrapper.pb(message) if hasattr(wrapper, "pb") else message


def service_from_proto(service: run_v2.Service) -> LiveService:
    raw = _raw(service)
    project, region, name = split_name(raw.name)
    condition = raw.terminal_condition
    ready: bool | None = None
    if condition.state == _SUCCEEDED:
        ready = True
    elif condition.state == _FAILED:
        ready = False
    return LiveService(
        name=name,
        project=project,
        region=region,
        containers=containers_from_proto(raw.template.containers),
        etag=raw.etag,
        annotations=tuple(sorted(raw.annotations.items())),
        latest_created_revision=short(raw.latest_created_revision),
        latest_ready_revision=short(raw.latest_ready_revision),
        ready=ready,
        condition_message=condition.message,
        traffic=_traffic(raw),
        uri=raw.uri,
        last_modifier=raw.last_modifier,
        update_time=timestamp(raw, "update_time"),
    )


def timestamp(message: Any, field: str) -> str:
    """A proto timestamp as ISO-8601 UTC (`2026-01-02T03:04:05.123456Z`), "" when unset.
    `message` may be proto-plus or raw protobuf."""
    raw = _raw(message)
    if not raw.HasField(field):
        return ""
    return str(getattr(raw, field).ToJsonString())


def _traffic(service: Any) -> tuple[TrafficShare, ...]:
    """What serves, tags included (`service` is the raw protobuf Service). A LATEST entry
    may come without a revision name (the v2 API leaves it out at times; a guess from gcloud
    output): it is the latest ready one, which must still be read when it is not the
    template's (a failed rollout)."""
    out = []
    for status in service.traffic_statuses:
        revision = status.revision
        latest = status.type_ == _LATEST
        if not revision and latest:
            revision = service.latest_ready_revision
        if revision:
            out.append(
                TrafficShare(short(revision), status.percent, status.tag, status.uri, latest)
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

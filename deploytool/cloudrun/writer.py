"""Read-modify-write of one Cloud Run workload (service, job or worker pool): only the
managed container's env and deploytool's own annotations change; every other field goes back
exactly as it was read (a job update replaces the job, so the whole job read is sent)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.api_core.future import polling

from deploytool.cloudrun.convert import env_to_proto, short, split_name
from deploytool.cloudrun.failures import is_transient, translate
from deploytool.cloudrun.gateway import CloudRunGateway, read_retry
from deploytool.cloudrun.kinds import KIND_APIS, kind_of
from deploytool.core.model import SERVICE, EnvVar, LiveService
from deploytool.errors import (
    LiveStateError,
    RolloutError,
    RolloutUnknownError,
)

log = logging.getLogger("deploytool.cloudrun")


@dataclass(frozen=True)
class FetchedService:
    """A service read for writing: the exact message (opaque above the adapter) and its
    core view."""

    live: LiveService
    message: Any


def fetch(
    gateway: CloudRunGateway, project: str, region: str, name: str, kind: str = SERVICE
) -> FetchedService:
    message = gateway.get_workload_proto(kind, project, region, name)
    return FetchedService(KIND_APIS[kind].from_proto(message), message)


def build_update(
    fetched: FetchedService,
    container: str,
    env: Sequence[EnvVar],
    annotations: Mapping[str, str],
) -> Any:
    api = KIND_APIS[kind_of(fetched.message)]
    service = api.message.deserialize(api.message.serialize(fetched.message))
    target = next((c for c in api.containers(service) if c.name == container), None)
    if target is None:
        raise LiveStateError(
            f"container {container!r} vanished from {fetched.live.name}",
            "re-run to see the new plan",
            service=fetched.live.name,
        )
    del target.env[:]
    target.env.extend(env_to_proto(env))
    # Re-sending the fetched revision name with a changed template is a 409 "already exists".
    if api.has_revisions:
        service.template.revision = ""
    for key, value in annotations.items():
        service.annotations[key] = value
    return service


def sent_env(service: Any) -> list[tuple[str, str]]:
    """(container, variable name) of every env entry in an update about to be sent."""
    return [
        (c.name, e.name) for c in KIND_APIS[kind_of(service)].containers(service) for e in c.env
    ]


def rollout_polling(deadline: float) -> gretry.Retry:
    """Poll the operation from 0.2 s, backing off to 5 s: api_core's default waits a whole
    second before the first look, which dominates short rollouts."""
    return polling.DEFAULT_POLLING.with_delay(
        initial=0.2, maximum=5.0, multiplier=1.5
    ).with_timeout(deadline)


def send_update(
    gateway: CloudRunGateway,
    service: Any,
    *,
    validate_only: bool,
    rollout_timeout: float,
) -> LiveService:
    """Send the update guarded by the etag that was read, and wait for the rollout.

    The etag makes a duplicate write impossible, so a transient failure of the call itself
    is retried (and a validate-only call writes nothing, so it is retried too); a 409 is not
    retried here: the caller re-reads and re-plans."""
    name = service.name.rsplit("/", 1)[-1]
    verb = "validate an update of" if validate_only else "update"
    api = KIND_APIS[kind_of(service)]
    try:
        operation = api.update(
            gateway.clients,
            service,
            validate_only,
            read_retry(gateway.settings.timeout) if service.etag or validate_only else None,
            min(gateway.settings.timeout, 30.0),
        )
    except Exception as exc:
        raise translate(
            exc, doing=f"{verb} {name}", service=name, endpoint=gateway.settings.endpoint
        ) from exc
    try:
        # Polls are reads: each one retries 429/5xx/dropped connections on its own.
        result = operation.result(
            timeout=rollout_timeout,
            retry=read_retry(gateway.settings.timeout),
            polling=rollout_polling(rollout_timeout),
        )
    except gexc.GoogleAPICallError as exc:
        if validate_only:
            raise LiveStateError(
                f"Cloud Run rejected the update of {name} in preflight: {exc.message}",
                "fix the manifest; nothing was written",
                service=name,
            ) from exc
        raise _rollout_failure(gateway, service, str(exc.message or exc)) from exc
    except Exception as exc:
        if is_transient(exc) or isinstance(exc, TimeoutError | gexc.RetryError):
            cause = translate(exc, doing=f"follow the rollout of {name}", service=name)
            raise RolloutUnknownError(
                f"lost track of the rollout of {name}: {cause.message}",
                "the update was accepted and may still complete; run `deploytool diff`",
                service=name,
            ) from exc
        raise translate(exc, doing=f"wait for the rollout of {name}", service=name) from exc
    live = api.from_proto(result)
    if not validate_only and live.ready is False:
        raise _rollout_failure(gateway, service, live.condition_message)
    return live


def _rollout_failure(gateway: CloudRunGateway, sent: Any, message: str) -> LiveStateError:
    project, region, name = split_name(sent.name)
    kind = kind_of(sent)
    try:
        now = KIND_APIS[kind].from_proto(gateway.get_workload_proto(kind, project, region, name))
    except LiveStateError:
        return RolloutError(
            f"rollout of {name} failed: {message}",
            "the previous revision keeps serving; see the revision's logs",
            service=name,
        )
    serving = ", ".join(f"{t.revision} ({t.percent}%)" for t in now.traffic) or "unknown"
    hint = f"the previous revision keeps serving ({serving}); fix the cause and re-run apply"
    # Cloud Run cuts a revision only when the template changed: a write that changed only
    # annotations (or traffic) leaves the latest created revision where it was, and a failure
    # then is that revision's (or the routes'), not one this write made.
    before = short(sent.latest_created_revision) if sent.latest_created_revision else ""
    if before and now.latest_created_revision == before:
        return RolloutError(
            f"the update of {name} cut no new revision, and {name} is still not ready "
            f"(latest revision {before}): {now.condition_message or message}",
            hint,
            service=name,
        )
    return RolloutError(
        f"new revision {now.latest_created_revision or '?'} of {name} did not become ready: "
        f"{now.condition_message or message}",
        hint,
        service=name,
    )

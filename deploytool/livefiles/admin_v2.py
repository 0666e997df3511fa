"""Cloud Run Admin API v2 JSON (`GET .../services/S`, `.../revisions/R`, and the items of
their list responses): camelCase fields, resource names `projects/P/locations/L/services/S
[/revisions/R]`, env entries `{name, value}` or `{name, valueSource: {secretKeyRef: {secret,
version}}}`, traffic in `trafficStatuses`."""

from __future__ import annotations

import re

from deploytool.core.model import (
    SERVICE,
    EnvVar,
    LiveContainer,
    LiveRevision,
    LiveService,
    SecretRef,
    TrafficShare,
)
from deploytool.livefiles.nodes import Doc, optional_text
from deploytool.livefiles.parsed import ParsedRevision, ParsedService
from deploytool.redaction import remember

SERVICE_NAME = re.compile(r"^projects/([^/]+)/locations/([^/]+)/services/([^/]+)$")
REVISION_NAME = re.compile(
    r"^projects/([^/]+)/locations/([^/]+)/services/([^/]+)/revisions/([^/]+)$"
)
_LATEST = "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST"
_SUCCEEDED = "CONDITION_SUCCEEDED"
_FAILED = "CONDITION_FAILED"


def kind_of(name: str) -> str | None:
    """ "service" or "revision" by the shape of a v2 resource name, else None."""
    if SERVICE_NAME.match(name):
        return "service"
    if REVISION_NAME.match(name):
        return "revision"
    return None


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def service(doc: Doc) -> ParsedService:
    full = doc.require("name", "Service").text("name")
    match = SERVICE_NAME.match(full)
    if match is None:
        raise doc.fail(f"{full[:80]!r} is not a service name (projects/P/locations/L/services/S)")
    project, region, name = match.groups()
    what = f"service {name}"
    template = doc.require("template", what)
    condition = doc.get("terminalCondition", what)
    state = optional_text(condition, "state", "terminalCondition") if condition else ""
    latest_ready = _short(optional_text(doc, "latestReadyRevision", what))
    annotations = doc.get("annotations", what)
    return ParsedService(
        LiveService(
            name=name,
            project=project,
            region=region,
            containers=_containers(template, what),
            etag=optional_text(doc, "etag", what),
            annotations=tuple(
                sorted((annotations.string_map("annotations") if annotations else {}).items())
            ),
            latest_created_revision=_short(optional_text(doc, "latestCreatedRevision", what)),
            latest_ready_revision=latest_ready,
            ready=True if state == _SUCCEEDED else False if state == _FAILED else None,
            condition_message=(
                optional_text(condition, "message", "terminalCondition") if condition else ""
            ),
            traffic=_traffic(doc.get("trafficStatuses", what), latest_ready, what),
            uri=optional_text(doc, "uri", what),
            last_modifier=optional_text(doc, "lastModifier", what),
            update_time=optional_text(doc, "updateTime", what),
        ),
        doc.where,
    )


def revision(
    doc: Doc, shape: re.Pattern[str] = REVISION_NAME, kind: str = SERVICE
) -> ParsedRevision:
    """A service's revision, or (`shape`, `kind`) a worker pool's: the same resource."""
    full = doc.require("name", "Revision").text("name")
    match = shape.match(full)
    if match is None:
        raise doc.fail(f"{full[:80]!r} is not a revision name (.../services/S/revisions/R)")
    project, region, owner, name = match.groups()
    what = f"revision {name}"
    ready: bool | None = None
    message = ""
    conditions = doc.get("conditions", what)
    for condition in conditions.items("conditions") if conditions else []:
        if optional_text(condition, "type", "condition") == "Ready":
            state = optional_text(condition, "state", "condition")
            ready = state == _SUCCEEDED
            message = optional_text(condition, "message", "condition")
    return ParsedRevision(
        LiveRevision(
            name,
            owner,
            project,
            region,
            _containers(doc, what),
            ready,
            message,
            kind=kind,
            creator=optional_text(doc, "creator", what),
            create_time=optional_text(doc, "createTime", what),
        ),
        doc.where,
    )


def _containers(holder: Doc, what: str) -> tuple[LiveContainer, ...]:
    out = []
    found = holder.get("containers", what)
    for container in found.items(f"{what} containers") if found else []:
        env = container.get("env", "container")
        variables = tuple(_env(entry, what) for entry in (env.items("env") if env else []))
        remember(variables)
        ports = container.get("ports", "container")
        out.append(
            LiveContainer(
                optional_text(container, "name", "container"),
                variables,
                has_port=bool(ports and ports.items("ports")),
            )
        )
    return tuple(out)


def _env(entry: Doc, what: str) -> EnvVar:
    name = entry.require("name", f"{what} env entry").text("env name")
    source = entry.get("valueSource", f"env {name}")
    ref = source.get("secretKeyRef", f"env {name} valueSource") if source else None
    if ref is not None:
        secret = ref.require("secret", f"env {name} secretKeyRef").text("secret")
        version = optional_text(ref, "version", "secretKeyRef") or "latest"
        return EnvVar(name, secret=SecretRef(secret, version))
    value = entry.get("value", name)
    return EnvVar(name, value=value.text(name) if value is not None else "")


def _traffic(entries: Doc | None, latest: str, what: str) -> tuple[TrafficShare, ...]:
    out = []
    for entry in entries.items(f"{what} trafficStatuses") if entries else []:
        follows_latest = optional_text(entry, "type", "traffic") == _LATEST
        name = _short(optional_text(entry, "revision", "traffic")) or (
            latest if follows_latest else ""
        )
        percent = entry.get("percent", "traffic")
        out.append(
            TrafficShare(
                name,
                percent.integer("percent") if percent else 0,
                optional_text(entry, "tag", "traffic"),
                optional_text(entry, "uri", "traffic"),
                follows_latest=follows_latest,
            )
        )
    return tuple(out)

"""Knative `serving.knative.dev/v1` Service and Revision, as `gcloud run services describe`
and `gcloud run revisions describe` print them (`--format export|yaml|json`) and as the
items of `gcloud run services list --format json`.

Shapes (Cloud Run Admin API v1, `namespaces.services` / `namespaces.revisions`):
`metadata.namespace` is the project (often its number), the region is the label
`cloud.googleapis.com/location`; env entries are `{name, value}` or `{name, valueFrom:
{secretKeyRef: {name, key}}}` where `key` is the secret's version and `name` the secret, or
an alias declared in the template annotation `run.googleapis.com/secrets`
(`alias:projects/P/secrets/NAME,...`, for secrets of another project). `status` (absent from
`--format export`) carries the latest revisions, the Ready condition and `traffic`.
"""

from __future__ import annotations

from dataclasses import replace

from deploytool.core.model import (
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

API_VERSION = "serving.knative.dev/v1"
LOCATION_LABEL = "cloud.googleapis.com/location"
SERVICE_LABEL = "serving.knative.dev/service"
SECRETS_ANNOTATION = "run.googleapis.com/secrets"


def service(doc: Doc) -> ParsedService:
    metadata = doc.require("metadata", "Service")
    name = metadata.require("name", "metadata").text("metadata.name")
    what = f"service {name}"
    project, region = _place(metadata, what, f"gcloud run services describe {name}")
    spec = doc.require("spec", what)
    template = spec.require("template", f"{what} spec")
    template_meta = template.get("metadata", f"{what} template")
    aliases = _aliases(template_meta, what)
    template_name = (
        optional_text(template_meta, "name", "template metadata") if template_meta else ""
    )
    containers = _containers(template.require("spec", f"{what} template"), aliases, what)
    status = doc.get("status", what)
    annotations = metadata.get("annotations", "metadata")
    notes = annotations.string_map("annotations") if annotations else {}
    base = LiveService(
        name=name,
        project=project,
        region=region,
        containers=containers,
        annotations=tuple(sorted(notes.items())),
        # The v1 (Knative) shape keeps who changed it in an annotation; it has no update time.
        last_modifier=notes.get("serving.knative.dev/lastModifier", ""),
    )
    if status is None:
        # `--format export` drops status: take the traffic the spec asks for, and the
        # template's revision as the latest, ready one (an export cannot tell a failed
        # rollout; a guess, noted in the README's offline section).
        traffic = _traffic(spec.get("traffic", what), template_name, what)
        return ParsedService(
            replace(
                base,
                latest_created_revision=template_name,
                latest_ready_revision=template_name,
                traffic=traffic,
            ),
            doc.where,
        )
    ready, message = _ready(status, what)
    latest_ready = optional_text(status, "latestReadyRevisionName", "status")
    return ParsedService(
        replace(
            base,
            latest_created_revision=optional_text(status, "latestCreatedRevisionName", "status"),
            latest_ready_revision=latest_ready,
            ready=ready,
            condition_message=message,
            traffic=_traffic(status.get("traffic", "status"), latest_ready, what),
            uri=optional_text(status, "url", "status"),
        ),
        doc.where,
    )


def revision(doc: Doc) -> ParsedRevision:
    metadata = doc.require("metadata", "Revision")
    name = metadata.require("name", "metadata").text("metadata.name")
    what = f"revision {name}"
    project, region = _place(metadata, what, f"gcloud run revisions describe {name}")
    labels = metadata.require("labels", what).string_map("labels")
    owner = labels.get(SERVICE_LABEL)
    if not owner:
        raise metadata.fail(f"{what}: the label {SERVICE_LABEL} (its service) is missing")
    status = doc.get("status", what)
    ready, message = _ready(status, what) if status is not None else (None, "")
    return ParsedRevision(
        LiveRevision(
            name=name,
            service=owner,
            project=project,
            region=region,
            containers=_containers(doc.require("spec", what), _aliases(metadata, what), what),
            ready=ready,
            condition_message=message,
        ),
        doc.where,
    )


def _place(metadata: Doc, what: str, command: str) -> tuple[str, str]:
    namespace = metadata.require("namespace", what).text("metadata.namespace")
    labels = metadata.get("labels", what)
    region = labels.string_map("labels").get(LOCATION_LABEL) if labels else None
    if not region:
        raise metadata.fail(
            f"{what}: no region (the label {LOCATION_LABEL} is missing); export it again "
            f"with {command} --region REGION --format export"
        )
    return namespace, region


def _aliases(metadata: Doc | None, what: str) -> dict[str, str]:
    """Secret aliases of `run.googleapis.com/secrets`: alias -> projects/P/secrets/NAME."""
    if metadata is None:
        return {}
    annotations = metadata.get("annotations", what)
    text = annotations.string_map("annotations").get(SECRETS_ANNOTATION, "") if annotations else ""
    out = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        alias, _, path = item.partition(":")
        if alias and path:
            out[alias] = path
    return out


def _containers(spec: Doc, aliases: dict[str, str], what: str) -> tuple[LiveContainer, ...]:
    out = []
    for container in spec.require("containers", what).items(f"{what} containers"):
        cname = optional_text(container, "name", "container")
        ports = container.get("ports", "container")
        env = container.get("env", "container")
        variables = tuple(_env(entry, aliases, what) for entry in (env.items("env") if env else []))
        remember(variables)
        out.append(LiveContainer(cname, variables, has_port=bool(ports and ports.items("ports"))))
    return tuple(out)


def _env(entry: Doc, aliases: dict[str, str], what: str) -> EnvVar:
    name = entry.require("name", f"{what} env entry").text("env name")
    source = entry.get("valueFrom", f"{what} env {name}")
    if source is None:
        value = entry.get("value", name)
        # An entry with neither value nor source is the empty string to Cloud Run.
        return EnvVar(name, value=value.text(name) if value is not None else "")
    ref = source.get("secretKeyRef", f"env {name} valueFrom")
    if ref is None:
        raise source.fail(
            f"{what}: env {name}: valueFrom has no secretKeyRef (Cloud Run supports only "
            "Secret Manager references there)"
        )
    secret = ref.require("name", f"env {name} secretKeyRef").text("secretKeyRef.name")
    version = optional_text(ref, "key", "secretKeyRef") or "latest"
    return EnvVar(name, secret=SecretRef(aliases.get(secret, secret), version))


def _ready(status: Doc, what: str) -> tuple[bool | None, str]:
    conditions = status.get("conditions", "status")
    for condition in conditions.items("conditions") if conditions else []:
        if optional_text(condition, "type", "condition") == "Ready":
            state = optional_text(condition, "status", "condition")
            ready = True if state == "True" else False if state == "False" else None
            return ready, optional_text(condition, "message", "condition")
    return None, ""


def _traffic(entries: Doc | None, latest: str, what: str) -> tuple[TrafficShare, ...]:
    """`traffic` entries: `{revisionName | latestRevision: true, percent, tag, url}`; a
    latest entry without a name is the latest ready revision."""
    out = []
    for entry in entries.items(f"{what} traffic") if entries else []:
        follows = entry.get("latestRevision", "traffic")
        follows_latest = follows.boolean("latestRevision") if follows else False
        name = optional_text(entry, "revisionName", "traffic") or (latest if follows_latest else "")
        percent = entry.get("percent", "traffic")
        out.append(
            TrafficShare(
                name,
                percent.integer("percent") if percent else 0,
                optional_text(entry, "tag", "traffic"),
                optional_text(entry, "url", "traffic"),
                follows_latest=follows_latest,
            )
        )
    return tuple(out)

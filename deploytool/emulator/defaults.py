"""What Cloud Run fills in that the caller left out: the server defaults of a revision template
(applied before a template is compared or stored, so a body read back and re-sent is the same
template), the output-only facts of a revision (creator, launch stage, execution environment,
the resolved image digests), and the reserved label/annotation namespaces it refuses.

References (the run v2 REST reference / discovery document field descriptions):
- RevisionTemplate.maxInstanceRequestConcurrency: "If not specified or 0, concurrency
  defaults to 80 when requested CPU >= 1".
- Service.launchStage: "If no value is specified, GA is assumed".
- Container.ports: "If omitted, a port number will be chosen and passed to the container
  through the PORT environment variable" (Cloud Run shows it as 8080 named http1).
- The resource limits (cpu 1000m, memory 512Mi) and the 300 s timeout are Cloud Run's
  documented defaults (docs/EMULATOR.md); they are not in the protos.
- Service/RevisionTemplate.labels: "Cloud Run API v2 does not support labels with
  run.googleapis.com, cloud.googleapis.com, serving.knative.dev, or autoscaling.knative.dev
  namespaces, and they will be rejected"; annotations likewise ("in new resources" for the
  Service's own annotations).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from google.api import launch_stage_pb2
from google.cloud import run_v2
from google.protobuf import duration_pb2

from deploytool.emulator.errors import ApiError

DEFAULT_LIMITS = {"cpu": "1000m", "memory": "512Mi"}
DEFAULT_PORT = 8080
DEFAULT_PORT_NAME = "http1"
DEFAULT_TIMEOUT_SECONDS = 300
DEFAULT_CONCURRENCY = 80
GA = launch_stage_pb2.LaunchStage.GA
# Which generation Cloud Run picks when the template names none is not in the reference:
# a guess (first generation, the documented default for services).
DEFAULT_EXECUTION_ENVIRONMENT = run_v2.ExecutionEnvironment.EXECUTION_ENVIRONMENT_GEN1

RESERVED_NAMESPACES = (
    "run.googleapis.com",
    "cloud.googleapis.com",
    "serving.knative.dev",
    "autoscaling.knative.dev",
)


def apply_template_defaults(template: run_v2.RevisionTemplate) -> None:
    """Fill in, in place, what Cloud Run shows for fields the template leaves unset."""
    containers = list(template.containers)
    has_port = any(c.ports for c in containers)
    for index, container in enumerate(containers):
        limits = container.resources.limits
        for key, value in DEFAULT_LIMITS.items():
            if key not in limits:
                limits[key] = value
        # Only one container may take requests; with sidecars the caller must say which.
        if index == 0 and not has_port and len(containers) == 1:
            container.ports = [
                run_v2.ContainerPort(name=DEFAULT_PORT_NAME, container_port=DEFAULT_PORT)
            ]
        for port in container.ports:
            port.name = port.name or DEFAULT_PORT_NAME
            port.container_port = port.container_port or DEFAULT_PORT
    if "timeout" not in template:
        template.timeout = duration_pb2.Duration(seconds=DEFAULT_TIMEOUT_SECONDS)
    if not template.max_instance_request_concurrency:
        template.max_instance_request_concurrency = DEFAULT_CONCURRENCY


def apply_service_defaults(service: run_v2.Service) -> None:
    if not service.launch_stage:
        service.launch_stage = GA
    apply_template_defaults(service.template)


def image_digest(image: str) -> str:
    """The digest Cloud Run resolves a tag to, as `IMAGE@sha256:HEX`. A stand-in: a digest of
    the image reference, stable so tests can predict it (an image given by digest keeps it)."""
    if "@sha256:" in image:
        return image
    repository = image.rsplit(":", 1)[0] if ":" in image.rsplit("/", 1)[-1] else image
    return f"{repository}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def container_statuses(revision: run_v2.Revision) -> list[dict[str, str]]:
    """Revision.containerStatuses (REST reference: "ContainerStatus holds the information of
    container name and image digest value"). google-cloud-run's Revision message has no such
    field yet, so the HTTP layer adds it to the JSON (that client ignores unknown fields)."""
    return [{"name": c.name, "imageDigest": image_digest(c.image)} for c in revision.containers]


def check_reserved_keys(
    where: str, keys: Mapping[str, str], kept: Mapping[str, str] | None = None
) -> None:
    """Refuse a key in a reserved namespace (`kept`: the ones already on the resource with
    the same value, which are preserved rather than refused)."""
    for key, value in keys.items():
        namespace = key.split("/", 1)[0] if "/" in key else ""
        if not any(namespace == ns or namespace.endswith("." + ns) for ns in RESERVED_NAMESPACES):
            continue
        if kept is not None and kept.get(key) == value:
            continue
        raise ApiError.invalid(
            f"{where}: the key '{key}' is in a reserved namespace ({namespace}); Cloud Run API "
            "v2 does not support labels or annotations in the run.googleapis.com, "
            "cloud.googleapis.com, serving.knative.dev or autoscaling.knative.dev namespaces.",
            reason="RESERVED_KEY",
            metadata={"field": where, "key": key},
        )

"""What Cloud Run refuses synchronously, before an update starts, with its status codes:
an etag that no longer matches, reserved label and annotation keys, a template without
containers or images, a taken revision name, bad traffic tags, traffic that does not add up
to 100 %. Checks on message values; nothing is stored here."""

from __future__ import annotations

import re
from collections.abc import Sequence

from google.cloud import run_v2

from deploytool.emulator.defaults import check_reserved_keys
from deploytool.emulator.errors import ApiError
from deploytool.emulator.resources import LATEST, REVISION, Revisions, ServiceName

_TAG = re.compile(r"^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$")  # an RFC 1035 label


def check_etag(name: str, current: run_v2.Service, body: run_v2.Service) -> None:
    """An update that names an etag must name the current one (AIP-154)."""
    if body.etag and body.etag != current.etag:
        raise ApiError.aborted(
            f"Etag mismatch for service '{name}': the service was modified "
            f"(expected etag {current.etag!r}, got {body.etag!r}). Read it again.",
            reason="ETAG_MISMATCH",
            metadata={"service": name, "etag": body.etag, "currentEtag": current.etag},
        )


def check_keys(spec: run_v2.Service, current: run_v2.Service | None) -> None:
    """Reserved label/annotation namespaces (see defaults.py): labels and template
    annotations are refused; the Service's own annotations only "in new resources", so keys
    it already carries are kept."""
    check_reserved_keys("service.labels", spec.labels)
    check_reserved_keys("service.template.labels", spec.template.labels)
    check_reserved_keys("service.template.annotations", spec.template.annotations)
    kept = current.annotations if current is not None else None
    check_reserved_keys("service.annotations", spec.annotations, kept)


def validate_spec(spec: run_v2.Service, revisions: Revisions, cuts_revision: bool) -> None:
    """Refuse synchronously what Cloud Run refuses synchronously, with its status codes.
    Traffic to a revision that does not exist is not refused here: Cloud Run reports it in the
    operation (see rollout.settle_rollout)."""
    service = ServiceName.parse(spec.name).service
    if not spec.template.containers:
        raise ApiError.invalid(
            "spec.template.containers: at least one container is required",
            reason="REQUIRED_FIELD",
            metadata={"field": "template.containers"},
        )
    for index, container in enumerate(spec.template.containers):
        if not container.image:
            raise ApiError.invalid(
                f"spec.template.containers[{index}].image: Required",
                reason="REQUIRED_FIELD",
                metadata={"field": f"template.containers[{index}].image"},
            )
    wanted = spec.template.revision
    if wanted and cuts_revision:
        if not wanted.startswith(f"{service}-"):
            raise ApiError.invalid(
                f"Revision name {wanted!r} must be prefixed by the service name '{service}-'",
                reason="INVALID_REVISION_NAME",
                metadata={"revision": wanted, "service": service},
            )
        if ServiceName.parse(spec.name).revision(wanted) in revisions:
            # Cloud Run's words for a template that changed under a taken revision name.
            raise ApiError.already_exists(
                f"Revision named '{wanted}' with different configuration already exists.",
                reason="REVISION_ALREADY_EXISTS",
                metadata={"revision": wanted},
            )
    check_traffic_tags(spec.traffic)
    total = 0
    for index, target in enumerate(spec.traffic):
        total += target.percent
        # TrafficTarget.type has no documented default: a target without one is refused
        # (the stricter reading; docs/EMULATOR.md).
        if target.type_ not in (LATEST, REVISION):
            raise ApiError.invalid(
                f"spec.traffic[{index}].type: Required (TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST "
                "or TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION)",
                reason="REQUIRED_FIELD",
                metadata={"field": f"traffic[{index}].type"},
            )
        if target.type_ == REVISION and not target.revision:
            raise ApiError.invalid(
                f"spec.traffic[{index}].revision: Required for a REVISION target",
                reason="REQUIRED_FIELD",
                metadata={"field": f"traffic[{index}].revision"},
            )
    if total != 100:
        raise ApiError.invalid(
            f"Traffic percentages must add up to 100, got {total}.",
            reason="INVALID_TRAFFIC_PERCENT",
            metadata={"total": str(total)},
        )


def check_traffic_tags(traffic: Sequence[run_v2.TrafficTarget]) -> None:
    """Cloud Run refuses a tag used twice in one service, and a tag that cannot be a DNS
    label (it becomes part of a host name). The exact wording of its errors is a guess."""
    seen: set[str] = set()
    for index, target in enumerate(traffic):
        tag = target.tag
        if not tag:
            continue
        if not _TAG.match(tag):
            raise ApiError.invalid(
                f"spec.traffic[{index}].tag: {tag!r} is not a valid tag: use 1-63 lowercase "
                "letters, digits and dashes, starting with a letter and not ending with a dash.",
                reason="INVALID_TAG",
                metadata={"field": f"traffic[{index}].tag", "tag": tag},
            )
        if tag in seen:
            raise ApiError.invalid(
                f"spec.traffic[{index}].tag: tag {tag!r} is used more than once; "
                "tags must be unique within a service.",
                reason="DUPLICATE_TAG",
                metadata={"field": f"traffic[{index}].tag", "tag": tag},
            )
        seen.add(tag)

"""What an update does to a Service and its revisions, as Cloud Run does it: merge the request
into a new spec, validate it, cut a revision, then settle it as ready or failed. Functions on
message values; the caller (EmulatorState) holds the lock and stores the results."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence

from google.cloud import run_v2
from google.protobuf import field_mask_pb2

from deploytool.emulator.errors import ApiError
from deploytool.emulator.resources import (
    LATEST,
    REVISION,
    SERVICE_OUTPUT_ONLY,
    Ready,
    ServiceName,
    check_traffic_tags,
    new_etag,
    new_revision_name,
    now,
    ready_condition,
    revision_from_template,
    short_revision,
    traffic_statuses,
)

EMULATOR_PRINCIPAL = "emulator@deploytool.local"

Revisions = Mapping[str, run_v2.Revision]  # full revision name -> revision, of one service


def copy_service(service: run_v2.Service) -> run_v2.Service:
    return run_v2.Service.deserialize(run_v2.Service.serialize(service))


def copy_revision(revision: run_v2.Revision) -> run_v2.Revision:
    return run_v2.Revision.deserialize(run_v2.Revision.serialize(revision))


def parse_update_mask(raw: str | None) -> list[str]:
    """`updateMask` arrives as the JSON form of a FieldMask: comma-separated camelCase paths."""
    if not raw:
        return []
    mask = field_mask_pb2.FieldMask()
    try:
        mask.FromJsonString(raw)
    except ValueError as exc:
        raise ApiError.invalid(f"Invalid updateMask {raw!r}: {exc}") from exc
    if not mask.IsValidForDescriptor(run_v2.Service.pb().DESCRIPTOR):
        raise ApiError.invalid(f"Invalid updateMask {raw!r}: unknown field path")
    return list(mask.paths)


def prepare_spec(
    current: run_v2.Service | None, body: run_v2.Service, name: str, mask: Sequence[str]
) -> run_v2.Service:
    """The next version of the service: the request's user-settable fields (all of them, or
    those under `mask`), with the server-owned ones carried over from `current`, a new
    generation and a new etag."""
    if mask:
        spec = copy_service(current) if current is not None else run_v2.Service()
        field_mask_pb2.FieldMask(paths=list(mask)).MergeMessage(
            run_v2.Service.pb(body),
            run_v2.Service.pb(spec),
            replace_message_field=True,
            replace_repeated_field=True,
        )
    else:
        spec = copy_service(body)
    spec_pb = run_v2.Service.pb(spec)
    for field in SERVICE_OUTPUT_ONLY:
        spec_pb.ClearField(field)
    if current is not None:
        field_mask_pb2.FieldMask(paths=list(SERVICE_OUTPUT_ONLY)).MergeMessage(
            run_v2.Service.pb(current),
            spec_pb,
            replace_message_field=True,
            replace_repeated_field=True,
        )
    spec.name = name
    if current is None:
        spec.uid = str(uuid.uuid4())
        spec.create_time = now()
        spec.creator = EMULATOR_PRINCIPAL
        spec.uri = ServiceName.parse(name).url
        spec.urls = [ServiceName.parse(name).deterministic_url, spec.uri]
    spec.generation = (current.generation if current is not None else 0) + 1
    spec.update_time = now()
    spec.last_modifier = EMULATOR_PRINCIPAL
    spec.etag = new_etag()
    if not spec.traffic:
        # Cloud Run fills an absent traffic block in as 100% to the latest ready revision.
        spec.traffic = [run_v2.TrafficTarget(type_=LATEST, percent=100)]
    return spec


def validate_spec(spec: run_v2.Service, revisions: Revisions) -> None:
    """Refuse what Cloud Run refuses, with its status codes."""
    service = ServiceName.parse(spec.name).service
    if not spec.template.containers:
        raise ApiError.invalid("spec.template.containers: at least one container is required")
    for index, container in enumerate(spec.template.containers):
        if not container.image:
            raise ApiError.invalid(f"spec.template.containers[{index}].image: Required")
    wanted = spec.template.revision
    if wanted:
        if not wanted.startswith(f"{service}-"):
            raise ApiError.invalid(
                f"Revision name {wanted!r} must be prefixed by the service name '{service}-'"
            )
        if ServiceName.parse(spec.name).revision(wanted) in revisions:
            raise ApiError.already_exists(
                f"Revision named '{wanted}' with different configuration already exists "
                "(revision already exists)."
            )
    known = {short_revision(name) for name in revisions} | ({wanted} if wanted else set())
    check_traffic_tags(spec.traffic)
    total = 0
    for target in spec.traffic:
        total += target.percent
        if target.type_ == REVISION and target.revision not in known:
            raise ApiError.invalid(f"Revision named '{target.revision}' does not exist.")
    if total != 100:
        raise ApiError.invalid(f"Traffic percentages must add up to 100, got {total}.")


def start_rollout(
    spec: run_v2.Service,
    current: run_v2.Service | None,
    revisions: Revisions,
    rng: random.Random,
) -> run_v2.Revision:
    """Cut the spec's revision; the service points at it as latest created and reconciles.
    What serves (latest ready, traffic statuses) stays as it was until settle_rollout."""
    service = ServiceName.parse(spec.name)
    short = spec.template.revision
    while not short or service.revision(short) in revisions:
        short = new_revision_name(service.service, spec.generation, rng)
    revision = revision_from_template(spec, short)
    revision.reconciling = True
    revision.conditions = [ready_condition(Ready.CONDITION_RECONCILING, "Deploying revision.")]
    spec.latest_created_revision = revision.name
    if current is not None:
        spec.latest_ready_revision = current.latest_ready_revision
        spec.traffic_statuses = list(current.traffic_statuses)
    spec.reconciling = True
    spec.terminal_condition = ready_condition(Ready.CONDITION_RECONCILING, "Deploying revision.")
    return revision


def settle_rollout(service: run_v2.Service, revision: run_v2.Revision, failure: str | None) -> None:
    """The revision became ready (and LATEST traffic moves to it) or failed to start (and
    nothing that serves changes), as the service's terminal condition then says."""
    service.reconciling = False
    service.observed_generation = service.generation
    revision.reconciling = False
    if failure is not None:
        revision.conditions = [ready_condition(Ready.CONDITION_FAILED, failure)]
        service.terminal_condition = ready_condition(Ready.CONDITION_FAILED, failure)
        return
    revision.conditions = [ready_condition(Ready.CONDITION_SUCCEEDED)]
    service.latest_ready_revision = revision.name
    service.terminal_condition = ready_condition(Ready.CONDITION_SUCCEEDED)
    service.traffic_statuses = traffic_statuses(service.traffic, revision.name, service.uri)

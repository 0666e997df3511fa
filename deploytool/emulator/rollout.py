"""What an update does to a Service and its revisions, as Cloud Run does it: merge the request
into a new spec (server defaults filled in), validate it (validation.py), cut a revision only
when the template changed (plan_update), then settle: the revision ready (and LATEST traffic
moves to it) or failed (and what serves stays as it was). Functions on message values; the
caller (EmulatorState) holds the lock and stores the results."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from google.cloud import run_v2
from google.protobuf import field_mask_pb2
from google.rpc import code_pb2

from deploytool.emulator import conditions
from deploytool.emulator.defaults import (
    DEFAULT_EXECUTION_ENVIRONMENT,
    GA,
    apply_service_defaults,
)
from deploytool.emulator.errors import ApiError
from deploytool.emulator.resources import (
    LATEST,
    REVISION,
    SERVICE_OUTPUT_ONLY,
    Revisions,
    ServiceName,
    new_etag,
    new_revision_name,
    now,
    revision_from_template,
    short_revision,
    traffic_statuses,
)
from deploytool.emulator.validation import check_keys, validate_spec

EMULATOR_PRINCIPAL = "emulator@deploytool.local"

Failure = tuple[str, int]  # (message, google.rpc code) of a reconciliation that failed


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
        raise ApiError.invalid(
            f"Invalid updateMask {raw!r}: unknown field path",
            reason="INVALID_UPDATE_MASK",
            metadata={"updateMask": raw},
        )
    return list(mask.paths)


def prepare_spec(
    current: run_v2.Service | None, body: run_v2.Service, name: str, mask: Sequence[str]
) -> run_v2.Service:
    """The desired service: the request's user-settable fields (all of them, or those under
    `mask`) with server defaults filled in, and the server-owned ones carried over from
    `current`. Generation and etag are not moved here (see `bump`): an update that changes
    nothing changes neither."""
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
    if not spec.traffic:
        # Service.traffic: "If traffic is empty or not provided, defaults to 100% traffic to
        # the latest Ready Revision."
        spec.traffic = [run_v2.TrafficTarget(type_=LATEST, percent=100)]
    apply_service_defaults(spec)
    return spec


def bump(spec: run_v2.Service, modifier: str | None = None) -> None:
    """A change of the desired state: Service.generation "monotonically increases every time
    the user modifies the desired state"; a new etag; `last_modifier` is the writer (the
    emulator's anonymous caller unless an out-of-band change names one)."""
    spec.generation += 1
    spec.update_time = now()
    spec.last_modifier = modifier or EMULATOR_PRINCIPAL
    spec.etag = new_etag()


def template_changed(current: run_v2.Service | None, spec: run_v2.Service) -> bool:
    """Cloud Run cuts a revision only when the template changed (hence the REST reference's
    `forceNewRevision`: "a new revision will be created from the template even if the system
    doesn't detect any changes from the previously deployed revision")."""
    return current is None or current.template != spec.template


@dataclass(frozen=True)
class UpdatePlan:
    """What an UpdateService does, decided before anything is stored: the new spec, the
    revision it cuts (None: the template did not change) and whether nothing changed at all."""

    spec: run_v2.Service
    revision: run_v2.Revision | None
    unchanged: bool


def plan_update(
    current: run_v2.Service | None,
    body: run_v2.Service,
    name: str,
    mask: Sequence[str],
    revisions: Revisions,
    rng: random.Random,
    *,
    force_new_revision: bool = False,
) -> UpdatePlan:
    """Merge, validate (ApiError) and start the rollout of an update. A revision is cut only
    when the template changed (or `force_new_revision`); an update that changes nothing at
    all moves neither generation nor etag."""
    spec = prepare_spec(current, body, name, mask)
    check_keys(spec, current)
    cuts = force_new_revision or template_changed(current, spec)
    validate_spec(spec, revisions, cuts_revision=cuts)
    unchanged = current is not None and not cuts and spec == current
    if not unchanged:
        bump(spec)
    revision = None
    if cuts:
        revision = start_rollout(spec, current, revisions, rng)
    elif not unchanged:
        start_reconciling(spec, current)
    return UpdatePlan(spec, revision, unchanged)


def retarget_traffic(
    current: run_v2.Service,
    traffic: Iterable[run_v2.TrafficTarget],
    revisions: Revisions,
    modifier: str | None,
) -> run_v2.Service:
    """An out-of-band `update-traffic`: the service with only its routing changed (no
    revision cut, settled at once), validated as an update is but raising ValueError."""
    spec = copy_service(current)
    spec.traffic = list(traffic)
    try:
        validate_spec(spec, revisions, cuts_revision=False)
    except ApiError as exc:
        raise ValueError(exc.message) from exc
    known = {name.rsplit("/", 1)[-1] for name in revisions}
    ghost = [t.revision for t in spec.traffic if t.revision and t.revision not in known]
    if ghost:
        raise ValueError(f"Revision named '{ghost[0]}' does not exist.")
    spec.generation += 1
    spec.observed_generation = spec.generation
    spec.etag = new_etag()
    spec.update_time = now()
    spec.last_modifier = modifier or EMULATOR_PRINCIPAL
    spec.traffic_statuses = traffic_statuses(spec.traffic, spec.latest_ready_revision, spec.uri)
    return spec


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
    revision = new_revision(spec, short)
    revision.reconciling = True
    revision.conditions = conditions.revision_deploying()
    spec.latest_created_revision = revision.name
    start_reconciling(spec, current)
    return revision


def new_revision(spec: run_v2.Service, short: str) -> run_v2.Revision:
    """A revision cut from the spec's template, with what Cloud Run adds to it."""
    revision = revision_from_template(spec, short)
    revision.creator = spec.last_modifier or EMULATOR_PRINCIPAL
    revision.launch_stage = spec.launch_stage or GA
    if not revision.execution_environment:
        revision.execution_environment = run_v2.ExecutionEnvironment(
            DEFAULT_EXECUTION_ENVIRONMENT
        )
    return revision


def start_reconciling(spec: run_v2.Service, current: run_v2.Service | None) -> None:
    """Service.reconciling: while it is true, what serves keeps its last state."""
    if current is not None:
        spec.latest_ready_revision = current.latest_ready_revision
        spec.traffic_statuses = list(current.traffic_statuses)
        spec.observed_generation = current.observed_generation
    spec.reconciling = True
    conditions.service_reconciling(spec)


def settle_rollout(
    service: run_v2.Service,
    cut: run_v2.Revision | None,
    revisions: Revisions,
    failure: str | None,
) -> Failure | None:
    """Finish reconciling `service` (`cut`: the revision this update cut, None when the
    template did not change; `failure`: why a cut revision does not start).

    Service.reconciling: "If reconciliation failed, traffic_statuses, observed_generation,
    and latest_ready_revision will have the state of the last serving revision ... Additional
    information on the failure can be found in terminal_condition and conditions." Returns
    the failure the operation reports, or None."""
    service.reconciling = False
    if cut is not None:
        cut.reconciling = False
        cut.conditions = (
            conditions.revision_failed(failure)
            if failure is not None
            else conditions.revision_ready()
        )
    latest = cut if cut is not None else revisions.get(service.latest_created_revision)
    if latest is not None and conditions.revision_is_failed(latest):
        message = conditions.not_ready_message(latest.name, conditions.revision_message(latest))
        conditions.service_revision_failed(service, message)
        return message, code_pb2.FAILED_PRECONDITION
    known = {short_revision(name) for name in revisions}
    if cut is not None:
        known.add(short_revision(cut.name))
    missing = [
        t.revision
        for t in service.traffic
        if t.type_ == REVISION and short_revision(t.revision) not in known
    ]
    if missing:
        # Cloud Run reports this in the operation, as code 13 with these words (observed in a
        # Terraform run against the v2 API; the reference does not say).
        message = conditions.MISSING_REVISION.format(revision=missing[0])
        conditions.service_routes_failed(service, message)
        return message, code_pb2.INTERNAL
    if latest is not None:
        service.latest_ready_revision = latest.name
    service.observed_generation = service.generation
    conditions.service_ready(service)
    service.traffic_statuses = traffic_statuses(
        service.traffic, service.latest_ready_revision, service.uri
    )
    return None

"""Completing seeded services and revisions into what Cloud Run would hold: a service seeded
with only a template gets a ready revision serving 100%; whatever the seed sets explicitly
(latest revisions, traffic statuses, terminal condition, etag, generation) is kept, so tests
can seed traffic pinned to an old revision or a latest revision that is not ready."""

from __future__ import annotations

import random
import uuid

from google.cloud import run_v2

from deploytool.emulator import conditions
from deploytool.emulator.defaults import apply_service_defaults
from deploytool.emulator.errors import ApiError
from deploytool.emulator.resources import (
    LATEST,
    REVISION,
    Revisions,
    ServiceName,
    generation_from_revision,
    new_etag,
    new_revision_name,
    now,
    short_revision,
    split_revision_name,
    traffic_statuses,
)
from deploytool.emulator.rollout import EMULATOR_PRINCIPAL, new_revision
from deploytool.emulator.urls import tag_url
from deploytool.emulator.validation import check_traffic_tags


def complete_revision(revision: run_v2.Revision) -> run_v2.Revision:
    """Fill the server-owned fields of an explicitly seeded revision (ready unless its
    conditions say otherwise). Raises ValueError on a malformed name."""
    service, short = split_revision_name(revision.name)
    revision.service = revision.service or service
    if revision.service != service:
        raise ValueError(f"revision {revision.name!r} says it belongs to {revision.service!r}")
    revision.generation = revision.generation or generation_from_revision(short, default=1)
    revision.observed_generation = revision.observed_generation or revision.generation
    revision.uid = revision.uid or str(uuid.uuid4())
    revision.etag = revision.etag or new_etag()
    if "create_time" not in revision:
        revision.create_time = now()
    revision.creator = revision.creator or EMULATOR_PRINCIPAL
    if not revision.conditions:
        revision.conditions = conditions.revision_ready()
    return revision


def complete_service(
    service: run_v2.Service, revisions: Revisions, rng: random.Random
) -> run_v2.Revision | None:
    """Fill the server-owned fields of a seeded service in place. Returns the revision cut
    from its template, or None when the seed's latest created revision already exists."""
    name = ServiceName.parse(service.name)
    service.generation = service.generation or 1
    service.observed_generation = service.observed_generation or service.generation
    service.etag = service.etag or new_etag()
    service.uid = service.uid or str(uuid.uuid4())
    service.creator = service.creator or EMULATOR_PRINCIPAL
    service.last_modifier = service.last_modifier or service.creator
    service.uri = service.uri or name.url
    if not service.urls:
        service.urls = [name.deterministic_url, service.uri]
    if "create_time" not in service:
        service.create_time = now()
    if "update_time" not in service:
        service.update_time = service.create_time
    if not service.traffic:
        service.traffic = [run_v2.TrafficTarget(type_=LATEST, percent=100)]
    for target in service.traffic:
        # A seed may leave the type out (the API refuses that): it follows from the target.
        if not target.type_:
            target.type_ = run_v2.TrafficTargetAllocationType(
                REVISION if target.revision else LATEST
            )
    apply_service_defaults(service)
    try:
        check_traffic_tags(service.traffic)
    except ApiError as exc:
        raise ValueError(exc.message) from exc
    if service.latest_ready_revision:
        service.latest_ready_revision = name.revision(short_revision(service.latest_ready_revision))

    created = _cut_latest_revision(service, revisions, rng)

    latest = created or revisions.get(service.latest_created_revision)
    if not service.latest_ready_revision and _is_ready(latest, service):
        service.latest_ready_revision = service.latest_created_revision
    if "terminal_condition" not in service:
        if service.latest_ready_revision == service.latest_created_revision:
            conditions.service_ready(service)
        else:
            conditions.service_revision_failed(
                service, conditions.not_ready_message(service.latest_created_revision, "")
            )
    elif not service.conditions:
        service.conditions = [
            conditions.condition(conditions.ROUTES_READY, service.terminal_condition.state),
            conditions.condition(
                conditions.CONFIGURATIONS_READY,
                service.terminal_condition.state,
                service.terminal_condition.message,
            ),
        ]
    if not service.traffic_statuses and service.latest_ready_revision:
        service.traffic_statuses = traffic_statuses(
            service.traffic, service.latest_ready_revision, service.uri
        )
    for status in service.traffic_statuses:
        # A seeded status may name a tag without its URL; Cloud Run always fills it in.
        if status.tag and not status.uri:
            status.uri = tag_url(service.uri, status.tag)
    if created is not None and service.latest_ready_revision != created.name:
        message = service.terminal_condition.message or "Revision is not ready."
        created.conditions = conditions.revision_failed(message)
    return created


def _cut_latest_revision(
    service: run_v2.Service, revisions: Revisions, rng: random.Random
) -> run_v2.Revision | None:
    name = ServiceName.parse(service.name)
    if service.latest_created_revision:
        full = name.revision(short_revision(service.latest_created_revision))
        service.latest_created_revision = full
        if full in revisions:
            return None
        short = short_revision(full)
    else:
        short = service.template.revision
        while not short or name.revision(short) in revisions:
            short = new_revision_name(name.service, service.generation, rng)
    created = new_revision(service, short)
    created.generation = generation_from_revision(short, default=service.generation)
    created.conditions = conditions.revision_ready()
    service.latest_created_revision = created.name
    return created


def _is_ready(revision: run_v2.Revision | None, service: run_v2.Service) -> bool:
    """The latest created revision counts as ready unless its own Ready condition or the
    seed's terminal condition says it failed."""
    if revision is None or service.terminal_condition.state == conditions.Ready.CONDITION_FAILED:
        return False
    return all(
        c.state == conditions.Ready.CONDITION_SUCCEEDED
        for c in revision.conditions
        if c.type_ == conditions.READY
    )

"""Worker-pool revisions, as Cloud Run keeps them: cut from the pool's template whenever it
changes (a ready revision at once: a pool's rollout settles immediately here, a
simplification), seeded ones completed, and the instance split statuses that say which
revision runs. Functions on message values and the store's maps; the caller
(WorkerPoolStore) holds the lock."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Mapping

from google.cloud import run_v2

from deploytool.emulator.conditions import ready_condition
from deploytool.emulator.resources import (
    Ready,
    new_etag,
    new_revision_name,
    now,
    short_revision,
)
from deploytool.emulator.rollout import EMULATOR_PRINCIPAL
from deploytool.emulator.workload_common import copy_message

_REVISION = re.compile(r"^(projects/[^/]+/locations/[^/]+/workerPools/[^/]+)/revisions/[^/]+$")
LATEST_SPLIT = run_v2.InstanceSplitAllocationType.INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST


def pool_of(revision: str) -> str | None:
    """`.../workerPools/W/revisions/R` -> the pool's name (None: not a pool revision)."""
    match = _REVISION.match(revision)
    return match.group(1) if match else None


def complete_revision(revision: run_v2.Revision) -> str:
    """Fill the server-owned fields of a seeded revision in place (ready unless its
    conditions say otherwise); returns its pool's name. ValueError on a malformed name."""
    pool = pool_of(revision.name)
    if pool is None:
        raise ValueError(
            f"not a worker pool revision name: {revision.name!r} "
            "(want projects/P/locations/L/workerPools/W/revisions/R)"
        )
    revision.uid = revision.uid or str(uuid.uuid4())
    revision.etag = revision.etag or new_etag()
    if "create_time" not in revision:
        revision.create_time = now()
    if not revision.conditions:
        revision.conditions = [ready_condition(Ready.CONDITION_SUCCEEDED)]
    return pool


def cut_revision(
    pool: run_v2.WorkerPool,
    revisions: dict[str, run_v2.Revision],
    short: str | None,
    rng: random.Random,
) -> None:
    """Cut a ready revision from the pool's template into `revisions` (the pool's), named
    `short` unless that is empty or taken; the pool's latest created revision is it."""
    pool_short = pool.name.rsplit("/", 1)[-1]
    while not short or f"{pool.name}/revisions/{short}" in revisions:
        short = new_revision_name(pool_short, pool.generation, rng)
    revision = run_v2.Revision(
        name=f"{pool.name}/revisions/{short}",
        uid=str(uuid.uuid4()),
        generation=pool.generation,
        containers=list(pool.template.containers),
        annotations=dict(pool.template.annotations),
        labels=dict(pool.template.labels),
        service_account=pool.template.service_account,
        create_time=now(),
        creator=pool.last_modifier or EMULATOR_PRINCIPAL,
        etag=new_etag(),
        conditions=[ready_condition(Ready.CONDITION_SUCCEEDED)],
    )
    revisions[revision.name] = revision
    pool.template.revision = ""
    pool.latest_created_revision = revision.name


def revision_taken(revisions: Mapping[str, run_v2.Revision], short: str) -> bool:
    """A client re-sending the revision name it read must not get it with a new template."""
    return short in (short_revision(name) for name in revisions)


def template_of(pool: run_v2.WorkerPool) -> bytes:
    """The template as bytes, its revision name left out: equal bytes, nothing to cut."""
    template = copy_message(pool.template)
    template.revision = ""
    return bytes(run_v2.WorkerPoolRevisionTemplate.serialize(template))


def split_statuses(pool: run_v2.WorkerPool) -> list[run_v2.InstanceSplitStatus]:
    """What runs: LATEST resolves to the latest ready revision (short names, as traffic)."""
    latest = short_revision(pool.latest_ready_revision)
    return [
        run_v2.InstanceSplitStatus(
            type_=split.type_,
            revision=latest if split.type_ == LATEST_SPLIT else short_revision(split.revision),
            percent=split.percent,
        )
        for split in pool.instance_splits
    ]


"""Cloud Run worker pools ↔ the core model. A worker pool has revisions like a service, and
its `instance_split_statuses` play the part of traffic: a revision with a split > 0 runs and
is read as a serving revision is."""

from __future__ import annotations

from typing import Any

from google.cloud import run_v2

from deploytool.cloudrun.convert import containers_from_proto, short, timestamp
from deploytool.core.model import WORKER_POOL, LiveWorkload, TrafficShare

_SUCCEEDED = run_v2.Condition.State.CONDITION_SUCCEEDED
_FAILED = run_v2.Condition.State.CONDITION_FAILED
_LATEST = run_v2.InstanceSplitAllocationType.INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST


def worker_pool_from_proto(pool: run_v2.WorkerPool) -> LiveWorkload:
    parts = pool.name.split("/")
    condition = pool.terminal_condition
    ready: bool | None = None
    if condition.state == _SUCCEEDED:
        ready = True
    elif condition.state == _FAILED:
        ready = False
    return LiveWorkload(
        name=parts[5],
        project=parts[1],
        region=parts[3],
        containers=containers_from_proto(pool.template.containers),
        etag=pool.etag,
        annotations=tuple(sorted(pool.annotations.items())),
        latest_created_revision=short(pool.latest_created_revision),
        latest_ready_revision=short(pool.latest_ready_revision),
        ready=ready,
        condition_message=condition.message,
        traffic=_splits(pool),
        kind=WORKER_POOL,
        last_modifier=pool.last_modifier,
        update_time=timestamp(pool, "update_time"),
    )


def _splits(pool: run_v2.WorkerPool) -> tuple[TrafficShare, ...]:
    """Each instance split as a share (no tags: worker pools have no URLs). A LATEST entry
    without a revision name is the latest ready revision, as for services."""
    out = []
    for status in pool.instance_split_statuses:
        revision = status.revision
        if not revision and status.type_ == _LATEST:
            revision = pool.latest_ready_revision
        if revision:
            out.append(
                TrafficShare(
                    short(revision), status.percent, follows_latest=status.type_ == _LATEST
                )
            )
    return tuple(out)


def worker_pool_containers(pool: run_v2.WorkerPool) -> Any:
    """The repeated containers a worker-pool update writes env into."""
    return pool.template.containers

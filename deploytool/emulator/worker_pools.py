"""Cloud Run worker pools in the emulator: the store (behind the state's lock), seeding,
reads, out-of-band changes and UpdateWorkerPool. A worker pool has revisions like a service
(worker_pool_revisions.py); its `instance_splits` say which run, `instance_split_statuses`
what does. An update that changes the template cuts a revision. The routes are in
worker_pool_routes.py."""

from __future__ import annotations

import random
import re
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from google.cloud import run_v2
from google.longrunning import operations_pb2

from deploytool.emulator.conditions import ready_condition
from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import paginate
from deploytool.emulator.resources import Ready, new_etag, now, short_revision
from deploytool.emulator.rollout import EMULATOR_PRINCIPAL
from deploytool.emulator.worker_pool_revisions import (
    LATEST_SPLIT,
    complete_revision,
    cut_revision,
    pool_of,
    revision_taken,
    split_statuses,
    template_of,
)
from deploytool.emulator.workload_common import (
    copy_message,
    done_operation,
    etag_guard,
    replace_user_fields,
)

_POOL = re.compile(r"^projects/[^/]+/locations/[^/]+/workerPools/[^/]+$")
POOL_OUTPUT_ONLY = (
    "uid",
    "generation",
    "create_time",
    "update_time",
    "delete_time",
    "expire_time",
    "creator",
    "last_modifier",
    "observed_generation",
    "terminal_condition",
    "conditions",
    "latest_ready_revision",
    "latest_created_revision",
    "instance_split_statuses",
    "satisfies_pzs",
    "reconciling",
    "etag",
)



class WorkerPoolStore:
    """Worker pools and their revisions, guarded by the emulator state's lock."""

    def __init__(self, lock: threading.RLock, rng: random.Random) -> None:
        self._lock = lock
        self._rng = rng
        self._pools: dict[str, run_v2.WorkerPool] = {}
        self._revisions: dict[str, dict[str, run_v2.Revision]] = {}

    # -- Python API (tests, state files) --------------------------------------------------

    def put_worker_pool(self, pool: run_v2.WorkerPool) -> run_v2.WorkerPool:
        """Store a pool as seeded: one ready revision is cut from its template unless its
        latest created revision is already stored; splits default to 100 % LATEST."""
        pool = copy_message(pool)
        if not _POOL.match(pool.name):
            raise ValueError(
                f"not a worker pool name: {pool.name!r} (want projects/P/locations/L/workerPools/W)"
            )
        pool.generation = pool.generation or 1
        pool.observed_generation = pool.observed_generation or pool.generation
        pool.etag = pool.etag or new_etag()
        pool.uid = pool.uid or str(uuid.uuid4())
        pool.creator = pool.creator or EMULATOR_PRINCIPAL
        pool.last_modifier = pool.last_modifier or pool.creator
        if "create_time" not in pool:
            pool.create_time = now()
        if "update_time" not in pool:
            pool.update_time = pool.create_time
        if not pool.instance_splits:
            pool.instance_splits = [run_v2.InstanceSplit(type_=LATEST_SPLIT, percent=100)]
        with self._lock:
            revisions = self._revisions.setdefault(pool.name, {})
            latest = pool.latest_created_revision
            full = f"{pool.name}/revisions/{short_revision(latest)}" if latest else ""
            if not full or full not in revisions:
                cut_revision(pool, revisions, short_revision(latest) if latest else None, self._rng)
            else:
                pool.latest_created_revision = full
            if not pool.latest_ready_revision:
                pool.latest_ready_revision = pool.latest_created_revision
            else:
                ready = short_revision(pool.latest_ready_revision)
                pool.latest_ready_revision = f"{pool.name}/revisions/{ready}"
            if "terminal_condition" not in pool:
                pool.terminal_condition = ready_condition(Ready.CONDITION_SUCCEEDED)
            if not pool.instance_split_statuses:
                pool.instance_split_statuses = split_statuses(pool)
            self._pools[pool.name] = pool
            return copy_message(pool)

    def add_revision(self, revision: run_v2.Revision) -> run_v2.Revision:
        """Store an (older) revision `projects/P/locations/L/workerPools/W/revisions/R`."""
        revision = copy_message(revision)
        pool = complete_revision(revision)
        with self._lock:
            self._revisions.setdefault(pool, {})[revision.name] = revision
            return copy_message(revision)

    def get_worker_pool(self, name: str) -> run_v2.WorkerPool | None:
        with self._lock:
            pool = self._pools.get(name)
            return copy_message(pool) if pool is not None else None

    def revision_names(self, pool: str) -> list[str]:
        with self._lock:
            return sorted(self._revisions.get(pool, {}))

    def set_env(
        self,
        name: str,
        env: Iterable[run_v2.EnvVar],
        container: str | None = None,
        *,
        modifier: str | None = None,
    ) -> run_v2.WorkerPool:
        """An out-of-band `gcloud beta run worker-pools update --set-env-vars`: a new
        revision takes the whole split (LATEST), as an update does."""
        with self._lock:
            pool = copy_message(self._require(name))
            target = next(
                (c for c in pool.template.containers if container in (None, c.name)), None
            )
            if target is None:
                raise ValueError(f"{name} has no container {container!r}")
            target.env = list(env)
            return self._store_update(pool, template_changed=True, modifier=modifier)

    def set_instance_splits(
        self,
        name: str,
        splits: Iterable[run_v2.InstanceSplit],
        *,
        modifier: str | None = None,
    ) -> run_v2.WorkerPool:
        """An out-of-band change of the split only: no revision is cut."""
        with self._lock:
            pool = copy_message(self._require(name))
            pool.instance_splits = list(splits)
            return self._store_update(pool, template_changed=False, modifier=modifier)

    def redeploy(self, name: str, *, modifier: str | None = None) -> run_v2.WorkerPool:
        """A concurrent change leaving the template alone: a new etag and generation."""
        with self._lock:
            pool = copy_message(self._require(name))
            return self._store_update(pool, template_changed=False, modifier=modifier)

    # -- API operations -------------------------------------------------------------------

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._pools)

    def list_worker_pools(
        self, parent: str, size: int, token: str | None
    ) -> run_v2.ListWorkerPoolsResponse:
        with self._lock:
            names = sorted(n for n in self._pools if n.startswith(parent + "/workerPools/"))
            page, next_token = paginate(names, size, token, scope=parent)
            return run_v2.ListWorkerPoolsResponse(
                worker_pools=[self._pools[n] for n in page], next_page_token=next_token
            )

    def require(self, name: str) -> run_v2.WorkerPool:
        with self._lock:
            return copy_message(self._require(name))

    def require_revision(self, name: str) -> run_v2.Revision:
        pool = pool_of(name)
        with self._lock:
            revision = self._revisions.get(pool, {}).get(name) if pool else None
            if revision is None:
                raise ApiError.not_found(f"Resource '{name}' of kind 'REVISION' was not found.")
            return copy_message(revision)

    def update_worker_pool(
        self,
        name: str,
        body: run_v2.WorkerPool,
        *,
        validate_only: bool,
        allow_missing: bool,
        update_mask: tuple[str, ...] = (),
    ) -> operations_pb2.Operation:
        with self._lock:
            current = self._pools.get(name)
            if current is None:
                if not allow_missing:
                    raise self._not_found(name)
                raise ApiError(501, "Creating a worker pool with allowMissing is not emulated.")
            etag_guard("worker pool", name, current, body)
            updated = copy_message(current)
            replace_user_fields(
                run_v2.WorkerPool.pb(updated),
                run_v2.WorkerPool.pb(body),
                POOL_OUTPUT_ONLY,
                update_mask,
            )
            if not updated.template.containers:
                raise ApiError.invalid("worker_pool.template.containers: at least one is required")
            # The revision name a client read back must not be re-sent with a new template.
            changed = template_of(updated) != template_of(current)
            if (
                changed
                and updated.template.revision
                and revision_taken(self._revisions.get(name, {}), updated.template.revision)
            ):
                raise ApiError(409, f"Revision '{updated.template.revision}' already exists.")
            parent = name.rsplit("/workerPools/", 1)[0]
            if validate_only:
                return done_operation(parent, run_v2.WorkerPool.pb(updated))
            stored = self._store_update(updated, template_changed=changed)
            return done_operation(parent, run_v2.WorkerPool.pb(stored))

    # -- internals (lock held) ------------------------------------------------------------

    def _require(self, name: str) -> run_v2.WorkerPool:
        pool = self._pools.get(name)
        if pool is None:
            raise self._not_found(name)
        return pool

    @staticmethod
    def _not_found(name: str) -> ApiError:
        return ApiError.not_found(f"Resource '{name}' of kind 'WORKER_POOL' was not found.")

    def _store_update(
        self, pool: run_v2.WorkerPool, *, template_changed: bool, modifier: str | None = None
    ) -> Any:
        pool.generation += 1
        pool.observed_generation = pool.generation
        pool.etag = new_etag()
        pool.update_time = now()
        pool.last_modifier = modifier or EMULATOR_PRINCIPAL  # the writer, as Cloud Run records
        if template_changed:
            cut_revision(pool, self._revisions.setdefault(pool.name, {}), None, self._rng)
            pool.latest_ready_revision = pool.latest_created_revision
        pool.instance_split_statuses = split_statuses(pool)
        self._pools[pool.name] = pool
        return copy_message(pool)

"""Cloud Run worker pools in the emulator: the store (behind the state's lock) and the routes
the REST transport calls (worker_pools/transports/rest_base.py, and the revisions client's
`workerPools/W/revisions/R`). A worker pool has revisions like a service; its
`instance_splits` say which run, `instance_split_statuses` what does. An update that changes
the template cuts a revision; the rollout settles at once (a simplification)."""

from __future__ import annotations

import random
import re
import threading
import uuid
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from google.cloud import run_v2
from google.longrunning import operations_pb2
from google.protobuf import field_mask_pb2, json_format
from google.protobuf.message import Message

from deploytool.emulator.conditions import ready_condition
from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import page_size_of, paginate
from deploytool.emulator.resources import (
    Ready,
    new_etag,
    new_revision_name,
    now,
    short_revision,
)
from deploytool.emulator.rollout import EMULATOR_PRINCIPAL
from deploytool.emulator.workload_common import done_operation, etag_guard, replace_user_fields

if TYPE_CHECKING:
    from deploytool.emulator.server import Emulator

_POOL = re.compile(r"^projects/[^/]+/locations/[^/]+/workerPools/[^/]+$")
_REVISION = re.compile(r"^(projects/[^/]+/locations/[^/]+/workerPools/[^/]+)/revisions/[^/]+$")
_LATEST = run_v2.InstanceSplitAllocationType.INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST
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


def _copy(message: Any) -> Any:
    return type(message).deserialize(type(message).serialize(message))


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
        pool = _copy(pool)
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
            pool.instance_splits = [run_v2.InstanceSplit(type_=_LATEST, percent=100)]
        with self._lock:
            revisions = self._revisions.setdefault(pool.name, {})
            latest = pool.latest_created_revision
            full = f"{pool.name}/revisions/{short_revision(latest)}" if latest else ""
            if not full or full not in revisions:
                self._cut_revision(pool, short_revision(latest) if latest else None)
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
                pool.instance_split_statuses = _statuses(pool)
            self._pools[pool.name] = pool
            return _copy(pool)

    def add_revision(self, revision: run_v2.Revision) -> run_v2.Revision:
        """Store an (older) revision `projects/P/locations/L/workerPools/W/revisions/R`."""
        revision = _copy(revision)
        match = _REVISION.match(revision.name)
        if match is None:
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
        with self._lock:
            self._revisions.setdefault(match.group(1), {})[revision.name] = revision
            return _copy(revision)

    def get_worker_pool(self, name: str) -> run_v2.WorkerPool | None:
        with self._lock:
            pool = self._pools.get(name)
            return _copy(pool) if pool is not None else None

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
            pool = _copy(self._require(name))
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
            pool = _copy(self._require(name))
            pool.instance_splits = list(splits)
            return self._store_update(pool, template_changed=False, modifier=modifier)

    def redeploy(self, name: str, *, modifier: str | None = None) -> run_v2.WorkerPool:
        """A concurrent change leaving the template alone: a new etag and generation."""
        with self._lock:
            pool = _copy(self._require(name))
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
            return _copy(self._require(name))

    def require_revision(self, name: str) -> run_v2.Revision:
        match = _REVISION.match(name)
        with self._lock:
            revision = self._revisions.get(match.group(1), {}).get(name) if match else None
            if revision is None:
                raise ApiError.not_found(f"Resource '{name}' of kind 'REVISION' was not found.")
            return _copy(revision)

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
            updated = _copy(current)
            replace_user_fields(
                run_v2.WorkerPool.pb(updated),
                run_v2.WorkerPool.pb(body),
                POOL_OUTPUT_ONLY,
                update_mask,
            )
            if not updated.template.containers:
                raise ApiError.invalid("worker_pool.template.containers: at least one is required")
            # The revision name a client read back must not be re-sent with a new template.
            changed = _template_of(updated) != _template_of(current)
            if (
                changed
                and updated.template.revision
                and updated.template.revision
                in (short_revision(r) for r in self._revisions.get(name, {}))
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
            self._cut_revision(pool, None)
            pool.latest_ready_revision = pool.latest_created_revision
        pool.instance_split_statuses = _statuses(pool)
        self._pools[pool.name] = pool
        return _copy(pool)

    def _cut_revision(self, pool: run_v2.WorkerPool, short: str | None) -> None:
        revisions = self._revisions.setdefault(pool.name, {})
        pool_short = pool.name.rsplit("/", 1)[-1]
        while not short or f"{pool.name}/revisions/{short}" in revisions:
            short = new_revision_name(pool_short, pool.generation, self._rng)
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


def _template_of(pool: run_v2.WorkerPool) -> bytes:
    template = _copy(pool.template)
    template.revision = ""
    return bytes(run_v2.WorkerPoolRevisionTemplate.serialize(template))


def _statuses(pool: run_v2.WorkerPool) -> list[run_v2.InstanceSplitStatus]:
    """What runs: LATEST resolves to the latest ready revision (short names, as traffic)."""
    latest = short_revision(pool.latest_ready_revision)
    return [
        run_v2.InstanceSplitStatus(
            type_=split.type_,
            revision=latest if split.type_ == _LATEST else short_revision(split.revision),
            percent=split.percent,
        )
        for split in pool.instance_splits
    ]


# -- routes -------------------------------------------------------------------------------

_LOCATION = r"projects/[^/]+/locations/[^/]+"
ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(rf"^/v2/(?P<resource>{_LOCATION})/workerPools$"), {"GET": "workerPools.list"}),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/workerPools/[^/:]+)$"),
        {"GET": "workerPools.get", "PATCH": "workerPools.update"},
    ),
    (
        re.compile(rf"^/v2/(?P<resource>{_LOCATION}/workerPools/[^/]+/revisions/[^/:]+)$"),
        {"GET": "workerPools.revisions.get"},
    ),
]


def _flag(query: Mapping[str, str], name: str) -> bool:
    return query.get(name, "").lower() in ("true", "1")


def _list(emulator: Emulator, parent: str, query: Mapping[str, str], _b: bytes) -> Message:
    page = emulator.state.worker_pools.list_worker_pools(
        parent, page_size_of(query.get("pageSize")), query.get("pageToken")
    )
    return run_v2.ListWorkerPoolsResponse.pb(page)


def _get(emulator: Emulator, name: str, _q: Mapping[str, str], _b: bytes) -> Message:
    return run_v2.WorkerPool.pb(emulator.state.worker_pools.require(name))


def _update(emulator: Emulator, name: str, query: Mapping[str, str], body: bytes) -> Message:
    pool = run_v2.WorkerPool()
    try:
        json_format.Parse(body.decode("utf-8") or "{}", run_v2.WorkerPool.pb(pool))
    except (json_format.ParseError, UnicodeDecodeError) as exc:
        raise ApiError.invalid(f"Invalid JSON payload received. {exc}") from exc
    return emulator.state.worker_pools.update_worker_pool(
        name,
        pool,
        validate_only=_flag(query, "validateOnly"),
        allow_missing=_flag(query, "allowMissing"),
        update_mask=_mask(query.get("updateMask")),
    )


def _mask(raw: str | None) -> tuple[str, ...]:
    """`updateMask` as the JSON form of a FieldMask (camelCase, comma-separated)."""
    if not raw:
        return ()
    mask = field_mask_pb2.FieldMask()
    try:
        mask.FromJsonString(raw)
    except ValueError as exc:
        raise ApiError.invalid(f"Invalid updateMask {raw!r}: {exc}") from exc
    return tuple(mask.paths)


def _get_revision(emulator: Emulator, name: str, _q: Mapping[str, str], _b: bytes) -> Message:
    return run_v2.Revision.pb(emulator.state.worker_pools.require_revision(name))


HANDLERS: dict[str, Any] = {
    "workerPools.list": _list,
    "workerPools.get": _get,
    "workerPools.update": _update,
    "workerPools.revisions.get": _get_revision,
}

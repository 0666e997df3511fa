"""The worker-pool routes the google-cloud-run REST transport calls
(worker_pools/transports/rest_base.py, and the revisions client's
`workerPools/W/revisions/R`), answered from the state's WorkerPoolStore."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from google.cloud import run_v2
from google.protobuf import field_mask_pb2, json_format
from google.protobuf.message import Message

from deploytool.emulator.errors import ApiError
from deploytool.emulator.paging import page_size_of

if TYPE_CHECKING:
    from deploytool.emulator.server import Emulator

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

"""The emulator's state file: YAML (default) or JSON (by the `.json` extension).

```yaml
services:            # Service JSON, camelCase or snake_case; `name` is the full resource name
  - name: projects/P/locations/L/services/S
    template: {containers: [{name: app, image: gcr.io/x/app:1, env: [{name: A, value: "1"}]}]}
    # optional, kept as given: latestCreatedRevision, latestReadyRevision, traffic,
    # trafficStatuses, terminalCondition, etag, generation, labels, annotations, ...
    # traffic entries may carry a `tag` (unique per service): its URL is filled in
    traffic: [{type: TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST, percent: 100},
              {revision: S-00001-abc, percent: 0, tag: canary}]
revisions:           # optional: explicit (older) revisions, Revision JSON with full names
  - name: projects/P/locations/L/services/S/revisions/S-00001-abc
    containers: [{image: gcr.io/x/app:0}]
  - name: projects/P/locations/L/workerPools/W/revisions/W-00001-abc   # a worker pool's
jobs:                # optional: Job JSON; env lives in template.template.containers
  - name: projects/P/locations/L/jobs/J
    template: {template: {containers: [{image: gcr.io/x/job:1, env: [{name: A, value: "1"}]}]}}
executions:          # optional: Execution JSON; no completionTime = still running
  - name: projects/P/locations/L/jobs/J/executions/J-abc12
    createTime: "2026-01-31T09:30:00Z"
    completionTime: "2026-01-31T09:31:00Z"
    template: {containers: [{env: [{name: A, value: "1"}, {name: E2E_TESTING, value: "1"}]}]}
worker_pools:        # optional: WorkerPool JSON; instanceSplits default to 100% LATEST
  - name: projects/P/locations/L/workerPools/W
    template: {containers: [{image: gcr.io/x/worker:1}]}
faults:              # optional
  seed: 0                                       # seeds every injected rate
  fail_rollout: {"projects/P/locations/L/services/S": "Container failed to start: ..."}
  deny: ["projects/secret-proj"]                # -> 403 PERMISSION_DENIED
  errors: [{route: services.list, status: 503, rate: 0.2}]
  drop: [{route: services.get, rate: 0.1}]
  repeat_page_token: [services.list]            # the next page token never changes
projects:            # optional: where projects sit, for the Asset API (`audit --discover`)
  p-prod: {number: "123", folder: folders/42, organization: organizations/7}
  # `folders: [folders/43, folders/42]` for nested folders (nearest first); an unlisted
  # project gets a number derived from its id and belongs to no folder or organisation
```
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from google.cloud import run_v2
from google.protobuf import json_format

from deploytool.emulator.assets import ProjectDirectory
from deploytool.emulator.errors import StateFileError
from deploytool.emulator.faults import FaultPlan
from deploytool.emulator.state import EmulatorState

_TOP_LEVEL_KEYS = {
    "services",
    "revisions",
    "jobs",
    "executions",
    "worker_pools",
    "faults",
    "projects",
}
_FAULT_KEYS = {"seed", "fail_rollout", "deny", "errors", "drop", "repeat_page_token"}


def load_state_file(path: Path) -> EmulatorState:
    """Read and build the state; every problem is a StateFileError naming the file."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise StateFileError(where, "no such file") from exc
    except UnicodeDecodeError as exc:
        raise StateFileError(where, "not UTF-8 text") from exc
    except OSError as exc:
        raise StateFileError(where, f"cannot read it: {exc.strerror or exc}") from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StateFileError(where, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise StateFileError(where, f"invalid YAML: {exc}") from exc
    return state_from_dict(data, where)


def state_from_dict(data: Any, source: str = "<dict>") -> EmulatorState:
    """Build the state from the file's structure (an empty document is an empty state)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise StateFileError(source, "the top level must be a mapping with 'services:'")
    unknown = sorted(set(map(str, data)) - _TOP_LEVEL_KEYS)
    if unknown:
        raise StateFileError(
            source,
            f"unknown key(s) {', '.join(unknown)}; expected services, revisions, jobs, "
            "executions, worker_pools, faults, projects",
        )
    faults = _mapping(data.get("faults"), "faults", source)
    unknown = sorted(set(map(str, faults)) - _FAULT_KEYS)
    if unknown:
        raise StateFileError(source, f"faults: unknown key(s) {', '.join(unknown)}")
    try:
        plan = FaultPlan.from_dict({k: v for k, v in faults.items() if k != "fail_rollout"})
    except (KeyError, TypeError, ValueError) as exc:
        raise StateFileError(source, f"faults: {exc}") from exc
    seed = faults.get("seed", 0)
    state = EmulatorState(seed=seed if isinstance(seed, int) else 0, faults=plan)
    try:
        state.projects = ProjectDirectory.from_dict(
            _mapping(data.get("projects"), "projects", source)
        )
    except ValueError as exc:
        raise StateFileError(source, str(exc)) from exc

    for index, item in enumerate(_list(data.get("revisions"), "revisions", source)):
        where = f"revisions[{index}]"
        revision = _parse(run_v2.Revision, item, where, source)
        try:
            if "/workerPools/" in revision.name:
                state.worker_pools.add_revision(revision)
            else:
                state.add_revision(revision)
        except ValueError as exc:
            raise StateFileError(source, f"{where}: {exc}") from exc

    seen: set[str] = set()
    for index, item in enumerate(_list(data.get("services"), "services", source)):
        where = f"services[{index}]"
        service = _parse(run_v2.Service, item, where, source)
        if not service.name:
            raise StateFileError(source, f"{where}: 'name' is required")
        if service.name in seen:
            raise StateFileError(source, f"{where}: duplicate service {service.name}")
        seen.add(service.name)
        try:
            state.put_service(service)
        except ValueError as exc:
            raise StateFileError(source, f"{where}: {exc}") from exc

    _seed_other_kinds(state, data, source)
    failing = _mapping(faults.get("fail_rollout"), "faults.fail_rollout", source)
    for name, message in failing.items():
        if not isinstance(message, str) or not message:
            raise StateFileError(source, f"faults.fail_rollout[{name}]: message must be a string")
        state.set_fail_rollout(str(name), message)
    return state


def _seed_other_kinds(state: EmulatorState, data: Mapping[str, Any], source: str) -> None:
    """Jobs, executions and worker pools, each by its own store's seeding rules."""
    seeders = (
        ("jobs", run_v2.Job, state.jobs.put_job),
        ("executions", run_v2.Execution, state.jobs.put_execution),
        ("worker_pools", run_v2.WorkerPool, state.worker_pools.put_worker_pool),
    )
    for key, message_type, put in seeders:
        seen: set[str] = set()
        for index, item in enumerate(_list(data.get(key), key, source)):
            where = f"{key}[{index}]"
            message = _parse(message_type, item, where, source)
            if not message.name:
                raise StateFileError(source, f"{where}: 'name' is required")
            if message.name in seen:
                raise StateFileError(source, f"{where}: duplicate {message.name}")
            seen.add(message.name)
            try:
                put(message)
            except ValueError as exc:
                raise StateFileError(source, f"{where}: {exc}") from exc


def _parse(message_type: Any, item: object, where: str, source: str) -> Any:
    """Parse with the library's own JSON rules, so a seed reads exactly as the API would."""
    if not isinstance(item, Mapping):
        raise StateFileError(source, f"{where}: must be a mapping")
    message = message_type()
    try:
        json_format.ParseDict(_jsonable(item), message_type.pb(message))
    except (json_format.ParseError, TypeError, ValueError) as exc:
        raise StateFileError(source, f"{where}: {exc}") from exc
    return message


def _jsonable(value: Any) -> Any:
    """YAML turns unquoted timestamps into datetimes; the JSON parser wants RFC 3339 text."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, datetime.date):
        return f"{value.isoformat()}T00:00:00Z"
    return value


def _mapping(value: object, where: str, source: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise StateFileError(source, f"{where}: must be a mapping")
    return value


def _list(value: object, where: str, source: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise StateFileError(source, f"{where}: must be a list")
    return value

"""Seeding jobs, executions and worker pools into the emulator, on run_v2's own messages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

PRODUCTION = """
project: p-prod
region: us-central1
services:
  backend: {env: {ENVIRONMENT: production}}
jobs:
  migrate: {env: {ENVIRONMENT: production}}
worker_pools:
  consumer: {env: {ENVIRONMENT: production}}
"""

STAGING = """
project: p-staging
region: us-central1
e2e:
  env: {E2E_TESTING: "1"}
  jobs: [migrate]
services:
  backend: {env: {ENVIRONMENT: staging}}
jobs:
  migrate: {env: {ENVIRONMENT: staging}}
worker_pools:
  consumer: {env: {ENVIRONMENT: staging}}
"""


def _env(values: Mapping[str, str]) -> list[Any]:
    from google.cloud import run_v2

    return [run_v2.EnvVar(name=k, value=v) for k, v in values.items()]


def _container(env: Mapping[str, str], image: str = "gcr.io/x/app:1") -> Any:
    from google.cloud import run_v2

    return run_v2.Container(name="app", image=image, env=_env(env), args=["--serve"])


def put_job(emulator: Any, project: str, name: str, env: Mapping[str, str], **fields: Any) -> Any:
    from google.cloud import run_v2

    job = run_v2.Job(
        name=f"projects/{project}/locations/us-central1/jobs/{name}",
        labels={"team": "data"},
        template=run_v2.ExecutionTemplate(
            task_count=3,
            template=run_v2.TaskTemplate(containers=[_container(env)], max_retries=2),
        ),
        **fields,
    )
    return emulator.state.jobs.put_job(job)


def put_execution(
    emulator: Any,
    project: str,
    job: str,
    name: str,
    env: Mapping[str, str],
    *,
    age: timedelta,
    running: bool = False,
) -> Any:
    from google.cloud import run_v2

    created = datetime.now(UTC) - age
    execution = run_v2.Execution(
        name=f"projects/{project}/locations/us-central1/jobs/{job}/executions/{name}",
        create_time=created,
        start_time=created + timedelta(seconds=2),
        template=run_v2.TaskTemplate(containers=[_container(env)]),
    )
    if not running:
        execution.completion_time = created + timedelta(minutes=1)
    return emulator.state.jobs.put_execution(execution)


def put_pool(emulator: Any, project: str, name: str, env: Mapping[str, str], **fields: Any) -> Any:
    from google.cloud import run_v2

    pool = run_v2.WorkerPool(
        name=f"projects/{project}/locations/us-central1/workerPools/{name}",
        labels={"team": "queue"},
        template=run_v2.WorkerPoolRevisionTemplate(containers=[_container(env)]),
        **fields,
    )
    return emulator.state.worker_pools.put_worker_pool(pool)


def put_pool_revision(emulator: Any, project: str, pool: str, short: str, env: Any) -> Any:
    from google.cloud import run_v2

    revision = run_v2.Revision(
        name=f"projects/{project}/locations/us-central1/workerPools/{pool}/revisions/{short}",
        containers=[_container(env, "gcr.io/x/app:0")],
    )
    return emulator.state.worker_pools.add_revision(revision)


def split(emulator: Any, project: str, pool: str, old: str, percent: int) -> Any:
    """`percent` of the instances on revision `old`, the rest on LATEST."""
    from google.cloud import run_v2

    latest = run_v2.InstanceSplitAllocationType.INSTANCE_SPLIT_ALLOCATION_TYPE_LATEST
    revision = run_v2.InstanceSplitAllocationType.INSTANCE_SPLIT_ALLOCATION_TYPE_REVISION
    return emulator.state.worker_pools.set_instance_splits(
        f"projects/{project}/locations/us-central1/workerPools/{pool}",
        [
            run_v2.InstanceSplit(type_=latest, percent=100 - percent),
            run_v2.InstanceSplit(type_=revision, revision=old, percent=percent),
        ],
    )


def seed_in_sync(emulator: Any) -> None:
    """Both environments exactly as their manifests say."""
    from tests.conftest import service_message

    for project, env in (("p-prod", "production"), ("p-staging", "staging")):
        emulator.state.put_service(
            service_message(project, "us-central1", "backend", {"ENVIRONMENT": env})
        )
        job_env = {"ENVIRONMENT": env, **({"E2E_TESTING": "1"} if env == "staging" else {})}
        put_job(emulator, project, "migrate", job_env)
        put_pool(emulator, project, "consumer", {"ENVIRONMENT": env})

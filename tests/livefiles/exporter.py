"""The emulator's state written out as gcloud and the v2 API would export it, for the tests
that run one state through both paths (Cloud Run via the emulator, and --live-from files)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from google.cloud import run_v2

LATEST = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _parts(name: str) -> tuple[str, str, str]:
    parts = name.split("/")
    return parts[1], parts[3], parts[5]


def _env(entries: Any, aliases: dict[str, str]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for entry in entries:
        ref = entry.value_source.secret_key_ref
        if ref.secret:
            name = ref.secret
            if "/" in name:  # v1 refers to another project's secret through an alias
                alias = _short(name)
                aliases[alias] = name
                name = alias
            out.append(
                {
                    "name": entry.name,
                    "valueFrom": {"secretKeyRef": {"name": name, "key": ref.version}},
                }
            )
        else:
            out.append({"name": entry.name, "value": entry.value})
    return out


def _containers(containers: Any, aliases: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for c in containers:
        doc: dict[str, Any] = {"name": c.name, "image": c.image, "env": _env(c.env, aliases)}
        if c.ports:
            doc["ports"] = [{"containerPort": p.container_port, "name": "http1"} for p in c.ports]
        out.append(doc)
    return out


def _metadata(name: str, namespace: str, region: str, **labels: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {"cloud.googleapis.com/location": region, **labels},
    }


def knative_service(service: Any, *, namespace: str | None = None, status: bool = False) -> Any:
    """`gcloud run services describe --format export` (status=False) or `--format yaml`."""
    project, region, name = _parts(service.name)
    aliases: dict[str, str] = {}
    containers = _containers(service.template.containers, aliases)
    template_meta: dict[str, Any] = {"name": _short(service.latest_created_revision)}
    if aliases:
        template_meta["annotations"] = {
            "run.googleapis.com/secrets": ",".join(f"{a}:{p}" for a, p in sorted(aliases.items()))
        }
    traffic = []
    for target in service.traffic:
        entry: dict[str, Any] = {"percent": target.percent} if target.percent else {}
        if target.type_ == LATEST:
            entry["latestRevision"] = True
        else:
            entry["revisionName"] = _short(target.revision)
        if target.tag:
            entry["tag"] = target.tag
        traffic.append(entry)
    doc: dict[str, Any] = {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": _metadata(name, namespace or project, region),
        "spec": {
            "template": {"metadata": template_meta, "spec": {"containers": containers}},
            "traffic": traffic,
        },
    }
    if status:
        ready = service.terminal_condition.state == run_v2.Condition.State.CONDITION_SUCCEEDED
        doc["status"] = {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "latestCreatedRevisionName": _short(service.latest_created_revision),
            "latestReadyRevisionName": _short(service.latest_ready_revision),
            "traffic": [
                {
                    **({"latestRevision": True} if s.type_ == LATEST else {}),
                    "revisionName": _short(s.revision) or _short(service.latest_ready_revision),
                    "percent": s.percent,
                    **({"tag": s.tag, "url": s.uri} if s.tag else {}),
                }
                for s in service.traffic_statuses
            ],
            "url": service.uri,
        }
    return doc


def knative_revision(revision: Any, *, namespace: str | None = None) -> Any:
    project, region, service = _parts(revision.name)
    aliases: dict[str, str] = {}
    containers = _containers(revision.containers, aliases)
    metadata = _metadata(
        _short(revision.name),
        namespace or project,
        region,
        **{"serving.knative.dev/service": service},
    )
    if aliases:
        metadata["annotations"] = {
            "run.googleapis.com/secrets": ",".join(f"{a}:{p}" for a, p in sorted(aliases.items()))
        }
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Revision",
        "metadata": metadata,
        "spec": {"containers": containers},
    }


def export_state(
    state: Any, out: Path, fmt: str, numbers: dict[str, str] | None = None
) -> list[Path]:
    """Write every service (and every revision but the template's) of the emulator's state
    in `fmt`: "export" (one YAML per resource), "list-json" (one `services list --format
    json`, revisions as export YAML) or "v2" (a v2 list response, revisions as v2 JSON)."""
    numbers = numbers or {}
    out.mkdir(parents=True, exist_ok=True)
    services = [state.get_service(name) for name in state.service_names()]
    paths: list[Path] = []
    revisions = [
        state.get_revision(rev)
        for svc in services
        for rev in state.revision_names(svc.name)
        if rev != svc.latest_created_revision
    ]

    def ns(name: str) -> str:
        project = _parts(name)[0]
        return numbers.get(project, project)

    from tests.livefiles.exporter_workloads import export_workloads

    paths += export_workloads(state, out, fmt, ns)
    if fmt == "v2":
        path = out / "services.json"
        body = [json.loads(run_v2.Service.to_json(s)) for s in services]
        path.write_text(json.dumps({"services": body}, indent=2))
        paths.append(path)
        for i, rev in enumerate(revisions):
            path = out / f"revision-{i}.json"
            path.write_text(run_v2.Revision.to_json(rev))
            paths.append(path)
        return paths
    if fmt == "list-json":
        path = out / "services.json"
        docs = [knative_service(s, namespace=ns(s.name), status=True) for s in services]
        path.write_text(json.dumps(docs, indent=2))
        paths.append(path)
    else:
        for i, svc in enumerate(services):
            path = out / f"service-{i}.yaml"
            path.write_text(yaml.safe_dump(knative_service(svc, namespace=ns(svc.name))))
            paths.append(path)
    for i, rev in enumerate(revisions):
        path = out / f"revision-{i}.yaml"
        path.write_text(yaml.safe_dump(knative_revision(rev, namespace=ns(rev.name))))
        paths.append(path)
    return paths

#!/usr/bin/env python3
"""Benchmark: `deploytool audit --discover organizations/7` over 50 projects x 4 regions, against
listing every (project, region) blindly.

Scenario (the default; `--quick` shrinks it):

- the local emulator in this process, every request delayed by `--latency` (20 ms), answering
  both Cloud Run's lists and Cloud Asset Inventory's searchAllResources;
- 50 projects in organizations/7 and 4 candidate regions each: 200 (project, region) places a
  blind audit would have to list; only 10 projects hold workloads, in 1 or 2 regions each
  (13 locations), 20 services in each (260 services);
- one manifest, production (protected), pinned to bench-00 and managing 5 services there;
  one service in an unowned project carries E2E_TESTING, so the verdict is exit 4 with exactly
  one unowned violation.

Measured, each in a child process (peak RSS its own, from wait4, via bench_audit's launcher):

- deploytool: `audit --discover organizations/7 --output json`; wall time, peak RSS and the
  requests the emulator logged (search pages + one list per location);
- blind: one paginated `list_services` per (project, region) of all 200, 8 in parallel, through
  the real REST client: what an audit that guesses projects and regions must do.

Targets (exit 1 if missed): requests <= search pages + discovered locations + the manifest's
own locations (+ serving revisions, none here); fewer requests than blind; peak RSS < 200 MB;
the report names the one unowned leak and every unowned service.

    python scripts/bench_discover.py            # ~20 s on 2 cores
    python scripts/bench_discover.py --quick
    python scripts/bench_discover.py --json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for entry in (REPO, REPO / "scripts"):
    if str(entry) not in sys.path:
        sys.path.insert(0, str(entry))

import bench_audit  # noqa: E402  (its child-process launcher and route names)

REGIONS = ("us-central1", "us-east1", "europe-west1", "asia-northeast1")
ORGANIZATION = "organizations/7"
TARGET_RSS_MB = 200.0
CHILD_TIMEOUT = 300.0


@dataclass(frozen=True)
class Scale:
    projects: int
    with_workloads: int  # the first N projects hold workloads
    per_location: int


FULL = Scale(projects=50, with_workloads=10, per_location=20)
QUICK = Scale(projects=12, with_workloads=4, per_location=5)

BLIND = """
import sys
from concurrent.futures import ThreadPoolExecutor
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.cloud import run_v2
endpoint, places = sys.argv[1], [p.split(",") for p in sys.argv[2:]]
client = run_v2.ServicesClient(transport="rest", credentials=AnonymousCredentials(),
                               client_options=ClientOptions(api_endpoint=endpoint))
def count(place):
    parent = f"projects/{place[0]}/locations/{place[1]}"
    return sum(1 for _ in client.list_services(request={"parent": parent, "page_size": 500}))
with ThreadPoolExecutor(8) as pool:
    print(sum(pool.map(count, places)))
"""


def project(i: int) -> str:
    return f"bench-{i:02d}"


def locations_of(i: int, scale: Scale) -> list[str]:
    """Projects with workloads use 1 or 2 of the candidate regions."""
    if i >= scale.with_workloads:
        return []
    return list(REGIONS[i % 4 : i % 4 + 1 + (i % 2)]) or [REGIONS[0]]


def build_state(scale: Scale) -> tuple[Any, list[tuple[str, str]], int]:
    from google.cloud import run_v2

    from deploytool.emulator import EmulatorState
    from deploytool.emulator.assets import ProjectDirectory

    state = EmulatorState()
    state.projects = ProjectDirectory.from_dict(
        {project(i): {"organization": ORGANIZATION} for i in range(scale.projects)}
    )
    places, services = [], 0
    for i in range(scale.projects):
        for region in locations_of(i, scale):
            places.append((project(i), region))
            for n in range(scale.per_location):
                env = [run_v2.EnvVar(name="ENVIRONMENT", value="production")]
                if i == 1 and n == 0 and region == locations_of(1, scale)[0]:
                    env.append(run_v2.EnvVar(name="E2E_TESTING", value="1"))
                container = run_v2.Container(image="gcr.io/x/app:1", env=env)
                state.put_service(
                    run_v2.Service(
                        name=f"projects/{project(i)}/locations/{region}/services/svc-{n:03d}",
                        template=run_v2.RevisionTemplate(containers=[container]),
                    )
                )
                services += 1
    return state, places, services


def write_configs(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    managed = "\n".join(f"  svc-{n:03d}: {{env: {{ENVIRONMENT: production}}}}" for n in range(5))
    region = locations_of(0, FULL)[0]
    (root / "production.yaml").write_text(
        f"project: {project(0)}\nregion: {region}\nservices:\n{managed}\n", encoding="utf-8"
    )
    (root / "policy.yaml").write_text(
        f"environments:\n  production: {{projects: [{project(0)}]}}\n", encoding="utf-8"
    )


def run_child(emulator: Any, command: list[str], work: Path, name: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k not in ("DEPLOYTOOL_CONFIG_DIR",)}
    env.update(CLOUD_RUN_EMULATOR_HOST=emulator.host_port, NO_GCE_CHECK="True", NO_COLOR="1")
    out_path, report = work / f"{name}.out", work / f"{name}.rusage.json"
    report.unlink(missing_ok=True)
    launcher = [sys.executable, "-c", bench_audit.LAUNCHER, str(report), str(CHILD_TIMEOUT)]
    emulator.reset_requests()
    with out_path.open("wb") as out:
        subprocess.run(
            [*launcher, *command],
            stdout=out,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=work,
            timeout=CHILD_TIMEOUT + 30,
            check=False,
        )
    requests = emulator.requests
    measured = json.loads(report.read_text(encoding="utf-8"))
    return {
        "exit_code": measured["exit_code"],
        "wall_s": round(measured["wall_s"], 2),
        "peak_rss_mb": round(measured["maxrss_kb"] / 1024, 1),
        "requests": len(requests),
        "by_route": dict(Counter(bench_audit._route(r.method, r.path) for r in requests)),
        "stdout": out_path.read_text(encoding="utf-8"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args(argv)
    scale = QUICK if args.quick else FULL

    from deploytool.emulator import Emulator

    state, places, services = build_state(scale)
    every_place = [(project(i), r) for i in range(scale.projects) for r in REGIONS]
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp, Emulator(state, latency=args.latency) as emulator:
        work = Path(tmp)
        write_configs(work / "configs")
        audit = run_child(
            emulator,
            [
                sys.executable,
                "-m",
                "deploytool",
                "audit",
                "--discover",
                ORGANIZATION,
                "--output",
                "json",
                "--config-dir",
                str(work / "configs"),
            ],
            work,
            "audit",
        )
        blind = run_child(
            emulator,
            [sys.executable, "-c", BLIND, emulator.endpoint, *(f"{p},{r}" for p, r in every_place)],
            work,
            "blind",
        )
    document = json.loads(audit.pop("stdout") or "null")
    blind_count = blind.pop("stdout").strip()
    own = {(project(0), locations_of(0, FULL)[0])}
    search_pages = max(1, math.ceil(services / 500))
    bound = search_pages + len(set(places) | own)
    if audit["requests"] > bound:
        problems.append(f"audit made {audit['requests']} requests > bound {bound}")
    if audit["requests"] >= blind["requests"]:
        problems.append("discovery made no fewer requests than listing blindly")
    if audit["peak_rss_mb"] >= TARGET_RSS_MB:
        problems.append(f"peak RSS {audit['peak_rss_mb']} MB >= {TARGET_RSS_MB} MB")
    if audit["exit_code"] != 4 or not document:
        problems.append(f"audit exit {audit['exit_code']}, expected 4")
    else:
        leaks = [(v["service"], v["variable"]) for v in document["violations"]]
        if leaks != [("svc-000", "E2E_TESTING")]:
            problems.append(f"unowned violations {leaks}, expected svc-000's E2E_TESTING")
        expected_unowned = services - scale.per_location * len(locations_of(0, scale))
        if len(document["unowned"]) != expected_unowned:
            problems.append(f"{len(document['unowned'])} unowned, expected {expected_unowned}")
    if blind_count != str(services):
        problems.append(f"blind listing saw {blind_count} services, expected {services}")
    result = {
        "scenario": {
            "projects": scale.projects,
            "candidate_locations": len(every_place),
            "locations_with_workloads": len(places),
            "services": services,
            "latency_s": args.latency,
        },
        "discover": {**audit, "request_bound": bound},
        "blind": blind,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "problems": problems,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        s = result["scenario"]
        print(
            f"{s['projects']} projects x {len(REGIONS)} regions = {s['candidate_locations']} "
            f"places; {s['locations_with_workloads']} hold {s['services']} services"
        )
        print(f"{'':10} {'wall time':>10} {'requests':>9} {'peak RSS':>9}")
        for name, run in (("discover", audit), ("blind", blind)):
            print(
                f"{name:10} {run['wall_s']:>9.2f}s {run['requests']:>9} "
                f"{run['peak_rss_mb']:>7.0f}MB  {run['by_route']}"
            )
        for problem in problems:
            print(f"MISSED: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

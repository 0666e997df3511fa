#!/usr/bin/env python3
"""Benchmark: `deploytool audit` against a describe loop, on 1,200 live services, 300 jobs,
3,000 job executions and 100 worker pools.

Scenario (the default; `--quick` shrinks it for a smoke run):

- the local Cloud Run emulator in this process, every request delayed by `--latency` (20 ms);
- 2 projects x 2 regions each = 4 (project, region) locations, 300 services in each;
- 2 generated manifests: staging (project bench-staging, both of its regions) and production
  (bench-prod, both of its regions), 10 managed services per location, 20 per environment;
  some managed services drift (changed, missing, unexpected variables, and one per location
  whose pinned older revision still serves 10% with another env); production carries no E2E
  variable anywhere, so the verdict is DRIFT (exit 3) with no violation;
- a few services per location split traffic with a pinned older revision: those revisions are
  what the audit must read besides the lists (production is protected, so serving revisions
  of every listed service count, not only managed ones);
- in each location also 75 jobs, 750 executions of them (all created within the last hour, so
  inside the default 24 h window) and 25 worker pools, none managed and none leaking: the
  audit lists each kind once per location (executions through the `jobs/-` wildcard).

Measured:

- deploytool: `python -m deploytool audit --output json --config-dir DIR` in a child process
  (so its peak RSS is its own, taken from wait4), its wall time (process start, imports and
  rendering included) and the requests the emulator logged while it ran;
- baseline: what `for s in ...; do gcloud run services describe $s; done` (and the same for
  `jobs describe`, `jobs executions list --job J` and `worker-pools describe`) does, minus
  gcloud's own start-up: one sequential get per service, job and worker pool and one
  executions list per job through the real REST clients (anonymous credentials, the
  emulator's endpoint), timed around the loop only.

Targets (exit 1 if one is missed): audit at least 10x faster than the baseline (not checked
with --quick: process start-up dominates so few services); requests <= pages + serving
revisions, where pages = sum over locations and kinds of max(1, ceil(items / PAGE_SIZE)) and serving
revisions = the pinned, non-template revisions with traffic; peak RSS < 200 MB; and a report
that says what the generated drift says it should.

    python scripts/bench_audit.py            # the full run (~1 minute on 2 cores)
    python scripts/bench_audit.py --quick    # smoke run
    python scripts/bench_audit.py --json     # machine-readable result
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# project -> regions (4 locations in 2 projects); each environment owns one project.
PROJECTS = {
    "staging": ("bench-staging", ("us-central1", "us-east1")),
    "production": ("bench-prod", ("europe-west1", "asia-northeast1")),
}
REGION_TAG = {
    "us-central1": "usc1",
    "us-east1": "use1",
    "europe-west1": "euw1",
    "asia-northeast1": "ane1",
}
TARGET_SPEEDUP = 10.0
TARGET_RSS_MB = 200.0
CHILD_TIMEOUT = 300.0  # seconds one audit process may take before it is killed
BASELINE_BUDGET = 600.0  # seconds the baseline loop may take before it stops (reported)


@dataclass(frozen=True)
class Scale:
    per_location: int  # services in each (project, region)
    managed_per_location: int  # of which the manifests manage the first N
    split_every: int  # services with i % split_every == split_at serve a pinned old revision
    split_at: int
    jobs: int = 75  # jobs in each location
    executions_per_job: int = 10
    worker_pools: int = 25  # worker pools in each location


FULL = Scale(per_location=300, managed_per_location=10, split_every=50, split_at=7)
QUICK = Scale(
    per_location=50, managed_per_location=10, split_every=25, split_at=7, jobs=10, worker_pools=5
)


@dataclass
class Scenario:
    """What was seeded, and what a correct audit must therefore say."""

    services: int = 0
    locations: list[tuple[str, str, int]] = field(default_factory=list)  # project, region, n
    split_services: int = 0  # services whose pinned older revision still serves traffic
    jobs: int = 0
    executions: int = 0
    worker_pools: int = 0
    # project, region, kind list ("services", "jobs", "executions", "workerPools") -> items
    lists: dict[tuple[str, str, str], int] = field(default_factory=dict)
    managed: dict[str, int] = field(default_factory=dict)  # environment -> managed services
    drifted: dict[str, set[str]] = field(default_factory=dict)  # environment -> service names


# -- scenario ---------------------------------------------------------------------------------


def _env(values: dict[str, Any]) -> list[Any]:
    from google.cloud import run_v2

    out = []
    for key, value in values.items():
        if isinstance(value, tuple):
            ref = run_v2.SecretKeySelector(secret=value[0], version=value[1])
            source = run_v2.EnvVarSource(secret_key_ref=ref)
            out.append(run_v2.EnvVar(name=key, value_source=source))
        else:
            out.append(run_v2.EnvVar(name=key, value=value))
    return out


def _container(project: str, env: dict[str, Any]) -> Any:
    from google.cloud import run_v2

    return run_v2.Container(
        name="app",
        image=f"us-docker.pkg.dev/{project}/app/app:1",
        env=_env(env),
        ports=[run_v2.ContainerPort(container_port=8080)],
    )


def desired(environment: str) -> dict[str, Any]:
    """The env a managed service of `environment` should have (E2E block included)."""
    if environment == "staging":
        return {
            "ENVIRONMENT": "staging",
            "LOG_LEVEL": "info",
            "FEATURE_FLAGS": "search,chat",
            "JWT_SECRET_KEY": ("jwt-secret-staging", "3"),
            "E2E_TESTING": "1",
            "STAGING_E2E_TEST": "1",
        }
    return {
        "ENVIRONMENT": "production",
        "LOG_LEVEL": "warning",
        "FEATURE_FLAGS": "search,chat",
        "JWT_SECRET_KEY": ("jwt-secret-prod", "7"),
    }


def live_env(environment: str, index: int, managed: bool) -> tuple[dict[str, Any], bool]:
    """(live env of service `index`, whether it drifts from the manifest)."""
    if not managed:
        env: dict[str, Any] = {
            "ENVIRONMENT": environment,
            "LOG_LEVEL": "info",
            "GIT_SHA": "9f2c1e0",
        }
        if environment == "staging" and index % 3 == 0:
            env["E2E_TESTING"] = "1"  # allowed in staging, so no violation
        return env, False
    env = {**desired(environment), "GIT_SHA": "9f2c1e0"}  # GIT_SHA is ignored
    drift = False
    if index % 5 == 1:  # changed (staging) / unexpected (production)
        if environment == "staging":
            env["LOG_LEVEL"] = "debug"
        else:
            env["OLD_FLAG"] = "1"
        drift = True
    elif index % 5 == 3:  # missing (staging) / changed secret version (production)
        if environment == "staging":
            env.pop("STAGING_E2E_TEST")
        else:
            env["JWT_SECRET_KEY"] = ("jwt-secret-prod", "6")
        drift = True
    return env, drift


def build_state(scale: Scale) -> tuple[Any, Scenario]:
    from google.cloud import run_v2

    from deploytool.emulator import EmulatorState

    revision_type = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION
    latest_type = run_v2.TrafficTargetAllocationType.TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST
    state = EmulatorState(seed=1)
    scenario = Scenario()
    for environment, (project, regions) in PROJECTS.items():
        scenario.managed[environment] = 0
        scenario.drifted[environment] = set()
        for region in regions:
            scenario.locations.append((project, region, scale.per_location))
            for index in range(scale.per_location):
                name = f"svc-{REGION_TAG[region]}-{index:03d}"
                full = f"projects/{project}/locations/{region}/services/{name}"
                managed = index < scale.managed_per_location
                env, drift = live_env(environment, index, managed)
                service = run_v2.Service(
                    name=full,
                    template=run_v2.RevisionTemplate(containers=[_container(project, env)]),
                    labels={"bench": "audit"},
                )
                if index % scale.split_every == scale.split_at:
                    # 10% still on an older revision; a managed one's old env differs.
                    old_env = dict(env)
                    if managed:
                        old_env["LOG_LEVEL"] = "trace"
                        drift = True
                    old = f"{name}-00001-old"
                    state.add_revision(
                        run_v2.Revision(
                            name=f"{full}/revisions/{old}",
                            containers=[_container(project, old_env)],
                        )
                    )
                    service.generation = 2
                    service.traffic = [
                        run_v2.TrafficTarget(type_=revision_type, revision=old, percent=10),
                        run_v2.TrafficTarget(type_=latest_type, percent=90),
                    ]
                    scenario.split_services += 1
                state.put_service(service)
                scenario.services += 1
                if managed:
                    scenario.managed[environment] += 1
                if drift:
                    scenario.drifted[environment].add(name)
            scenario.lists[(project, region, "services")] = scale.per_location
            _seed_other_kinds(state, scenario, scale, project, region)
    return state, scenario


def _seed_other_kinds(
    state: Any, scenario: Scenario, scale: Scale, project: str, region: str
) -> None:
    """Unmanaged jobs (each with recent executions) and worker pools, none leaking."""
    from datetime import UTC, datetime, timedelta

    from google.cloud import run_v2

    parent = f"projects/{project}/locations/{region}"
    now = datetime.now(UTC)
    for index in range(scale.jobs):
        name = f"job-{REGION_TAG[region]}-{index:03d}"
        env = _env({"ENVIRONMENT": "bench", "BATCH": str(index)})
        state.jobs.put_job(
            run_v2.Job(
                name=f"{parent}/jobs/{name}",
                template=run_v2.ExecutionTemplate(
                    template=run_v2.TaskTemplate(containers=[run_v2.Container(env=env)])
                ),
            )
        )
        for run in range(scale.executions_per_job):
            created = now - timedelta(minutes=run + 1)
            state.jobs.put_execution(
                run_v2.Execution(
                    name=f"{parent}/jobs/{name}/executions/{name}-{run:04d}",
                    create_time=created,
                    completion_time=created + timedelta(seconds=30),
                    template=run_v2.TaskTemplate(containers=[run_v2.Container(env=env)]),
                )
            )
    for index in range(scale.worker_pools):
        state.worker_pools.put_worker_pool(
            run_v2.WorkerPool(
                name=f"{parent}/workerPools/pool-{REGION_TAG[region]}-{index:03d}",
                template=run_v2.WorkerPoolRevisionTemplate(
                    containers=[run_v2.Container(env=_env({"ENVIRONMENT": "bench"}))]
                ),
            )
        )
    scenario.jobs += scale.jobs
    scenario.executions += scale.jobs * scale.executions_per_job
    scenario.worker_pools += scale.worker_pools
    scenario.lists[(project, region, "jobs")] = scale.jobs
    scenario.lists[(project, region, "executions")] = scale.jobs * scale.executions_per_job
    scenario.lists[(project, region, "workerPools")] = scale.worker_pools


def _flow(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in mapping.items()) + "}"


def write_configs(root: Path, scale: Scale) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "policy.yaml").write_text(
        "e2e:\n"
        "  allowed_environments: [staging]\n"
        "environments:\n"
        "  staging: {projects: [bench-staging]}\n"
        "  production: {projects: [bench-prod]}\n",
        encoding="utf-8",
    )
    for environment, (project, regions) in PROJECTS.items():
        want = desired(environment)
        plain = {k: v for k, v in want.items() if isinstance(v, str) and "E2E" not in k}
        secrets = {k: f"{v[0]}:{v[1]}" for k, v in want.items() if isinstance(v, tuple)}
        lines = [f"project: {project}", f"region: {regions[0]}", "ignore: [GIT_SHA]"]
        if environment == "staging":
            e2e = {k: v for k, v in want.items() if "E2E" in k}
            lines += ["e2e:", f"  env: {_flow(e2e)}"]
        lines.append("services:")
        for region in regions:
            for index in range(scale.managed_per_location):
                lines.append(f"  svc-{REGION_TAG[region]}-{index:03d}:")
                if region != regions[0]:
                    lines.append(f"    region: {region}")
                lines.append(f"    env: {_flow(plain)}")
                lines.append(f"    secrets: {_flow(secrets)}")
        (root / f"{environment}.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def expected_requests(scenario: Scenario) -> dict[str, int]:
    """The bound: one paginated list per kind per (project, region), plus one GET per serving
    revision that was not built from the current template. Production is protected, so the
    audit reads those of every listed service, managed or not, and the executions wildcard."""
    from deploytool.cloudrun.gateway import PAGE_SIZE

    pages = sum(max(1, math.ceil(n / PAGE_SIZE)) for n in scenario.lists.values())
    return {
        "page_size": PAGE_SIZE,
        "pages": pages,
        "serving_revisions": scenario.split_services,
        "total": pages + scenario.split_services,
    }


# -- measurements -----------------------------------------------------------------------------


def _route(method: str, path: str) -> str:
    from deploytool.emulator.routes import match_route

    try:
        return match_route(method, path)[0]
    except Exception:
        return f"{method} {path}"


# Runs the audit as its own child and reports it. A child's ru_maxrss is the maximum of its
# own peak and the RSS of the process it was forked from (Linux carries the old address
# space's high-water mark across exec, and subprocess forks with vfork), so the audit is
# spawned from this small launcher, not from the benchmark holding 1,200 services.
LAUNCHER = """
import json, os, signal, sys, time
report, timeout, command = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execv(command[0], command)
    finally:
        os._exit(127)
signal.signal(signal.SIGALRM, lambda *_: os.kill(pid, signal.SIGKILL))
signal.setitimer(signal.ITIMER_REAL, timeout)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
signal.setitimer(signal.ITIMER_REAL, 0)
code = os.waitstatus_to_exitcode(status)
with open(report, "w") as out:
    json.dump({"wall_s": wall, "maxrss_kb": usage.ru_maxrss, "exit_code": code}, out)
"""


def run_audit(emulator: Any, config_dir: Path, work: Path) -> dict[str, Any]:
    """One `deploytool audit` in a child process; its wall time, peak RSS and requests."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DEPLOYTOOL_CONFIG_DIR",
            "DEPLOYTOOL_DEBUG",
            "CLOUD_RUN_TASK_INDEX",
            "CLOUD_RUN_TASK_COUNT",
            "GOOGLE_APPLICATION_CREDENTIALS",
        )
    }
    env.update(CLOUD_RUN_EMULATOR_HOST=emulator.host_port, NO_GCE_CHECK="True", NO_COLOR="1")
    command = [
        sys.executable,
        "-m",
        "deploytool",
        "audit",
        "--output",
        "json",
        "--config-dir",
        str(config_dir),
    ]
    out_path, err_path = work / "audit.out.json", work / "audit.err.txt"
    report_path = work / "audit.rusage.json"
    report_path.unlink(missing_ok=True)
    launcher = [sys.executable, "-c", LAUNCHER, str(report_path), str(CHILD_TIMEOUT), *command]
    emulator.reset_requests()
    with out_path.open("wb") as out, err_path.open("wb") as err:
        subprocess.run(
            launcher,
            stdout=out,
            stderr=err,
            env=env,
            cwd=work,
            timeout=CHILD_TIMEOUT + 30,
            check=False,
        )
    requests = emulator.requests
    measured = json.loads(report_path.read_text(encoding="utf-8"))
    stdout = out_path.read_text(encoding="utf-8")
    try:
        document = json.loads(stdout)
    except json.JSONDecodeError:
        document = None
    return {
        "command": command,
        "exit_code": measured["exit_code"],
        "wall_s": measured["wall_s"],
        "peak_rss_mb": measured["maxrss_kb"] / 1024,  # Linux: kilobytes
        "requests": len(requests),
        "by_route": dict(Counter(_route(r.method, r.path) for r in requests)),
        "document": document,
        "stderr": err_path.read_text(encoding="utf-8", errors="replace")[-2000:],
    }


def run_baseline(emulator: Any) -> dict[str, Any]:
    """One sequential get_service per service, as a describe loop does."""
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import run_v2

    client = run_v2.ServicesClient(
        transport="rest",
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=emulator.endpoint),
    )

    def other(cls: Any) -> Any:
        return cls(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=emulator.endpoint),
        )

    jobs_client, executions_client = other(run_v2.JobsClient), other(run_v2.ExecutionsClient)
    pools_client = other(run_v2.WorkerPoolsClient)
    state = emulator.state
    jobs = sorted(state.jobs._jobs)
    pools = sorted(state.worker_pools._pools)
    calls = [
        *((client.get_service, name) for name in emulator.state.service_names()),
        *((jobs_client.get_job, name) for name in jobs),
        # `gcloud run jobs executions list --job J`: one list per job
        *((lambda parent: list(executions_client.list_executions(parent=parent)), n) for n in jobs),
        *((pools_client.get_worker_pool, name) for name in pools),
    ]
    emulator.reset_requests()
    done = 0
    started = time.perf_counter()
    deadline = started + BASELINE_BUDGET
    for call, name in calls:
        call(name) if call.__name__ == "<lambda>" else call(name=name, timeout=30.0)
        done += 1
        if time.perf_counter() > deadline:
            break
    wall = time.perf_counter() - started
    return {
        "services": len(calls),
        "described": done,
        "complete": done == len(calls),
        "wall_s": wall,
        "requests": len(emulator.requests),
    }


def check_report(document: Any, scenario: Scenario) -> list[str]:
    """Problems with the audit's report, given what was seeded (empty: as expected)."""
    if not isinstance(document, dict):
        return ["the audit printed no JSON document"]
    problems = []
    if document.get("exit_code") != 3 or document.get("status") != "drift":
        problems.append(
            f"verdict {document.get('status')!r} exit {document.get('exit_code')!r}, "
            "expected 'drift' exit 3"
        )
    reports = {e["environment"]: e for e in document.get("environments", [])}
    for environment, project_regions in PROJECTS.items():
        report = reports.get(environment)
        if report is None:
            problems.append(f"no report for {environment}")
            continue
        services = report.get("services", [])
        drifted = {s["service"] for s in services if s.get("status") != "in_sync"}
        if len(services) != scenario.managed[environment]:
            problems.append(
                f"{environment}: {len(services)} managed services reported, "
                f"expected {scenario.managed[environment]}"
            )
        if drifted != scenario.drifted[environment]:
            problems.append(
                f"{environment}: drifted {sorted(drifted)}, "
                f"expected {sorted(scenario.drifted[environment])}"
            )
        for key in ("violations", "errors"):
            if report.get(key):
                problems.append(f"{environment}: unexpected {key}: {report[key][:3]}")
        project = project_regions[0]
        listed = sum(n for p, _, n in scenario.locations if p == project)
        unmanaged = len(report.get("unmanaged", []))
        others = sum(
            n for (p, _, kind), n in scenario.lists.items() if p == project and kind in
            ("jobs", "workerPools")
        )  # fmt: skip
        if unmanaged != listed - scenario.managed[environment] + others:
            problems.append(
                f"{environment}: {unmanaged} unmanaged workloads reported, "
                f"expected {listed - scenario.managed[environment] + others}"
            )
    return problems


# -- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 services: a smoke run")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per request")
    parser.add_argument("--runs", type=int, default=3, help="audit runs (median is reported)")
    args = parser.parse_args(argv)
    if not 1 <= args.runs <= 10:
        parser.error("--runs must be between 1 and 10")
    if not 0 <= args.latency <= 1:
        parser.error("--latency must be between 0 and 1 second")
    scale = QUICK if args.quick else FULL
    os.environ.setdefault("NO_GCE_CHECK", "True")

    from deploytool.emulator import Emulator

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    state, scenario = build_state(scale)
    say(f"seeded {scenario.services} services in {time.perf_counter() - started:.1f} s")
    expected = expected_requests(scenario)
    problems: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp,
        Emulator(state, latency=args.latency) as emulator,
    ):
        work = Path(tmp)
        config_dir = work / "configs"
        write_configs(config_dir, scale)
        audits = []
        for run in range(args.runs):
            result = run_audit(emulator, config_dir, work)
            say(
                f"audit run {run + 1}/{args.runs}: {result['wall_s']:.2f} s, "
                f"{result['requests']} requests, exit {result['exit_code']}, "
                f"peak RSS {result['peak_rss_mb']:.0f} MB"
            )
            audits.append(result)
        say(
            f"baseline: {scenario.services} services, {scenario.jobs} jobs (get + executions "
            f"list each), {scenario.worker_pools} worker pools, one request each ..."
        )
        baseline = run_baseline(emulator)
        say(f"baseline: {baseline['wall_s']:.2f} s, {baseline['requests']} requests")

    audit_wall = statistics.median(a["wall_s"] for a in audits)
    peak_rss = max(a["peak_rss_mb"] for a in audits)
    requests = max(a["requests"] for a in audits)
    speedup = baseline["wall_s"] / audit_wall if audit_wall > 0 else float("inf")

    for index, audit in enumerate(audits):
        for problem in check_report(audit["document"], scenario):
            problems.append(f"audit run {index + 1}: {problem}")
        if audit["exit_code"] != 3:
            problems.append(f"audit run {index + 1} stderr: {audit['stderr'].strip()[-600:]}")
    if requests > expected["total"]:
        problems.append(
            f"requests: {requests} > bound {expected['total']} "
            f"({expected['pages']} pages + {expected['serving_revisions']} serving revisions); "
            f"by route: {audits[0]['by_route']}"
        )
    if peak_rss >= TARGET_RSS_MB:
        problems.append(f"peak RSS {peak_rss:.0f} MB >= {TARGET_RSS_MB:.0f} MB")
    if not baseline["complete"]:
        problems.append(
            f"baseline stopped after {baseline['described']}/{baseline['services']} services "
            f"({BASELINE_BUDGET:.0f} s budget)"
        )
    if not args.quick and speedup < TARGET_SPEEDUP:
        problems.append(f"speedup {speedup:.1f}x < {TARGET_SPEEDUP:.0f}x")

    result = {
        "benchmark": "audit",
        "quick": args.quick,
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "scenario": {
            "services": scenario.services,
            "jobs": scenario.jobs,
            "executions": scenario.executions,
            "worker_pools": scenario.worker_pools,
            "locations": [
                {"project": p, "region": r, "services": n} for p, r, n in scenario.locations
            ],
            "managed": scenario.managed,
            "drifted": {k: len(v) for k, v in scenario.drifted.items()},
            "split_services": scenario.split_services,
            "latency_s": args.latency,
        },
        "audit": {
            "command": "python " + " ".join(audits[0]["command"][1:]),
            "runs_s": [round(a["wall_s"], 3) for a in audits],
            "median_s": round(audit_wall, 3),
            "requests": requests,
            "by_route": audits[0]["by_route"],
            "peak_rss_mb": round(peak_rss, 1),
            "exit_code": audits[0]["exit_code"],
        },
        "baseline": {k: round(v, 3) if isinstance(v, float) else v for k, v in baseline.items()},
        "expected_requests": expected,
        "speedup": round(speedup, 1),
        "targets": {
            "speedup_min": None if args.quick else TARGET_SPEEDUP,
            "requests_max": expected["total"],
            "peak_rss_mb_max": TARGET_RSS_MB,
        },
        "problems": problems,
        "ok": not problems,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0 if not problems else 1


def print_table(result: dict[str, Any]) -> None:
    scenario, audit, baseline = result["scenario"], result["audit"], result["baseline"]
    expected = result["expected_requests"]
    print(
        f"\naudit benchmark: {scenario['services']} services, {scenario['jobs']} jobs, "
        f"{scenario['executions']} executions, {scenario['worker_pools']} worker pools in "
        f"{len(scenario['locations'])} locations, {sum(scenario['managed'].values())} managed, "
        f"{scenario['latency_s'] * 1000:.0f} ms per request"
    )
    rows = [
        ("", "wall time", "requests", "peak RSS"),
        (
            "deploytool audit",
            f"{audit['median_s']:.2f} s",
            str(audit["requests"]),
            f"{audit['peak_rss_mb']:.0f} MB",
        ),
        ("describe loop", f"{baseline['wall_s']:.2f} s", str(baseline["requests"]), "-"),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            "  "
            + "  ".join(
                cell.rjust(w) if i else cell.ljust(w)
                for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    print(f"  audit runs: {', '.join(f'{s:.2f} s' for s in audit['runs_s'])} (median above)")
    print(
        f"  speedup: {result['speedup']:.1f}x"
        + ("" if result["quick"] else f" (target >= {TARGET_SPEEDUP:.0f}x)")
    )
    print(
        f"  request bound: {expected['pages']} pages (page size {expected['page_size']}) + "
        f"{expected['serving_revisions']} serving revisions = {expected['total']}; "
        f"measured {audit['requests']} {audit['by_route']}"
    )
    print(f"  peak RSS target: < {TARGET_RSS_MB:.0f} MB")
    if result["problems"]:
        print("FAILED:")
        for problem in result["problems"]:
            print(f"  - {problem}")
    else:
        print("all targets met")


if __name__ == "__main__":
    sys.exit(main())

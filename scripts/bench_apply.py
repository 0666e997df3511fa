#!/usr/bin/env python3
"""Benchmark: `apply` of 20 services whose rollouts take 0.5 s each, --parallel 1 against 8.

Each run gets a fresh emulator (in this process, `Emulator(operation_delay=0.5)`) seeded with
20 staging services that all need a change (one variable changed, one missing, one
unexpected), then `deploytool.commands.apply.run(..., ApplyOptions(yes=True, parallel=N))`
through the real REST client. Reported: wall time of each run, the ratio, the requests the
emulator saw; checked: all 20 services applied, and live env equals the manifest afterwards
(exit 1 otherwise).

    python scripts/bench_apply.py            # 20 services, parallel 1 and 8
    python scripts/bench_apply.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PROJECT = "bench-staging"
REGION = "us-central1"
ROLLOUT_TIMEOUT = 60.0  # seconds per service: bounds every run
DESIRED = {"ENVIRONMENT": "staging", "LOG_LEVEL": "info", "RELEASE": "2025-09-10"}
LIVE = {"ENVIRONMENT": "staging", "LOG_LEVEL": "debug", "OLD_FLAG": "1"}  # all need a change


def service_names(count: int) -> list[str]:
    return [f"svc-{index:03d}" for index in range(count)]


def build_state(count: int) -> Any:
    from google.cloud import run_v2

    from deploytool.emulator import EmulatorState

    state = EmulatorState(seed=1)
    for name in service_names(count):
        container = run_v2.Container(
            name="app",
            image=f"us-docker.pkg.dev/{PROJECT}/app/{name}:1",
            env=[run_v2.EnvVar(name=k, value=v) for k, v in LIVE.items()],
            ports=[run_v2.ContainerPort(container_port=8080)],
        )
        state.put_service(
            run_v2.Service(
                name=f"projects/{PROJECT}/locations/{REGION}/services/{name}",
                template=run_v2.RevisionTemplate(containers=[container]),
            )
        )
    return state


def write_configs(root: Path, count: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    env = "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in DESIRED.items()) + "}"
    lines = [f"project: {PROJECT}", f"region: {REGION}", "services:"]
    for name in service_names(count):
        lines += [f"  {name}:", f"    env: {env}"]
    (root / "staging.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "policy.yaml").write_text(
        f"environments:\n  staging: {{projects: [{PROJECT}]}}\n", encoding="utf-8"
    )


def live_env(state: Any, name: str) -> dict[str, str]:
    service = state.get_service(f"projects/{PROJECT}/locations/{REGION}/services/{name}")
    return {e.name: e.value for e in service.template.containers[0].env}


def _route(method: str, path: str) -> str:
    from deploytool.emulator.routes import match_route

    try:
        return match_route(method, path)[0]
    except Exception:
        return f"{method} {path}"


def run_once(parallel: int, count: int, delay: float, latency: float, work: Path) -> dict[str, Any]:
    from deploytool.cloudrun.connect import ConnectionSettings
    from deploytool.cloudrun.gateway import CloudRunGateway
    from deploytool.commands import apply
    from deploytool.commands.apply_service import Outcome
    from deploytool.emulator import Emulator, EmulatorState

    state: EmulatorState = build_state(count)
    config_dir = work / f"configs-p{parallel}"
    write_configs(config_dir, count)
    options = apply.ApplyOptions(
        yes=True,
        parallel=parallel,
        rollout_timeout=ROLLOUT_TIMEOUT,
        audit_log=work / f"audit-p{parallel}.jsonl",
    )
    with Emulator(state, latency=latency, operation_delay=delay) as emulator:
        gateway = CloudRunGateway(ConnectionSettings(emulator_host=emulator.host_port))
        gateway.connect()  # build the clients outside the timed part, as the CLI does first
        started = time.perf_counter()
        result = apply.run(
            config_dir,
            "staging",
            [],
            gateway,
            options,
            show_plan=lambda _report: None,
            confirm=None,
        )
        wall = time.perf_counter() - started
        requests = emulator.requests
    outcomes = Counter(str(o.outcome) for o in result.outcomes)
    applied = sum(1 for o in result.outcomes if o.outcome is Outcome.APPLIED)
    mismatched = [name for name in service_names(count) if live_env(state, name) != DESIRED]
    return {
        "parallel": parallel,
        "wall_s": round(wall, 3),
        "applied": applied,
        "outcomes": dict(outcomes),
        "status": str(result.verdict.status),
        "exit_code": int(result.verdict.exit_code),
        "live_mismatched": mismatched,
        "requests": len(requests),
        "by_route": dict(Counter(_route(r.method, r.path) for r in requests)),
        "failures": [
            f"{o.service}: {o.outcome} {o.message}"
            for o in result.outcomes
            if o.outcome is not Outcome.APPLIED
        ][:5],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=20)
    parser.add_argument("--operation-delay", type=float, default=0.5, help="seconds")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--parallel", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.services <= 200:
        parser.error("--services must be between 1 and 200")
    if not 0 <= args.operation_delay <= 5 or not 0 <= args.latency <= 1:
        parser.error("--operation-delay must be in [0, 5] and --latency in [0, 1]")
    if any(not 1 <= p <= 32 for p in args.parallel):
        parser.error("--parallel values must be between 1 and 32")
    os.environ.setdefault("NO_GCE_CHECK", "True")

    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-apply-") as tmp:
        for parallel in args.parallel:
            run = run_once(parallel, args.services, args.operation_delay, args.latency, Path(tmp))
            print(
                f"parallel {parallel}: {run['wall_s']:.2f} s, {run['applied']}/{args.services} "
                f"applied, {run['requests']} requests",
                file=sys.stderr,
                flush=True,
            )
            runs.append(run)

    problems = []
    for run in runs:
        if run["applied"] != args.services or run["exit_code"] != 0:
            problems.append(
                f"parallel {run['parallel']}: {run['applied']}/{args.services} applied, "
                f"status {run['status']} exit {run['exit_code']}: {run['failures']}"
            )
        if run["live_mismatched"]:
            problems.append(
                f"parallel {run['parallel']}: live env differs from the manifest on "
                f"{run['live_mismatched'][:5]}"
            )
    slowest, fastest = runs[0]["wall_s"], runs[-1]["wall_s"]
    result = {
        "benchmark": "apply",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "services": args.services,
        "operation_delay_s": args.operation_delay,
        "latency_s": args.latency,
        "runs": runs,
        "ratio": round(slowest / fastest, 2) if fastest > 0 else None,
        "problems": problems,
        "ok": not problems,
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"\napply benchmark: {args.services} services, rollouts of "
            f"{args.operation_delay:g} s, {args.latency * 1000:g} ms per request"
        )
        print(f"  {'parallel':>8}  {'wall time':>9}  {'applied':>7}  {'requests':>8}")
        for run in runs:
            print(
                f"  {run['parallel']:>8}  {run['wall_s']:>7.2f} s  "
                f"{run['applied']:>4}/{args.services:<2}  {run['requests']:>8}"
            )
        print(
            f"  ratio (parallel {runs[0]['parallel']} / parallel {runs[-1]['parallel']}): "
            f"{result['ratio']}x"
        )
        if problems:
            print("FAILED:")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"all {args.services} services applied and verified in every run")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())

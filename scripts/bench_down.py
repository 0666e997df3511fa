"""How long `deploytool diff` takes to give up when Cloud Run cannot be read, with the default
`--timeout` (30 s), as a user runs it (a fresh process each time):

- the API is down: the emulator answers 503 to every request;
- the emulator host refuses connections (nothing listens on the port);
- no credentials at all (no emulator host, no ADC).

    python scripts/bench_down.py [--runs 3] [--timeout SECONDS]

The figures go in docs/RELIABILITY.md ("When Cloud Run cannot be read").
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STAGING = """\
project: p-staging
region: us-central1
services:
  api: {env: {ENVIRONMENT: staging}}
  worker: {env: {ENVIRONMENT: staging}}
"""


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def timed(command: list[str], env: dict[str, str], runs: int) -> tuple[list[float], int, str]:
    times, code, stderr = [], 0, ""
    for _ in range(runs):
        began = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - began)
        code, stderr = done.returncode, done.stderr + done.stdout
    return times, code, stderr


def main() -> int:
    from deploytool.emulator import Emulator

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", help="pass --timeout (default: the tool's default)")
    args = parser.parse_args()
    script = shutil.which("deploytool") or str(Path(sys.executable).with_name("deploytool"))
    with tempfile.TemporaryDirectory() as work:
        configs = Path(work) / "configs"
        configs.mkdir()
        (configs / "staging.yaml").write_text(STAGING, encoding="utf-8")
        home = Path(work) / "home"  # no gcloud ADC file to find
        home.mkdir()
        base = {k: v for k, v in os.environ.items() if k != "CLOUD_RUN_EMULATOR_HOST"}
        base.update(HOME=str(home), NO_GCE_CHECK="True", NO_COLOR="1")
        base.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
        command = [script, "diff", "staging", "--config-dir", str(configs)]
        if args.timeout:
            command += ["--timeout", args.timeout]

        with Emulator() as down:
            down.faults.inject_error("*", 503, 1.0)
            cases = {
                "API down (503 on every request)": (
                    {**base, "CLOUD_RUN_EMULATOR_HOST": down.host_port},
                    lambda: sum(1 for r in down.requests if r.method == "GET"),
                ),
                "emulator host refuses connections": (
                    {**base, "CLOUD_RUN_EMULATOR_HOST": f"127.0.0.1:{closed_port()}"},
                    lambda: 0,
                ),
                "no credentials (no emulator, no ADC)": (base, lambda: 0),
            }
            print(f"deploytool diff staging (2 services, 1 location), {args.runs} runs each")
            print(f"  {'case':40s} {'median':>8s} {'max':>8s}  exit  requests/run")
            for label, (env, served) in cases.items():
                before = served()
                times, code, output = timed(command, env, args.runs)
                per_run = (served() - before) / args.runs
                print(
                    f"  {label:40s} {statistics.median(times):7.2f}s {max(times):7.2f}s"
                    f"  {code:4d}  {per_run:12.1f}"
                )
                last = [line for line in output.splitlines() if line.strip()][-3:]
                for line in last:
                    print(f"      | {line[:150]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

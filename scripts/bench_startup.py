"""Start-up cost of `deploytool --help` and `deploytool validate` against importing
google.cloud.run_v2 alone (the import the cheap commands must never pay).

    python scripts/bench_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False)  # warm the disk cache
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    script = shutil.which("deploytool") or str(Path(sys.executable).with_name("deploytool"))
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "deploytool --help": [script, "--help"],
        "deploytool validate": [script, "validate", "--config-dir", "configs"],
        "python -c 'import google.cloud.run_v2'": [
            sys.executable,
            "-c",
            "import google.cloud.run_v2",
        ],
    }
    print(f"median of {args.runs} runs each")
    for label, command in cases.items():
        print(f"  {label:42s} {median_seconds(command, args.runs) * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

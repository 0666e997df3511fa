"""What the redaction decision costs: importing the value detectors and deciding one value, for
deploytool's own detectors (deploytool.core.credentials) and, when it is installed, for
detect-secrets' plugins covering the same shapes. Also the start-up medians of
`deploytool --help` and of `deploytool diff` on the demo configs against the emulator.

    python scripts/bench_redaction.py [--runs 9] [--values 20000]

detect-secrets is not a dependency; `pip install detect-secrets` to include it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# What a service's env holds: mostly settings, a few URLs, ids and credentials.
SAMPLE = [
    "production",
    "info",
    "us-central1",
    "https://api.example.com/v1",
    "postgres://db.internal:5432/app",
    "postgres://admin:Lq7Rw2Zt9Kx4@db.internal:5432/app",
    "sha256:" + "0123456789abcdef" * 4,
    "8080",
    "true",
    "ghp_Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2",
    "aB3cD4eF5gH6iJ7kLmN8pQ9rS0tU1vW2",
    "app@p-prod.iam.gserviceaccount.com",
]
DS_PLUGINS = (
    "aws:AWSKeyDetector",
    "basic_auth:BasicAuthDetector",
    "github_token:GitHubTokenDetector",
    "jwt:JwtTokenDetector",
    "private_key:PrivateKeyDetector",
    "slack:SlackDetector",
    "stripe:StripeDetector",
    "high_entropy_strings:Base64HighEntropyString",
    "high_entropy_strings:HexHighEntropyString",
)


def median_of(command: list[str], runs: int, env: dict[str, str] | None = None) -> float:
    subprocess.run(command, cwd=ROOT, capture_output=True, check=False, env=env)  # warm up
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(command, cwd=ROOT, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def import_cost(statement: str, runs: int, after: str = "") -> float:
    """Median seconds of `statement` in a fresh interpreter (after `after`, untimed)."""
    probe = (
        f"import time\n{after}\nt = time.perf_counter()\n{statement}\n"
        "print(time.perf_counter() - t)"
    )
    samples = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
        )
        samples.append(float(done.stdout.strip()))
    return statistics.median(samples)


def per_value_ours(values: int) -> float:
    from deploytool.core import credentials

    sample = [f"{v}{i}" for i in range(values // len(SAMPLE) + 1) for v in SAMPLE][:values]
    credentials.credential_kind.cache_clear()
    began = time.perf_counter()
    for value in sample:
        credentials.credential_kind(value)
    return (time.perf_counter() - began) / len(sample)


def per_value_detect_secrets(values: int) -> float:
    import importlib

    plugins = []
    for spec in DS_PLUGINS:
        module, cls = spec.split(":")
        plugins.append(getattr(importlib.import_module(f"detect_secrets.plugins.{module}"), cls)())
    sample = [f"{v}{i}" for i in range(values // len(SAMPLE) + 1) for v in SAMPLE][:values]
    began = time.perf_counter()
    for value in sample:
        quoted = f'"{value}"'  # the entropy plugins only look inside quoted strings
        any(any(True for _ in p.analyze_string(quoted)) for p in plugins)
    return (time.perf_counter() - began) / len(sample)


def diff_on_demo(runs: int) -> float:
    """Median wall time of `deploytool diff staging` on configs/ against a seeded emulator."""
    from deploytool.emulator import Emulator
    from deploytool.emulator.statefile import load_state_file

    script = shutil.which("deploytool") or str(Path(sys.executable).with_name("deploytool"))
    with Emulator(load_state_file(ROOT / "examples" / "incident-state.yaml")) as emulator:
        env = {**os.environ, "CLOUD_RUN_EMULATOR_HOST": emulator.host_port, "NO_COLOR": "1"}
        return median_of([script, "diff", "staging", "--config-dir", "configs"], runs, env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--values", type=int, default=20000)
    args = parser.parse_args()
    script = shutil.which("deploytool") or str(Path(sys.executable).with_name("deploytool"))
    print(f"median of {args.runs} runs each")
    ours = import_cost("import deploytool.core.credentials", args.runs)
    print(f"  import deploytool.core.credentials            {ours * 1000:7.1f} ms")
    each = per_value_ours(args.values)
    print(f"  decide one value (ours)                       {each * 1e6:7.1f} µs")
    try:
        import detect_secrets  # noqa: F401
    except ImportError:
        print("  detect-secrets: not installed (pip install detect-secrets to compare)")
    else:
        statement = "\n".join(
            f"import detect_secrets.plugins.{spec.split(':')[0]}" for spec in DS_PLUGINS
        )
        alone = import_cost(statement, args.runs)
        after = import_cost(statement, args.runs, after="import google.cloud.run_v2")
        print(f"  import detect-secrets plugins (fresh)         {alone * 1000:7.1f} ms")
        print(f"  import detect-secrets plugins (after run_v2)  {after * 1000:7.1f} ms")
        each = per_value_detect_secrets(args.values)
        print(f"  decide one value (detect-secrets, 9 plugins)  {each * 1e6:7.1f} µs")
    help_time = median_of([script, "--help"], args.runs)
    print(f"  deploytool --help                             {help_time * 1000:7.0f} ms")
    demo = diff_on_demo(args.runs)
    print(f"  deploytool diff staging (demo, emulator)      {demo * 1000:7.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`deploytool --help` and `validate` must not pay for importing google.cloud.run_v2 or
google.cloud.asset (discovery's client), nor verify's probe libraries (websockets, requests);
and no command pays for detect-secrets (measured and not chosen: docs/PERFORMANCE.md,
"Redaction")."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
from deploytool.cli import app
try:
    app(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
else:
    code = 0
heavy = sorted(
    m for m in sys.modules if m.startswith(("google.cloud.run_v2", "google.cloud.asset"))
)
print("RUN_V2_IMPORTED" if heavy else "RUN_V2_NOT_IMPORTED", code, file=sys.stderr)
probes = sorted(m for m in sys.modules if m.split(".")[0] in ("websockets", "requests"))
print("PROBES_IMPORTED" if probes else "PROBES_NOT_IMPORTED", probes, file=sys.stderr)
detectors = sorted(m for m in sys.modules if m.startswith("detect_secrets"))
print("DETECT_SECRETS_IMPORTED" if detectors else "DETECT_SECRETS_NOT_IMPORTED", file=sys.stderr)
# jsonschema is for the tests only (the schema command builds its document without it).
checkers = sorted(m for m in sys.modules if m.split(".")[0] in ("jsonschema", "pre_commit"))
print("JSONSCHEMA_IMPORTED" if checkers else "JSONSCHEMA_NOT_IMPORTED", checkers, file=sys.stderr)
"""


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["validate", "--config-dir", str(ROOT / "configs")],
        ["validate", "--help"],
        ["diff", "--help"],
        ["verify", "--help"],
        ["emulator", "--help"],
        ["schema", "manifest"],
        ["schema", "--help"],
        ["validate", "--config-dir", str(ROOT / "configs"), "--sarif", "/dev/null"],
        ["audit", "--help"],
    ],
    ids=[
        "help",
        "version",
        "validate",
        "validate-help",
        "diff-help",
        "verify-help",
        "emulator-help",
        "schema",
        "schema-help",
        "validate-sarif",
        "audit-help",
    ],
)
def test_cheap_commands_leave_run_v2_unimported(args):
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert "RUN_V2_NOT_IMPORTED 0" in done.stderr, done.stderr
    assert "PROBES_NOT_IMPORTED" in done.stderr, done.stderr
    assert "DETECT_SECRETS_NOT_IMPORTED" in done.stderr, done.stderr
    assert "JSONSCHEMA_NOT_IMPORTED" in done.stderr, done.stderr


def test_python_dash_m_entry_point_works():
    done = subprocess.run(
        [sys.executable, "-m", "deploytool", "--version"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("deploytool ")

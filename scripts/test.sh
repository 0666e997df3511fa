#!/usr/bin/env bash
# Sets everything up on a fresh machine, then runs lint and the whole test suite.
# Extra arguments go to pytest (e.g. ./scripts/test.sh -k emulator).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
. .venv/bin/activate
echo "== ruff" >&2
ruff check deploytool tests scripts
echo "== mypy" >&2
mypy deploytool
echo "== pytest" >&2
python -m pytest -q -p no:cacheprovider "$@"

#!/usr/bin/env bash
# Creates .venv and installs deploytool with its dev extras; a no-op when pyproject.toml has not
# changed since the last install. Sourced by demo.sh and test.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "bootstrap: creating $venv" >&2
  "$python" -m venv "$venv"
fi
stamp="$venv/.deploytool-installed"
want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "bootstrap: installing deploytool and its dependencies" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[dev]" 2>&1 \
    | grep -v "^WARNING: Location" >&2 || true
  "$venv/bin/python" -c "import deploytool, google.cloud.run_v2, typer, rich, pytest" \
    || { echo "bootstrap: install failed" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

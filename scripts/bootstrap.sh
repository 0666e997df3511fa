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
  log="$venv/pip-install.log"
  if ! { "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip \
         && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[dev]"
       } >"$log" 2>&1; then
    cat "$log" >&2
    echo "bootstrap: pip install failed (log above, also in $log)" >&2
    exit 1
  fi
  "$venv/bin/python" -c "import deploytool, google.cloud.run_v2, typer, rich, pytest" \
    || { echo "bootstrap: install incomplete" >&2; exit 1; }
  echo "$want" > "$stamp"
fi

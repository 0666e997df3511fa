#!/usr/bin/env bash
# The long fault-injection soak: the whole fault matrix (diff, apply and audit x every route x
# 429/500/503 x rates 0.1-1.0 x seeds, dropped connections, slow operations, failing rollouts,
# etag races with out-of-band changes). About 10 minutes with the default 4 seeds.
#   DEPLOYTOOL_SOAK_SEEDS=N          seeds per cell (default 4)
#   DEPLOYTOOL_RELIABILITY_REPORT=F  where the figures go (default .deploytool/reliability-soak.json)
# Extra arguments go to pytest (e.g. ./scripts/soak.sh -k audit -x).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
. .venv/bin/activate
export DEPLOYTOOL_RELIABILITY_REPORT="${DEPLOYTOOL_RELIABILITY_REPORT:-$root/.deploytool/reliability-soak.json}"
status=0
python -m pytest -m soak tests/reliability -q -p no:cacheprovider "$@" || status=$?
if [ -f "$DEPLOYTOOL_RELIABILITY_REPORT" ]; then
  echo "soak figures: $DEPLOYTOOL_RELIABILITY_REPORT" >&2
  python - "$DEPLOYTOOL_RELIABILITY_REPORT" <<'PY' >&2
import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
for key in ("runs", "requests", "faults_injected", "verdicts_correct", "false_greens",
            "tracebacks_or_bad_exit_codes", "lost_concurrent_changes", "outcome_mismatches"):
    print(f"  {key}: {summary[key]}")
PY
fi
exit "$status"

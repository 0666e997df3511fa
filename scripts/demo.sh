#!/usr/bin/env bash
# The incident, caught: boots the local Cloud Run emulator with live state reproducing
# incident 2025-09-09 and runs the drift gate against it. Exits 0 when deploytool behaved as
# expected (valid configs, drift in staging, leakage in production).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/bootstrap.sh
. .venv/bin/activate

work="$(mktemp -d)"
log="$work/emulator.log"
cp examples/incident-state.yaml "$work/state.yaml"
deploytool emulator --port 0 --apps --state "$work/state.yaml" 2>"$log" &
emulator_pid=$!
trap 'kill $emulator_pid 2>/dev/null || true; wait $emulator_pid 2>/dev/null || true; rm -rf "$work"' EXIT

for _ in $(seq 1 100); do
  hostport="$(grep -o 'CLOUD_RUN_EMULATOR_HOST=[0-9.:]*' "$log" | head -1 | cut -d= -f2 || true)"
  [ -n "$hostport" ] && break
  kill -0 $emulator_pid 2>/dev/null || { cat "$log" >&2; echo "demo: emulator died" >&2; exit 1; }
  sleep 0.1
done
[ -n "${hostport:-}" ] || { cat "$log" >&2; echo "demo: emulator did not start" >&2; exit 1; }
export CLOUD_RUN_EMULATOR_HOST="$hostport"

failures=0
expect() {  # expect CODE TITLE -- COMMAND...
  local want=$1 title=$2; shift 3
  printf '\n\033[1m$ %s\033[0m   # %s\n' "$*" "$title"
  set +e; "$@"; local got=$?; set -e
  if [ "$got" -eq "$want" ]; then
    printf '\033[32m✔ exit %s, as expected\033[0m\n' "$got"
  else
    printf '\033[31m✘ exit %s, expected %s\033[0m\n' "$got" "$want"; failures=$((failures + 1))
  fi
}

echo "Cloud Run emulator at $CLOUD_RUN_EMULATOR_HOST, seeded with the incident's live state;"
echo "each service is answered by a stand-in of the incident's backend (--apps)."
expect 0 "manifests are valid offline" -- deploytool validate
expect 3 "staging lacks the E2E set: drift" -- deploytool diff staging
expect 3 "ask the staging app: bypass disabled, WebSocket closed 1011" -- deploytool verify staging
expect 4 "production carries E2E_TESTING=1: leakage" -- deploytool diff production
expect 4 "the production app reports the bypass enabled by the stray variable" -- \
  deploytool verify production
expect 4 "nightly audit: every environment, unmanaged services included" -- \
  deploytool audit --output text
expect 4 "a dry run plans the removal, but production still leaks: never green" -- \
  deploytool apply production --dry-run
expect 0 "apply staging: only the env changes, then verified as diff would, then by the app" -- \
  deploytool apply staging --yes --audit-log "$work/audit.jsonl"
expect 0 "staging is in sync now" -- deploytool diff staging
expect 0 "the staging app sees the E2E set: enabled, WebSocket stays open" -- \
  deploytool verify staging
expect 0 "apply production removes the stray variable (it never adds one), then verifies" -- \
  deploytool apply production --yes --audit-log "$work/audit.jsonl"
expect 0 "the production app reports the bypass disabled" -- deploytool verify production
expect 0 "the nightly audit is green again" -- deploytool audit --output text

# What runs besides services: a second emulator seeded with a production job that carries
# E2E_TESTING=1, a running execution started with an E2E override, and a worker pool whose old
# revision still runs 10% of its instances with PYTEST_RUNNING=1.
jobs_log="$work/jobs-emulator.log"
deploytool emulator --port 0 --state examples/jobs-state.yaml 2>"$jobs_log" &
jobs_pid=$!
trap 'kill $emulator_pid $jobs_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  jobs_host="$(grep -o 'CLOUD_RUN_EMULATOR_HOST=[0-9.:]*' "$jobs_log" | head -1 | cut -d= -f2 || true)"
  [ -n "$jobs_host" ] && break
  sleep 0.1
done
[ -n "${jobs_host:-}" ] || { cat "$jobs_log" >&2; echo "demo: jobs emulator did not start" >&2; exit 1; }
CLOUD_RUN_EMULATOR_HOST="$jobs_host" expect 4 \
  "a production job leak, an execution's override and a worker pool split: all caught" -- \
  deploytool audit production --output text

echo
echo "audit trail ($work/audit.jsonl):"
cat "$work/audit.jsonl"
echo
if [ "$failures" -eq 0 ]; then
  echo "demo: deploytool caught the incident (drift in staging, leakage in production),"
  echo "      applied the E2E set to staging only, removed the leak from production without"
  echo "      adding anything there, and the apps agreed."
else
  echo "demo: $failures step(s) did not behave as expected." >&2
  exit 1
fi

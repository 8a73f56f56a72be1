#!/usr/bin/env bash
# The run command (`npm start`): brings Baton up on this machine as local processes.
# Starts NATS and PostgreSQL (scripts/infra.sh), then every service under services/,
# waits until each answers /health/ready, and prints where they are. Ctrl-C stops them.
#
#   npm start               run in the foreground
#   npm start -- --detach   start and return (stop later with: npm start -- --stop)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STATE_DIR="${BATON_STATE_DIR:-$ROOT/.baton}"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
mkdir -p "$LOG_DIR" "$PID_DIR"

declare -A PORTS=(
  [gateway]=3000 [scheduler]=3101 [agent-registry]=3102 [handoff-validator]=3103
  [escalation]=3104 [metrics]=3105 [notifier]=3106
)

stop_all() {
  local f pid
  for f in "$PID_DIR"/*.pid; do
    [ -e "$f" ] || continue
    pid="$(cat "$f")"
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
    rm -f "$f"
  done
  echo "[run] services stopped (NATS and PostgreSQL keep running; npm run infra:down stops them)"
}

if [ "${1:-}" = "--stop" ]; then stop_all; exit 0; fi

bash scripts/infra.sh up
eval "$(bash scripts/infra.sh env)"
export DATABASE_URL NATS_URL

services=()
for main in services/*/src/main.ts; do
  svc="$(basename "$(dirname "$(dirname "$main")")")"
  services+=("$svc")
done

for svc in "${services[@]}"; do
  pidf="$PID_DIR/$svc.pid"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    echo "[run] $svc already running (pid $(cat "$pidf"))"; continue
  fi
  port="${PORTS[$svc]:-0}"
  HTTP_PORT="$port" SERVICE_NAME="$svc" nohup node -r @swc-node/register "services/$svc/src/main.ts" >"$LOG_DIR/$svc.log" 2>&1 &
  echo $! >"$pidf"
  echo "[run] started $svc (pid $!, http://127.0.0.1:$port, log $LOG_DIR/$svc.log)"
done

deadline=$(( $(date +%s) + 60 ))
for svc in "${services[@]}"; do
  port="${PORTS[$svc]:-0}"
  until curl -fsS -m 1 "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$PID_DIR/$svc.pid")" 2>/dev/null; then
      echo "[run] $svc exited during start; last lines of its log:" >&2
      tail -n 30 "$LOG_DIR/$svc.log" >&2
      stop_all; exit 1
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "[run] $svc not ready within 60 s; see $LOG_DIR/$svc.log" >&2
      stop_all; exit 1
    fi
    sleep 0.2
  done
  echo "[run] $svc ready"
done

echo
echo "Baton is up. NATS $NATS_URL, PostgreSQL ${DATABASE_URL//:baton@/:***@}"
for svc in "${services[@]}"; do printf '  %-18s http://127.0.0.1:%s/health/ready\n' "$svc" "${PORTS[$svc]:-0}"; done

if [ "${1:-}" = "--detach" ]; then exit 0; fi
trap 'stop_all; exit 0' INT TERM
echo "Press Ctrl-C to stop."
while :; do
  for svc in "${services[@]}"; do
    if ! kill -0 "$(cat "$PID_DIR/$svc.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      echo "[run] $svc stopped unexpectedly; see $LOG_DIR/$svc.log" >&2
      stop_all; exit 1
    fi
  done
  sleep 2
done

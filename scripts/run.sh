#!/usr/bin/env bash
# The run command (`npm start`): brings Baton up on this machine as local processes and shows
# it working.
#
#   1. builds (`npm run build`: services, CLI and sim-agents run compiled, from dist/), starts
#      NATS and PostgreSQL (scripts/infra.sh), then every service under services/, and waits
#      until each answers /health/ready;
#   2. registers the example workflows (`baton workflows register examples/workflows`);
#   3. starts a simulated team (tools/sim-agents with examples/agents.yaml; log in
#      .baton/logs/sim-agents.log);
#   4. runs the Feature Development workflow to its end (`baton workflows execute WF-FEAT-001
#      --wait`), printing each stage as it starts and ends;
#   5. keeps everything up until Ctrl-C.
#
#   npm start                   all of the above
#   npm start -- --once         stop everything after the run; exit 0 when it succeeded, 1 if not
#   npm start -- --no-demo      only the services (no workflows, no simulated agents, no run)
#   npm start -- --detach       start (services, workflows, team) and return; stop with --stop
#   npm start -- --stop         stop what --detach started
#
# Environment: DATABASE_URL and NATS_URL, when set, are used instead of the local defaults;
# BATON_STATE_DIR (.baton) holds logs and pids; BATON_PORT_OFFSET (0) shifts every health port;
# BATON_START_TIMEOUT_S (120: services and sim-agents get this long to become ready);
# BATON_DEMO_WORKFLOW (WF-FEAT-001); BATON_RUN_TIMEOUT_S (600); SIM_* tune sim-agents
# (SIM_DURATION_MS defaults to 200-600 here); AGENTS_FILE (examples/agents.yaml) and
# HEARTBEAT_WINDOW_MS (15000) go to the agent-registry; HANDOFFS_DIR (examples/handoffs) to the
# scheduler and the handoff-validator; BATON_DEMO_APPROVER (demo-approver; `none` to approve
# yourself) approves the stages that need a person.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
STATE_DIR="${BATON_STATE_DIR:-$ROOT/.baton}"
LOG_DIR="$STATE_DIR/logs"
PID_DIR="$STATE_DIR/pids"
mkdir -p "$LOG_DIR" "$PID_DIR"

once=0 demo=1 detach=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    --no-demo) demo=0 ;;
    --detach) detach=1 ;;
    --stop) ;;
    -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "[run] unknown option: $arg (see: npm start -- --help)" >&2; exit 2 ;;
  esac
done

OFFSET="${BATON_PORT_OFFSET:-0}"
declare -A PORTS=(
  [gateway]=3000 [scheduler]=3101 [agent-registry]=3102 [handoff-validator]=3103
  [escalation]=3104 [metrics]=3105 [notifier]=3106
)
port_of() { echo $(( ${PORTS[$1]:-0} + OFFSET )); }

# Waits (up to 15 s) for a pid to end after SIGTERM, then kills it.
stop_pid() {
  local pid="$1" deadline
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$(( $(date +%s) + 15 ))
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$(date +%s)" -gt "$deadline" ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
    sleep 0.1
  done
}

stop_all() {
  local f
  # Agents first, so they leave before the services they talk to.
  if [ -f "$PID_DIR/sim-agents.pid" ]; then stop_pid "$(cat "$PID_DIR/sim-agents.pid")"; rm -f "$PID_DIR/sim-agents.pid"; fi
  for f in "$PID_DIR"/*.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(cat "$f")"
    rm -f "$f"
  done
  rm -f "$STATE_DIR/prometheus/targets/baton-local.json"
  echo "[run] services stopped (NATS and PostgreSQL keep running; npm run infra:down stops them)"
}

if [ "${1:-}" = "--stop" ]; then stop_all; exit 0; fi

# Ctrl-C or SIGTERM at any point stops what was started.
trap 'echo; stop_all; exit 130' INT TERM

echo "[run] building: npm run build"
node scripts/build.mjs

given_db="${DATABASE_URL:-}" given_nats="${NATS_URL:-}"
bash scripts/infra.sh up
eval "$(bash scripts/infra.sh env)"
DATABASE_URL="${given_db:-$DATABASE_URL}"
NATS_URL="${given_nats:-$NATS_URL}"
export DATABASE_URL NATS_URL
export AGENTS_FILE="${AGENTS_FILE:-$ROOT/examples/agents.yaml}"
export HEARTBEAT_WINDOW_MS="${HEARTBEAT_WINDOW_MS:-15000}"
# Handoff specs: the handoff-validator checks them, the scheduler tells which apply to a task.
export HANDOFFS_DIR="${HANDOFFS_DIR:-$ROOT/examples/handoffs}"
# The gateway's built-in issuer (local only: keys and users under $STATE_DIR/issuer) and its actor-signing key.
export BATON_DEV_ISSUER="${BATON_DEV_ISSUER:-true}" BATON_DEV_ISSUER_DIR="${BATON_DEV_ISSUER_DIR:-$STATE_DIR/issuer}" BATON_ACTOR_KEY_DIR="${BATON_ACTOR_KEY_DIR:-$STATE_DIR/gateway}"

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
  port="$(port_of "$svc")"
  # With NATS auth on (infra.sh env exports BATON_NATS_AUTH_DIR), each service connects with its own credentials.
  svc_creds="${BATON_NATS_AUTH_DIR:+$BATON_NATS_AUTH_DIR/creds/service-$svc.creds}"
  # scripts/start-service.sh: the start command the image and the benchmarks use (Node memory settings included).
  NATS_CREDS="${svc_creds:-${NATS_CREDS:-}}" HTTP_PORT="$port" SERVICE_NAME="$svc" nohup sh scripts/start-service.sh "services/$svc/dist/main.js" >"$LOG_DIR/$svc.log" 2>&1 &
  echo $! >"$pidf"
  echo "[run] started $svc (pid $!, http://127.0.0.1:$port, log $LOG_DIR/$svc.log)"
done

START_TIMEOUT_S="${BATON_START_TIMEOUT_S:-120}"

# await_ready NAME CHECK...: polls CHECK until it succeeds while NAME (pid in $PID_DIR/NAME.pid,
# log in $LOG_DIR/NAME.log) runs; stops everything if NAME exits or $deadline passes first.
await_ready() {
  local name="$1"; shift
  until "$@" 2>/dev/null; do
    if ! kill -0 "$(cat "$PID_DIR/$name.pid")" 2>/dev/null; then
      echo "[run] $name exited during start; last lines of its log:" >&2
      tail -n 30 "$LOG_DIR/$name.log" >&2
      stop_all; exit 1
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then
      echo "[run] $name not ready within $START_TIMEOUT_S s (BATON_START_TIMEOUT_S); see $LOG_DIR/$name.log" >&2
      stop_all; exit 1
    fi
    sleep 0.2
  done
}
deadline=$(( $(date +%s) + START_TIMEOUT_S ))
for svc in "${services[@]}"; do
  port="$(port_of "$svc")"
  await_ready "$svc" curl -fsS -m 1 -o /dev/null "http://127.0.0.1:$port/health/ready"
  echo "[run] $svc ready"
done

echo
echo "Baton is up. NATS $NATS_URL, PostgreSQL ${DATABASE_URL//:baton@/:***@}"
for svc in "${services[@]}"; do printf '  %-18s http://127.0.0.1:%s/health/ready\n' "$svc" "$(port_of "$svc")"; done
gw="http://127.0.0.1:$(port_of gateway)"
# The infrastructure's Prometheus scrapes every service's /metrics from this file_sd target list.
if [ -d "$STATE_DIR/prometheus/targets" ]; then
  { printf '['; sep=''; for svc in "${services[@]}"; do printf '%s{"targets":["127.0.0.1:%s"],"labels":{"service":"%s"}}' "$sep" "$(port_of "$svc")" "$svc"; sep=','; done; printf ']\n'; } \
    >"$STATE_DIR/prometheus/targets/baton-local.json"
  echo "Metrics: Prometheus http://127.0.0.1:${BATON_PROMETHEUS_PORT:-9090} scrapes every service; traces: Jaeger http://127.0.0.1:${BATON_JAEGER_PORT:-16686}"
fi
echo "Dashboard: $gw/dashboard   REST API: $gw/api (docs: $gw/api/docs)"
echo "Log in (local users admin, operator, approver, viewer; password in $BATON_DEV_ISSUER_DIR/dev-password):"
echo "  npm run baton -- --gateway $gw login --user admin --password-file $BATON_DEV_ISSUER_DIR/dev-password"

baton() { node "$ROOT/tools/cli/bin/baton.js" --nats "$NATS_URL" "$@"; }
run_status=0

if [ "$demo" = 1 ]; then
  echo
  echo "[run] registering the example workflows: baton workflows register examples/workflows"
  if ! baton workflows register examples/workflows; then
    echo "[run] registering the example workflows failed (above)" >&2
    stop_all; exit 1
  fi

  simf="$PID_DIR/sim-agents.pid"
  if [ -f "$simf" ] && kill -0 "$(cat "$simf")" 2>/dev/null; then
    echo "[run] sim-agents already running (pid $(cat "$simf"))"
  else
    : >"$LOG_DIR/sim-agents.log"
    SIM_DURATION_MS="${SIM_DURATION_MS:-200-600}" nohup node --enable-source-maps tools/sim-agents/dist/main.js \
      --agents "${SIM_AGENTS_FILE:-examples/agents.yaml}" >"$LOG_DIR/sim-agents.log" 2>&1 &
    echo $! >"$simf"
    echo "[run] started a simulated team: sim-agents (pid $!, log $LOG_DIR/sim-agents.log)"
    deadline=$(( $(date +%s) + START_TIMEOUT_S ))
    await_ready sim-agents grep -qsE '"type":"sim\.ready"|agent\(s\) working on' "$LOG_DIR/sim-agents.log"
    echo "[run] $(grep -m1 -E 'agent\(s\) working on' "$LOG_DIR/sim-agents.log" | sed 's/^\[sim-agents\] //' || echo 'simulated team ready')"
  fi

  if [ "$detach" = 1 ]; then
    echo
    echo "Run a workflow: npm run baton -- workflows execute ${BATON_DEMO_WORKFLOW:-WF-FEAT-001} --wait"
    echo "Stop everything: npm start -- --stop"
    exit 0
  fi

  workflow="${BATON_DEMO_WORKFLOW:-WF-FEAT-001}"
  run_id="demo-$(date +%s)-$$"
  echo
  echo "[run] running $workflow: baton workflows execute $workflow --run-id $run_id --wait"
  # Stages that need a person (requires_approval: Human, e.g. production_deploy) are approved
  # here on the demo's behalf, as "${BATON_DEMO_APPROVER:-demo-approver}"; BATON_DEMO_APPROVER=none leaves them to you:
  #   npm run baton -- approve <run> <stage> --reason "…"
  approver_pid=""
  if [ "${BATON_DEMO_APPROVER:-demo-approver}" != none ]; then
    (
      while :; do
        sleep 1
        for stage in $(BATON_USER="${BATON_DEMO_APPROVER:-demo-approver}" baton replay "$run_id" --json 2>/dev/null | node -e '
          let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
            try { for (const st of JSON.parse(s).stages) if (st.status === "awaiting_approval" && /^human/.test(st.awaiting ?? "")) console.log(st.stageId); } catch {}
          });'); do
          if BATON_USER="${BATON_DEMO_APPROVER:-demo-approver}" baton approve "$run_id" "$stage" --reason "approved by the npm start demo (scripts/run.sh)" >/dev/null 2>&1; then
            echo "[run] approved stage $stage of $run_id as ${BATON_DEMO_APPROVER:-demo-approver} (a person would: npm run baton -- approve $run_id $stage --reason …)"
          fi
        done
      done
    ) &
    approver_pid=$!
  fi
  if baton workflows execute "$workflow" --run-id "$run_id" --wait --timeout "${BATON_RUN_TIMEOUT_S:-600}"; then
    echo "[run] $workflow finished successfully"
  else
    run_status=$?
    echo "[run] $workflow did not succeed (exit $run_status); see $LOG_DIR/scheduler.log and $LOG_DIR/sim-agents.log" >&2
  fi
  if [ -n "$approver_pid" ]; then kill "$approver_pid" 2>/dev/null || true; wait "$approver_pid" 2>/dev/null || true; fi
elif [ "$detach" = 1 ]; then
  exit 0
fi

if [ "$once" = 1 ]; then
  stop_all
  exit "$run_status"
fi

echo
echo "Try: npm run baton -- workflows list | runs list | agents health | tasks list   (docs/cli.md)"
echo "Press Ctrl-C to stop."
trap 'echo; stop_all; exit 0' INT TERM
while :; do
  for svc in "${services[@]}"; do
    if ! kill -0 "$(cat "$PID_DIR/$svc.pid" 2>/dev/null || echo 0)" 2>/dev/null; then
      echo "[run] $svc stopped unexpectedly; see $LOG_DIR/$svc.log" >&2
      stop_all; exit 1
    fi
  done
  sleep 2
done

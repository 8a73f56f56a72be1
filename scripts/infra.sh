#!/usr/bin/env bash
# Local infrastructure for Baton on a machine without a container engine.
#
#   scripts/infra.sh up       install what is missing, start NATS (JetStream) and
#                             PostgreSQL on 127.0.0.1, create the role and database,
#                             wait until both answer. Idempotent: servers that already
#                             answer are reused, and `up` twice is fine.
#   scripts/infra.sh down     stop what `up` started (servers it reused are left alone)
#   scripts/infra.sh status   say what answers, and where
#   scripts/infra.sh env      print the connection settings as shell exports
#
# Settings (environment; blank means unset):
#   BATON_NATS_PORT (4222), BATON_NATS_MONITOR_PORT (8222), BATON_PG_PORT (5432),
#   BATON_PG_USER (baton), BATON_PG_PASSWORD (baton), BATON_PG_DB (baton),
#   BATON_NATS_VERSION (v2.12.15: built with `go install` when no suitable server is found),
#   BATON_TOOLS_DIR (~/.cache/baton/bin), BATON_STATE_DIR (<repo>/.baton),
#   BATON_NATS_SYNC (JetStream sync_interval; unset keeps the server default, `always`
#   is the production setting), BATON_NATS_AUTH (1: NATS decentralized auth, the default; 0: off),
#   BATON_NATS_AUTH_DIR (<state dir>/nats-auth: operator and account keys, issued credentials),
#   BATON_NATS_AUTH_TIMEOUT_S (10: seconds a client has to send its signed CONNECT; NATS's default is 2).
#
# Observability and delivery servers the tests use (also started by `up`; BATON_INFRA_MINIMAL=1
# starts only NATS and PostgreSQL):
#   Jaeger     OTLP HTTP BATON_OTLP_HTTP_PORT (4318), OTLP gRPC BATON_OTLP_GRPC_PORT (4317), query API and
#              UI BATON_JAEGER_PORT (16686); in memory. Built with `go install` (BATON_JAEGER_VERSION v1.75.0).
#   Mailpit    SMTP BATON_MAILPIT_SMTP_PORT (1025), REST API and UI BATON_MAILPIT_PORT (8025); built with
#              `go install` (BATON_MAILPIT_VERSION v1.33.1).
#   Prometheus BATON_PROMETHEUS_PORT (9090), Debian's package; scrapes every 1 s the targets listed in
#              $BATON_STATE_DIR/prometheus/targets/*.json (file_sd format: tests and `npm start` write them).
#   Chromium   Debian's package at /usr/bin/chromium (for the dashboard's browser tests); installed, not started.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE_DIR="${BATON_STATE_DIR:-$ROOT/.baton}"
TOOLS_DIR="${BATON_TOOLS_DIR:-$HOME/.cache/baton/bin}"
NATS_PORT="${BATON_NATS_PORT:-4222}"
# One directory (config, JetStream store, pid, log) per NATS port: two servers must never share a store.
if [ "$NATS_PORT" = 4222 ]; then NATS_DIR="$STATE_DIR/nats"; else NATS_DIR="$STATE_DIR/nats-$NATS_PORT"; fi
NATS_MON_PORT="${BATON_NATS_MONITOR_PORT:-8222}"
NATS_VERSION="${BATON_NATS_VERSION:-v2.12.15}"
# Decentralized auth is on (docs/security.md): no anonymous clients; keys and credentials in
# BATON_NATS_AUTH_DIR (default $STATE_DIR/nats-auth, never committed). BATON_NATS_AUTH=0 turns it off.
NATS_AUTH="${BATON_NATS_AUTH:-1}"
NATS_AUTH_DIR="${BATON_NATS_AUTH_DIR:-$STATE_DIR/nats-auth}"
PG_PORT="${BATON_PG_PORT:-5432}"
PG_USER="${BATON_PG_USER:-baton}"
PG_PASSWORD="${BATON_PG_PASSWORD:-baton}"
PG_DB="${BATON_PG_DB:-baton}"
PG_VERSION=15

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@";
  elif [ "$(id -un)" = postgres ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo -n -u postgres "$@";
  else die "need root, sudo or the postgres user to manage PostgreSQL (or start it yourself and set BATON_PG_PORT)"; fi
}

apt_install() {
  if [ "$(id -u)" != 0 ]; then die "missing $*; install with: sudo apt-get install -y $*"; fi
  if [ ! -f "$STATE_DIR/.apt-updated" ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    mkdir -p "$STATE_DIR" && touch "$STATE_DIR/.apt-updated"
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# ---------- NATS ----------
nats_healthy() {
  curl -fsS -m 2 "http://127.0.0.1:${NATS_MON_PORT}/healthz?js-enabled-only=true" >/dev/null 2>&1
}

nats_version_ok() { # $1 = binary; JetStream features we use need 2.10+
  local v
  v="$("$1" --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1)" || return 1
  [ -n "$v" ] || return 1
  local major minor
  major="${v%%.*}"; minor="$(echo "$v" | cut -d. -f2)"
  [ "$major" -gt 2 ] || { [ "$major" -eq 2 ] && [ "$minor" -ge 10 ]; }
}

find_nats_server() {
  local c
  for c in "${BATON_NATS_SERVER:-}" "$TOOLS_DIR/nats-server" "$(go env GOPATH 2>/dev/null)/bin/nats-server" "$(command -v nats-server 2>/dev/null || true)"; do
    [ -n "$c" ] && [ -x "$c" ] && nats_version_ok "$c" && { echo "$c"; return 0; }
  done
  return 1
}

ensure_nats_binary() {
  local bin
  if bin="$(find_nats_server)"; then echo "$bin"; return 0; fi
  if command -v go >/dev/null 2>&1; then
    log "building nats-server ${NATS_VERSION} with go install (about a minute, once) into $TOOLS_DIR"
    mkdir -p "$TOOLS_DIR"
    GOBIN="$TOOLS_DIR" GOFLAGS=-mod=mod go install "github.com/nats-io/nats-server/v2@${NATS_VERSION}" >&2
    echo "$TOOLS_DIR/nats-server"; return 0
  fi
  log "Go is not installed; falling back to Debian's nats-server (2.9.x lacks some JetStream features)"
  command -v curl >/dev/null 2>&1 || apt_install curl
  apt_install nats-server
  command -v nats-server
}

nats_up() {
  command -v curl >/dev/null 2>&1 || apt_install curl
  if nats_healthy; then
    # A server this state directory did not start (another checkout's, one of your own) has none
    # of the credentials `infra.sh env` hands out: every service would stop at start-up on them.
    if [ "$NATS_AUTH" = 1 ] && [ ! -f "$NATS_AUTH_DIR/creds/admin-operator.creds" ]; then
      die "a NATS server already answers on 127.0.0.1:${NATS_PORT}, but no credentials for it are in $NATS_AUTH_DIR (it was started from another state directory, or without auth). Stop it, or give this stack a port of its own (BATON_NATS_PORT, BATON_NATS_MONITOR_PORT), or point BATON_STATE_DIR at the directory that started it; BATON_NATS_AUTH=0 uses a server without auth."
    fi
    log "NATS already answering on 127.0.0.1:${NATS_PORT} (reused)"; return 0
  fi
  local bin conf
  bin="$(ensure_nats_binary)"
  mkdir -p "$NATS_DIR/jetstream"
  conf="$NATS_DIR/nats.conf"
  local auth_timeout="${BATON_NATS_AUTH_TIMEOUT_S:-10}"
  [[ "$auth_timeout" =~ ^[0-9]+(\.[0-9]+)?$ ]] && [ "$auth_timeout" != 0 ] \
    || die "BATON_NATS_AUTH_TIMEOUT_S must be a positive number of seconds (got '${auth_timeout}'); unset it for 10"
  {
    echo "listen: 127.0.0.1:${NATS_PORT}"
    echo "http: 127.0.0.1:${NATS_MON_PORT}"
    echo "max_payload: 8MB"
    echo "jetstream {"
    echo "  store_dir: \"$NATS_DIR/jetstream\""
    [ -n "${BATON_NATS_SYNC:-}" ] && echo "  sync_interval: ${BATON_NATS_SYNC}"
    echo "}"
    if [ "$NATS_AUTH" = 1 ]; then
      # A client has this long from connecting to sending its signed CONNECT (the server's
      # default is 2 s). On a loaded 2-core machine a test process stalled past 2 s once and
      # every test of two suites failed with "Authentication Timeout".
      echo "authorization { timeout: ${auth_timeout} }"
      echo "include \"auth.conf\""
    fi
  } >"$conf"
  if [ "$NATS_AUTH" = 1 ]; then
    # Operator, accounts, the resolver and the stack's credentials (services, CLI, test harness).
    (cd "$ROOT" && BATON_NATS_AUTH_DIR="$NATS_AUTH_DIR" npx --no-install node -r @swc-node/register scripts/nats-auth.ts init "$NATS_DIR/auth.conf" "$NATS_DIR/jwt" >/dev/null) \
      || die "could not prepare NATS auth in $NATS_AUTH_DIR"
    log "NATS auth on: keys and credentials in $NATS_AUTH_DIR"
  fi
  log "starting $("$bin" --version) on 127.0.0.1:${NATS_PORT}"
  nohup "$bin" -c "$conf" >"$NATS_DIR/nats.log" 2>&1 &
  echo $! >"$NATS_DIR/nats.pid"
  local i
  for i in $(seq 1 100); do
    nats_healthy && { log "NATS ready"; return 0; }
    kill -0 "$(cat "$NATS_DIR/nats.pid")" 2>/dev/null || { tail -n 20 "$NATS_DIR/nats.log" >&2; die "nats-server exited during start (log above)"; }
    sleep 0.1
  done
  die "NATS did not answer within 10 s; see $NATS_DIR/nats.log"
}

# Stops a process and waits until it has exited (SIGKILL after 10 s), so whoever runs `down`
# next may delete its files: a nats-server still flushing its JetStream store made a removal of
# the state directory fail with ENOTEMPTY.
stop_pid() { # $1 pid
  kill "$1" 2>/dev/null || return 0
  local i
  for i in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$1" 2>/dev/null || true
  for i in $(seq 1 25); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
}

nats_down() {
  local pidf="$NATS_DIR/nats.pid"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    stop_pid "$(cat "$pidf")"; rm -f "$pidf"; log "NATS stopped"
  else
    log "no NATS started by this script is running"
  fi
}

# ---------- PostgreSQL ----------
pg_answers() { pg_isready -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }

pg_up() {
  command -v pg_isready >/dev/null 2>&1 || apt_install postgresql-client
  if ! pg_answers; then
    if ! command -v pg_ctlcluster >/dev/null 2>&1 || [ ! -d "/usr/lib/postgresql/${PG_VERSION}" ]; then
      apt_install "postgresql-${PG_VERSION}" || apt_install postgresql
    fi
    local ver
    ver="$(ls /usr/lib/postgresql | sort -n | tail -n1)"
    if ! pg_lsclusters -h | awk '{print $1"/"$2}' | grep -qx "${ver}/main"; then
      log "creating cluster ${ver}/main"
      pg_createcluster "$ver" main --port "$PG_PORT" >/dev/null
    fi
    # Settings for a developer machine and CI: enough connections for parallel test files.
    local confd="/etc/postgresql/${ver}/main/conf.d"
    if [ -d "$confd" ] && [ ! -f "$confd/baton.conf" ]; then
      printf "listen_addresses = '127.0.0.1'\nport = %s\nmax_connections = 300\nshared_buffers = 256MB\n" "$PG_PORT" >"$confd/baton.conf"
    fi
    log "starting PostgreSQL ${ver}/main on 127.0.0.1:${PG_PORT}"
    pg_ctlcluster "$ver" main start
    mkdir -p "$STATE_DIR" && echo "${ver}" >"$STATE_DIR/pg.started"
    local i
    for i in $(seq 1 100); do pg_answers && break; sleep 0.1; done
    pg_answers || die "PostgreSQL did not answer within 10 s; see /var/log/postgresql/"
  else
    log "PostgreSQL already answering on 127.0.0.1:${PG_PORT} (reused)"
  fi
  # Role and database (idempotent). CREATEDB lets the test harness make a database per test file.
  if PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atqc 'select 1' >/dev/null 2>&1; then
    return 0
  fi
  log "creating role ${PG_USER} and database ${PG_DB}"
  as_postgres psql -p "$PG_PORT" -v ON_ERROR_STOP=1 -qAt >/dev/null <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${PG_USER}') THEN
    CREATE ROLE ${PG_USER} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';
  ELSE
    ALTER ROLE ${PG_USER} LOGIN CREATEDB PASSWORD '${PG_PASSWORD}';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE ${PG_DB} OWNER ${PG_USER}' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '${PG_DB}')\gexec
SQL
  PGPASSWORD="$PG_PASSWORD" psql -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d "$PG_DB" -Atqc 'select 1' >/dev/null \
    || die "cannot log in as ${PG_USER} to ${PG_DB} on 127.0.0.1:${PG_PORT}"
}

pg_down() {
  if [ -f "$STATE_DIR/pg.started" ]; then
    pg_ctlcluster "$(cat "$STATE_DIR/pg.started")" main stop && rm -f "$STATE_DIR/pg.started" && log "PostgreSQL stopped"
  else
    log "PostgreSQL was not started by this script; left running"
  fi
}

# ---------- Observability and delivery servers (Jaeger, Mailpit, Prometheus) and Chromium ----------
JAEGER_VERSION="${BATON_JAEGER_VERSION:-v1.75.0}"
MAILPIT_VERSION="${BATON_MAILPIT_VERSION:-v1.33.1}"
OTLP_HTTP_PORT="${BATON_OTLP_HTTP_PORT:-4318}"
OTLP_GRPC_PORT="${BATON_OTLP_GRPC_PORT:-4317}"
JAEGER_PORT="${BATON_JAEGER_PORT:-16686}"
MAILPIT_SMTP_PORT="${BATON_MAILPIT_SMTP_PORT:-1025}"
MAILPIT_PORT="${BATON_MAILPIT_PORT:-8025}"
PROMETHEUS_PORT="${BATON_PROMETHEUS_PORT:-9090}"

http_ok() { curl -fsS -m 2 "$1" >/dev/null 2>&1; }

# $1 name, $2 pid file, $3 log, $4 health URL, then the command. Waits up to 30 s for the URL.
start_daemon() {
  local name="$1" pidf="$2" logf="$3" url="$4"; shift 4
  log "starting $name"
  nohup "$@" >"$logf" 2>&1 &
  echo $! >"$pidf"
  local i
  for i in $(seq 1 300); do
    http_ok "$url" && { log "$name ready"; return 0; }
    kill -0 "$(cat "$pidf")" 2>/dev/null || { tail -n 20 "$logf" >&2; die "$name exited during start (log above)"; }
    sleep 0.1
  done
  die "$name did not answer $url within 30 s; see $logf"
}

stop_daemon() { # $1 name, $2 pid file
  if [ -f "$2" ] && kill -0 "$(cat "$2")" 2>/dev/null; then stop_pid "$(cat "$2")"; rm -f "$2"; log "$1 stopped"; fi
}

ensure_go_tool() { # $1 binary name, $2 module path of the command, $3 version; prints the binary's path
  local bin="$TOOLS_DIR/$1"
  if [ -x "$bin" ]; then echo "$bin"; return 0; fi
  command -v go >/dev/null 2>&1 || die "Go is needed to build $1 (apt-get install golang-go), or put a $1 binary in $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR"
  log "building $1 $3 with go (a few minutes, once) into $TOOLS_DIR"
  if ! GOBIN="$TOOLS_DIR" GOFLAGS=-mod=mod go install "$2@$3" >&2 2>"$STATE_DIR/$1-build.log"; then
    # Modules whose go.mod has replace directives cannot be `go install`ed by version: build them
    # as a tool of a throwaway module instead.
    local tmp; tmp="$(mktemp -d)"
    ( cd "$tmp" && go mod init "baton-build-$1" >/dev/null 2>&1 && GOFLAGS=-mod=mod go get -tool "$2@$3" >&2 \
      && go build -o "$bin" "$2" ) >>"$STATE_DIR/$1-build.log" 2>&1 \
      || { rm -rf "$tmp"; tail -n 20 "$STATE_DIR/$1-build.log" >&2; die "could not build $1 (log above)"; }
    rm -rf "$tmp"
  fi
  echo "$bin"
}

jaeger_up() {
  if http_ok "http://127.0.0.1:${JAEGER_PORT}/api/services"; then log "Jaeger already answering on 127.0.0.1:${JAEGER_PORT} (reused)"; return 0; fi
  local bin dir="$STATE_DIR/jaeger"
  bin="$(ensure_go_tool jaeger github.com/jaegertracing/jaeger/cmd/jaeger "$JAEGER_VERSION")"
  mkdir -p "$dir"
  # Jaeger v2 is an OpenTelemetry Collector distribution: OTLP in, in-memory storage, query API out,
  # everything on loopback.
  cat >"$dir/config.yaml" <<YAML
service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${JAEGER_PORT}
    grpc:
      endpoint: 127.0.0.1:0
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${OTLP_GRPC_PORT}
      http:
        endpoint: 127.0.0.1:${OTLP_HTTP_PORT}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
YAML
  start_daemon Jaeger "$dir/jaeger.pid" "$dir/jaeger.log" "http://127.0.0.1:${JAEGER_PORT}/api/services" \
    "$bin" --config "$dir/config.yaml"
}

mailpit_up() {
  if http_ok "http://127.0.0.1:${MAILPIT_PORT}/api/v1/info"; then log "Mailpit already answering on 127.0.0.1:${MAILPIT_PORT} (reused)"; return 0; fi
  local bin dir="$STATE_DIR/mailpit"
  bin="$(ensure_go_tool mailpit github.com/axllent/mailpit "$MAILPIT_VERSION")"
  mkdir -p "$dir"
  # Accepts any SMTP credentials without TLS: a local test server, never a relay.
  start_daemon Mailpit "$dir/mailpit.pid" "$dir/mailpit.log" "http://127.0.0.1:${MAILPIT_PORT}/api/v1/info" \
    "$bin" --listen "127.0.0.1:${MAILPIT_PORT}" --smtp "127.0.0.1:${MAILPIT_SMTP_PORT}" \
    --smtp-auth-accept-any --smtp-auth-allow-insecure --max 5000
}

prometheus_up() {
  if http_ok "http://127.0.0.1:${PROMETHEUS_PORT}/-/ready"; then log "Prometheus already answering on 127.0.0.1:${PROMETHEUS_PORT} (reused)"; return 0; fi
  command -v prometheus >/dev/null 2>&1 || apt_install prometheus
  local dir="$STATE_DIR/prometheus"
  mkdir -p "$dir/targets" "$dir/data"
  cat >"$dir/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: baton
    file_sd_configs:
      - files: ['$dir/targets/*.json']
        refresh_interval: 1s
YAML
  start_daemon Prometheus "$dir/prometheus.pid" "$dir/prometheus.log" "http://127.0.0.1:${PROMETHEUS_PORT}/-/ready" \
    prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --storage.tsdb.retention.time=2h --web.listen-address="127.0.0.1:${PROMETHEUS_PORT}" --web.enable-lifecycle
}

chromium_ensure() {
  command -v chromium >/dev/null 2>&1 || apt_install chromium
}

extras_up() {
  [ "${BATON_INFRA_MINIMAL:-}" = 1 ] && return 0
  mkdir -p "$STATE_DIR"
  # Several `up`s at once (parallel test runs, each with its own NATS) share these servers: one
  # starts them, the others wait for the lock and then find them answering.
  exec 9>"$STATE_DIR/.extras.lock"
  flock -w 900 9 || die "another scripts/infra.sh up held $STATE_DIR/.extras.lock for 15 minutes"
  jaeger_up; mailpit_up; prometheus_up; chromium_ensure
  flock -u 9
}

extras_down() {
  stop_daemon Jaeger "$STATE_DIR/jaeger/jaeger.pid"
  stop_daemon Mailpit "$STATE_DIR/mailpit/mailpit.pid"
  stop_daemon Prometheus "$STATE_DIR/prometheus/prometheus.pid"
}

extras_status() {
  [ "${BATON_INFRA_MINIMAL:-}" = 1 ] && return 0
  local rc=0
  if http_ok "http://127.0.0.1:${JAEGER_PORT}/api/services"; then echo "jaeger:   up   OTLP http://127.0.0.1:${OTLP_HTTP_PORT} (query/UI http://127.0.0.1:${JAEGER_PORT})";
  else echo "jaeger:   down (expected on 127.0.0.1:${JAEGER_PORT}; run: npm run infra:up)"; rc=1; fi
  if http_ok "http://127.0.0.1:${MAILPIT_PORT}/api/v1/info"; then echo "mailpit:  up   smtp://127.0.0.1:${MAILPIT_SMTP_PORT} (API/UI http://127.0.0.1:${MAILPIT_PORT})";
  else echo "mailpit:  down (expected on 127.0.0.1:${MAILPIT_PORT}; run: npm run infra:up)"; rc=1; fi
  if http_ok "http://127.0.0.1:${PROMETHEUS_PORT}/-/ready"; then echo "prometheus: up http://127.0.0.1:${PROMETHEUS_PORT} (targets: $STATE_DIR/prometheus/targets/*.json)";
  else echo "prometheus: down (expected on 127.0.0.1:${PROMETHEUS_PORT}; run: npm run infra:up)"; rc=1; fi
  return $rc
}

print_env() {
  echo "export DATABASE_URL=postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${PG_PORT}/${PG_DB}"
  echo "export NATS_URL=nats://127.0.0.1:${NATS_PORT}"
  if [ "$NATS_AUTH" = 1 ]; then
    echo "export BATON_NATS_AUTH_DIR=$NATS_AUTH_DIR"
    echo "export NATS_CREDS=$NATS_AUTH_DIR/creds/admin-operator.creds"
    echo "export TEST_NATS_CREDS=$NATS_AUTH_DIR/creds/harness-tests.creds"
  fi
  echo "export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:${OTLP_HTTP_PORT}"
  echo "export BATON_JAEGER_URL=http://127.0.0.1:${JAEGER_PORT}"
  echo "export BATON_MAILPIT_URL=http://127.0.0.1:${MAILPIT_PORT}"
  echo "export BATON_PROMETHEUS_URL=http://127.0.0.1:${PROMETHEUS_PORT}"
}

status() {
  local rc=0
  if nats_healthy; then echo "nats:     up   nats://127.0.0.1:${NATS_PORT} (monitor http://127.0.0.1:${NATS_MON_PORT}$([ "$NATS_AUTH" = 1 ] && echo "; auth: NATS_CREDS from \`infra.sh env\`"))";
  else echo "nats:     down (expected on 127.0.0.1:${NATS_PORT}; run: npm run infra:up)"; rc=1; fi
  if pg_answers; then echo "postgres: up   postgres://${PG_USER}@127.0.0.1:${PG_PORT}/${PG_DB}";
  else echo "postgres: down (expected on 127.0.0.1:${PG_PORT}; run: npm run infra:up)"; rc=1; fi
  extras_status || rc=1
  return $rc
}

case "${1:-}" in
  up) pg_up; nats_up; extras_up; status >&2 ;;
  down) extras_down; nats_down; pg_down ;;
  status) status ;;
  env) print_env ;;
  *) echo "usage: $0 up|down|status|env" >&2; exit 2 ;;
esac

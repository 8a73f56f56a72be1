#!/usr/bin/env bash
# Checks the Helm chart (deploy/helm/baton) without a cluster:
#   1. installs helm if missing: `go install helm.sh/helm/v3/cmd/helm@$BATON_HELM_VERSION`
#      into $BATON_TOOLS_DIR (a cold build takes about three minutes and ~1 GB of RAM);
#   2. `helm lint` (which validates values against values.schema.json) with the default values
#      and with ci/ha-values.yaml (replicas > 1, HPA, digests, existing Secret);
#   3. `helm template` for both, and deploy/checks/helm-manifests.check.mjs asserts the kinds
#      rendered and that every Deployment has probes, resources and a locked-down securityContext,
#      reads NATS_URL, EVENTSTORE_URL and DATABASE_URL from Secrets (no connection string in a
#      ConfigMap), listens on 0.0.0.0 and gets BATON_STREAM_REPLICAS from streamReplicas;
#      deploy/checks/entrypoints.check.mjs proves each Deployment's command exists in the build
#      (and, for the default values, runs it far enough to read its configuration);
#   4. negative cases: values the schema must reject, and a manifest the checker must reject.
# Exits non-zero, saying what failed, on any failure.
#
# Settings: BATON_TOOLS_DIR (~/.cache/baton/bin), BATON_HELM_VERSION (v3.22.0),
#           BATON_KUBE_VERSION (1.31.0: the Kubernetes version templates render for).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/deploy/helm/baton"
TOOLS_DIR="${BATON_TOOLS_DIR:-$HOME/.cache/baton/bin}"
HELM_VERSION="${BATON_HELM_VERSION:-v3.22.0}"
KUBE_VERSION="${BATON_KUBE_VERSION:-1.31.0}"
NODE="$ROOT/node_modules/.bin/node"; [ -x "$NODE" ] || NODE=node
CHECK="$ROOT/deploy/checks/helm-manifests.check.mjs"
ENTRYPOINTS="$ROOT/deploy/checks/entrypoints.check.mjs"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

log() { printf '[helm-check] %s\n' "$*" >&2; }
failures=()
fail() { failures+=("$*"); printf '[helm-check] FAIL: %s\n' "$*" >&2; }

# ---------- helm ----------
HELM=""
if [ -n "${BATON_HELM:-}" ] && [ -x "${BATON_HELM}" ]; then HELM="$BATON_HELM";
elif [ -x "$TOOLS_DIR/helm" ]; then HELM="$TOOLS_DIR/helm";
elif command -v helm >/dev/null 2>&1 && helm version --short 2>/dev/null | grep -q '^v3\.'; then HELM="$(command -v helm)";
fi
if [ -z "$HELM" ]; then
  command -v go >/dev/null 2>&1 || { log "helm is missing and Go is not installed: install Go, or put helm v3 on PATH"; exit 1; }
  log "installing helm ${HELM_VERSION} with go install into ${TOOLS_DIR} (a few minutes, once)"
  mkdir -p "$TOOLS_DIR"
  started=$(date +%s)
  GOBIN="$TOOLS_DIR" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" \
    || { log "go install helm.sh/helm/v3/cmd/helm@${HELM_VERSION} failed"; exit 1; }
  log "helm built in $(( $(date +%s) - started ))s"
  HELM="$TOOLS_DIR/helm"
fi
log "using $HELM ($("$HELM" version --short 2>/dev/null || echo unknown version))"

# ---------- lint + template + manifest checks ----------
HA_VALUES="$CHART/ci/ha-values.yaml"
# The chart requires the OIDC issuer people's tokens come from; every case below names one
# (ha-values.yaml has its own), and one negative case leaves it out.
ISSUER=(--set identity.oidcIssuer=https://login.example.com/realms/baton)
DEFAULT_KINDS="ConfigMap,Secret,ServiceAccount,Deployment,Service,NetworkPolicy"

run_case() { # $1 = label, $2 = expected kinds, $3 = absent kinds, $4 = template-only flags, $5 = BATON_STREAM_REPLICAS expected, rest = helm args
  local label="$1" kinds="$2" absent="$3" template_only="$4" replicas="$5"; shift 5
  log "helm lint ($label)"
  if ! "$HELM" lint "$CHART" --strict --kube-version "$KUBE_VERSION" "${ISSUER[@]}" "$@" >"$WORK/lint.out" 2>&1; then
    cat "$WORK/lint.out" >&2; fail "helm lint ($label)"; return
  fi
  grep -E '^\[(WARNING|ERROR)\]' "$WORK/lint.out" >&2 || true
  tail -n1 "$WORK/lint.out" >&2
  log "helm template ($label)"
  if ! "$HELM" template baton "$CHART" --namespace baton --kube-version "$KUBE_VERSION" $template_only "${ISSUER[@]}" "$@" >"$WORK/$label.yaml" 2>"$WORK/template.err"; then
    cat "$WORK/template.err" >&2; fail "helm template ($label)"; return
  fi
  "$NODE" "$CHECK" "$WORK/$label.yaml" --kinds="$kinds" --absent="$absent" --stream-replicas="$replicas" || fail "rendered manifests ($label)"
  "$NODE" "$ENTRYPOINTS" --dockerfile="$ROOT/Dockerfile" --manifests="$WORK/$label.yaml" || fail "container commands ($label)"
}

# ServiceMonitors render only when the cluster serves monitoring.coreos.com/v1 (Prometheus Operator).
run_case default "$DEFAULT_KINDS" "PodDisruptionBudget,HorizontalPodAutoscaler,ServiceMonitor" "" 3
run_case ha "Deployment,Service,NetworkPolicy,PodDisruptionBudget,HorizontalPodAutoscaler,ServiceMonitor" "Secret" \
  "--api-versions monitoring.coreos.com/v1" 3 -f "$HA_VALUES"
run_case no-network-policy "ConfigMap,Secret,Deployment,Service" "NetworkPolicy" "" 3 --set networkPolicy.enabled=false
run_case single-nats "ConfigMap,Secret,Deployment" "" "" 1 --set infrastructure.nats.streamReplicas=1

# ---------- the image command of every Deployment runs from the build ----------
log "container commands against the local build (npm run build, then each service's command)"
"$NODE" "$ROOT/scripts/build.mjs" >&2
if [ -f "$WORK/default.yaml" ]; then
  "$NODE" "$ENTRYPOINTS" --dockerfile="$ROOT/Dockerfile" --manifests="$WORK/default.yaml" --run >&2 || fail "container commands do not run from the build"
fi

# ---------- negative cases: these must fail ----------
expect_reject() { # $1 = what, rest = helm args
  local what="$1"; shift
  if "$HELM" template baton "$CHART" --kube-version "$KUBE_VERSION" "${ISSUER[@]}" "$@" >/dev/null 2>"$WORK/neg.err"; then
    fail "schema/template accepted $what"
  else
    log "rejected as expected: $what: $(grep -vE '^(Error: values don.t meet|Use --debug|baton:\s*$)' "$WORK/neg.err" | grep -m1 . | sed 's/^ *//' | cut -c1-160)"
  fi
}
expect_reject "a gateway without an OIDC issuer" --set identity.oidcIssuer=
expect_reject "an unknown per-service key" --set services.gateway.bogus=1
expect_reject "a service without resources" --set services.scheduler.resources=null
expect_reject "a service without image" --set services.scheduler.image=null
expect_reject "JetStream sync_interval other than always" --set infrastructure.nats.jetstreamSyncInterval=2m
expect_reject "an HPA with maxReplicas < minReplicas" --set services.gateway.autoscaling.enabled=true \
  --set services.gateway.autoscaling.minReplicas=3 --set services.gateway.autoscaling.maxReplicas=2
expect_reject "no database URL and no existing Secret" --set database.url=
expect_reject "NATS auth on without a credentials Secret" --set natsAuth.credsSecret=
expect_reject "streamReplicas 0" --set infrastructure.nats.streamReplicas=0
expect_reject "streamReplicas above JetStream's 5" --set infrastructure.nats.streamReplicas=6
expect_reject "kurrentdb without an event store URL or Secret" --set config.eventStoreUrl=

if [ -f "$WORK/default.yaml" ]; then
  sed 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/' "$WORK/default.yaml" >"$WORK/broken.yaml"
  if "$NODE" "$CHECK" "$WORK/broken.yaml" >/dev/null 2>&1; then fail "manifest checker accepted a writable root filesystem"
  else log "manifest checker rejects a writable root filesystem, as expected"; fi
  # A chart rendered with NATS auth off: services would connect anonymously.
  if "$HELM" template baton "$CHART" --namespace baton --kube-version "$KUBE_VERSION" "${ISSUER[@]}" --set natsAuth.enabled=false >"$WORK/noauth.yaml" 2>/dev/null && ! "$NODE" "$CHECK" "$WORK/noauth.yaml" >"$WORK/noauth.out" 2>&1 \
    && grep -q 'NATS_CREDS missing' "$WORK/noauth.out"; then log "manifest checker rejects services without NATS credentials, as expected"
  else fail "manifest checker accepted services without NATS credentials"; fi
  # A connection string in a ConfigMap (as EVENTSTORE_URL and NATS_URL were before).
  sed 's/^  BATON_EVENT_STORE: /  EVENTSTORE_URL: "kurrentdb:\/\/admin:changeit@kurrentdb:2113"\n  BATON_EVENT_STORE: /' "$WORK/default.yaml" >"$WORK/leak.yaml"
  "$NODE" "$CHECK" "$WORK/leak.yaml" >"$WORK/leak.out" 2>&1 || true
  if grep -q 'EVENTSTORE_URL, a connection string that can carry credentials' "$WORK/leak.out"; then
    log "manifest checker rejects a connection string in a ConfigMap, as expected"
  else fail "manifest checker accepted EVENTSTORE_URL in a ConfigMap"; fi
  # A Deployment whose SERVICE has no compiled entry point.
  sed '0,/value: "scheduler"/s//value: "no-such-service"/' "$WORK/default.yaml" >"$WORK/bad-service.yaml"
  if "$NODE" "$ENTRYPOINTS" --dockerfile="$ROOT/Dockerfile" --manifests="$WORK/bad-service.yaml" >"$WORK/ep.out" 2>&1; then
    fail "entry-point check accepted SERVICE=no-such-service"
  else log "entry-point check rejects a SERVICE without dist/main.js, as expected: $(grep -m1 '^  - ' "$WORK/ep.out" | cut -c5-160)"; fi
fi

if [ "${#failures[@]}" -gt 0 ]; then
  printf '[helm-check] %d failure(s):\n' "${#failures[@]}" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
log "all checks passed"

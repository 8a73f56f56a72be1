#!/usr/bin/env bash
# The test command (`npm test`): starts the local infrastructure if needed, then runs
# lint, type-check, unit, integration and end-to-end tests, and the deployment checks.
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export NX_DAEMON=false NX_NO_CLOUD=true NX_TUI=false
step() { printf '\n==> %s\n' "$*"; }

step "node $(node --version) (from $(command -v node))"
case "$(node --version)" in v24.*) ;; *) echo "Baton needs Node 24; run through npm (npm test) so node_modules/.bin/node is used" >&2; exit 1 ;; esac

step "infrastructure"
bash scripts/infra.sh up

step "lint"
npx nx show projects >/dev/null   # caches the project graph the module-boundary rule reads
npm run -s lint

step "type-check"
npm run -s typecheck

step "build (the services, the baton CLI and sim-agents that integration and e2e tests start run compiled)"
npm run -s build
npm run -s openapi:lint -w @baton/gateway   # the REST API's OpenAPI document, generated from the contracts
node scripts/grafana-check.mjs   # every PromQL query of the Grafana dashboard names a metric the services export

step "unit tests"
npm run -s test:unit

step "integration tests (real NATS and PostgreSQL)"
JEST_VERBOSE=1 npm run -s test:int

step "end-to-end tests"
JEST_VERBOSE=1 npm run -s test:e2e

step "Python SDK (sdk/python: virtualenv, generated models current, pytest unit and integration)"
npm run -s test:python

if [ -x scripts/helm-check.sh ]; then
  step "deployment checks (helm chart, docker-compose)"
  bash scripts/helm-check.sh
fi
[ -x scripts/compose-check.sh ] && bash scripts/compose-check.sh

step "all checks passed"

#!/usr/bin/env bash
# Validates docker-compose.yml without a container engine (CI has none):
#   - a Node script (deploy/checks/compose.check.mjs, `yaml` package) checks the structure:
#     healthchecks or one-shots, health-gated depends_on, pinned images, app environment,
#     published ports, durability settings, Prometheus targets;
#   - if `docker-compose` (Debian's 1.29) happens to be installed, `docker-compose config`
#     checks the file against the Compose schema as well. It is not installed on purpose.
# Exits non-zero, naming each problem, on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"; [ -x "$NODE" ] || NODE=node

"$NODE" "$ROOT/deploy/checks/compose.check.mjs" "$ROOT/docker-compose.yml"

if command -v docker-compose >/dev/null 2>&1; then
  echo "compose-check: docker-compose config"
  (cd "$ROOT" && docker-compose -f docker-compose.yml config -q)
  echo "compose-check: docker-compose config OK"
fi

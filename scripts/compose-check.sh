#!/usr/bin/env bash
# Validates docker-compose.yml without a container engine (CI has none):
#   - a Node script (deploy/checks/compose.check.mjs, `yaml` package) checks the structure:
#     healthchecks or one-shots, health-gated depends_on, pinned images, app environment,
#     published ports, durability settings, Prometheus targets;
#   - deploy/checks/entrypoints.check.mjs, after `npm run build`: every npm script the Dockerfile
#     and compose call exists, every file a container command names is built and copied into
#     the image, and each command runs here far enough to read its configuration;
#   - if `docker-compose` (Debian's 1.29) happens to be installed, `docker-compose config`
#     checks the file against the Compose schema as well. It is not installed on purpose.
# Exits non-zero, naming each problem, on any failure.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE="$ROOT/node_modules/.bin/node"; [ -x "$NODE" ] || NODE=node

"$NODE" "$ROOT/deploy/checks/compose.check.mjs" "$ROOT/docker-compose.yml"

# What the image and compose run must exist: build, then run each container's command here.
"$NODE" "$ROOT/scripts/build.mjs"
"$NODE" "$ROOT/deploy/checks/entrypoints.check.mjs" --dockerfile="$ROOT/Dockerfile" --compose="$ROOT/docker-compose.yml" --run

# Negative cases: the entry-point check must reject a missing npm script and a missing service.
WORK="$(mktemp -d)"; trap 'rm -rf "$WORK"' EXIT
sed "s|command: \['node', 'scripts/migrate.mjs'\]|command: ['npm', 'run', '--silent', 'no-such-script']|" "$ROOT/docker-compose.yml" >"$WORK/bad-script.yml"
sed 's|SERVICE: notifier|SERVICE: no-such-service|' "$ROOT/docker-compose.yml" >"$WORK/bad-service.yml"
# …and a file the image needs that .dockerignore keeps out of the build context.
mkdir -p "$WORK/ignored" && cp "$ROOT/Dockerfile" "$WORK/ignored/" && cp "$ROOT/docker-compose.yml" "$WORK/bad-ignore.yml"
{ cat "$ROOT/.dockerignore"; echo scripts; } >"$WORK/ignored/.dockerignore"
for bad in bad-script bad-service bad-ignore; do
  dockerfile="$ROOT/Dockerfile"; [ "$bad" = bad-ignore ] && dockerfile="$WORK/ignored/Dockerfile"
  if "$NODE" "$ROOT/deploy/checks/entrypoints.check.mjs" --dockerfile="$dockerfile" --compose="$WORK/$bad.yml" >"$WORK/out" 2>&1; then
    echo "compose-check: the entry-point check accepted $bad (docker-compose.yml or .dockerignore edited)" >&2; exit 1
  fi
  echo "compose-check: rejected as expected ($bad): $(grep -m1 '^  - ' "$WORK/out" | cut -c5-200)"
done

if command -v docker-compose >/dev/null 2>&1; then
  echo "compose-check: docker-compose config"
  (cd "$ROOT" && docker-compose -f docker-compose.yml config -q)
  echo "compose-check: docker-compose config OK"
fi

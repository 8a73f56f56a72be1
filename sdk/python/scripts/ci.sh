#!/usr/bin/env bash
# `npm run test:python` (and a step of `npm test`): the Python SDK's virtualenv (created when
# missing, the package installed with its test extras when pyproject.toml changed), the check that
# the generated models match the contracts, then pytest: unit tests and the integration tests
# against the real stack (tests/support/stack.ts starts a private NATS, a fresh database and the
# compiled services, so run `npm run build` first when calling this alone).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
  "${PYTHON:-python3}" -m venv .venv
fi
stamp=.venv/.baton-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
  echo "$want" > "$stamp"
fi

(cd ../.. && node -r @swc-node/register scripts/gen-json-schema.ts --check)
.venv/bin/python scripts/gen_models.py --check
# The tests give each connection the credentials it should have; none from the environment.
env -u NATS_CREDS .venv/bin/python -m pytest -q -p no:cacheprovider tests "$@"

"""The models cannot drift from the contracts: libs/contracts → schema/*.json (the repository's
scripts/gen-json-schema.ts) → src/baton_agent/models/*.py (scripts/gen_models.py). Either step
run again must give the files checked in; `npm run gen:python-models` rewrites both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPO = ROOT.parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import gen_models  # noqa: E402


def test_the_models_are_generated_from_the_checked_in_schema() -> None:
    assert gen_models.stale_modules() == []


def test_the_schema_is_generated_from_the_contracts() -> None:
    node = REPO / "node_modules" / ".bin" / "node"
    r = subprocess.run(
        [str(node) if node.exists() else "node", "-r", "@swc-node/register", "scripts/gen-json-schema.ts", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "NODE_OPTIONS": ""},
        timeout=120,
    )
    assert r.returncode == 0, r.stderr

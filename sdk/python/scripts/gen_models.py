"""Generates the SDK's pydantic models from the contracts' JSON Schema (schema/*.json).

    python scripts/gen_models.py           write src/baton_agent/models/*.py
    python scripts/gen_models.py --check   exit 1 when a checked-in module differs

The schema itself comes from libs/contracts (scripts/gen-json-schema.ts at the repository root);
`npm run gen:python-models` runs both. datamodel-codegen's options are in pyproject.toml.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
MODELS = ROOT / "src" / "baton_agent" / "models"


def _codegen(schema: Path, output: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "datamodel_code_generator", "--input", str(schema), "--output", str(output)],
        cwd=ROOT,
        check=True,
        stderr=subprocess.DEVNULL,
    )


def _messages_module() -> str:
    doc = json.loads((SCHEMA / "messages.json").read_text())
    lines = [
        '"""Commands, queries, streams and subjects of Baton. Generated from schema/messages.json by',
        'scripts/gen_models.py; do not edit."""',
        "",
        "from __future__ import annotations",
        "",
        "from . import incoming, outgoing",
        "from ._definition import MessageDefinition",
        "",
    ]
    for name, value in doc["constants"].items():
        lines.append(f"{name} = {value!r}")
    lines.append("")
    for m in doc["messages"]:
        lines.append(
            f"{m['name']} = MessageDefinition({m['name']!r}, {m['kind']!r}, {m['subject']!r}, {m['schemaVersion']}, "
            f"outgoing.{m['data']}, incoming.{m['reply']}, {m['agentSubject']!r})"
        )
    lines.append("")
    lines.append("ALL_MESSAGES: tuple[MessageDefinition, ...] = (" + ", ".join(m["name"] for m in doc["messages"]) + ",)")
    return "\n".join(lines) + "\n"


def generate(into: Path) -> list[Path]:
    into.mkdir(parents=True, exist_ok=True)
    _codegen(SCHEMA / "outgoing.json", into / "outgoing.py")
    _codegen(SCHEMA / "incoming.json", into / "incoming.py")
    (into / "messages.py").write_text(_messages_module())
    return [into / "outgoing.py", into / "incoming.py", into / "messages.py"]


def stale_modules() -> list[str]:
    """The checked-in modules that differ from a fresh generation."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        return [f.name for f in fresh if not (MODELS / f.name).exists() or (MODELS / f.name).read_text() != f.read_text()]


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        stale = stale_modules()
        if stale:
            print(f"stale generated models: {', '.join(stale)}; run npm run gen:python-models", file=sys.stderr)
            sys.exit(1)
    else:
        for path in generate(MODELS):
            print(f"wrote {path.relative_to(ROOT)}")

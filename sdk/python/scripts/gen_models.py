"""Generates the SDK's pydantic models from the contracts' JSON Schema (schema/*.json).

    python scripts/gen_models.py           write src/baton_agent/models/*.py
    python scripts/gen_models.py --check   exit 1 when a checked-in module differs

The schema itself comes from libs/contracts (scripts/gen-json-schema.ts at the repository root);
`npm run gen:python-models` runs both. datamodel-codegen's options are in pyproject.toml; before
it reads a schema, an object that extends another (the same leading properties and more) is
rewritten as an ``allOf`` of the other's ``$ref``, so its model subclasses the other's, and each
closed object likewise as an extension of one closed base, ``StrictModel``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schema"
MODELS = ROOT / "src" / "baton_agent" / "models"


# An extension shares at least this many leading properties with its base (fewer is a coincidence of shape),
# unless the base is one of the parts the schema declares (``x-parts``).
_MIN_BASE_PROPERTIES = 4
_PLAIN_OBJECT_KEYS = {"type", "properties", "required", "additionalProperties"}


def _plain_object(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object" and set(schema) <= _PLAIN_OBJECT_KEYS and bool(schema.get("properties"))


def _extends(schema: dict[str, Any], base: dict[str, Any], *, declared_part: bool) -> bool:
    """Whether ``schema`` is ``base`` with more properties after its own (a contract's ``.extend()``).
    A shared part (the document's ``x-parts``) is extended whatever its size."""
    own, inherited = list(schema["properties"].items()), list(base["properties"].items())
    return (
        (declared_part or len(inherited) >= _MIN_BASE_PROPERTIES)
        and len(inherited) < len(own)
        and own[: len(inherited)] == inherited
        and schema.get("additionalProperties") == base.get("additionalProperties")
        and set(base.get("required", [])) == set(schema.get("required", [])) & set(base["properties"])
    )


def _with_bases(doc: dict[str, Any]) -> dict[str, Any]:
    """The schema with each extension written as ``allOf`` of its base's ``$ref`` and its own properties.

    The contracts' JSON Schema spells an extended object out in full; as an ``allOf`` the generator
    writes the model as a subclass of its base (the longest one) instead of repeating its fields."""
    defs: dict[str, Any] = doc["$defs"]
    parts = set(doc.get("x-parts", []))
    out: dict[str, Any] = {}
    for name, schema in defs.items():
        bases = [b for b, base in defs.items() if b != name and _plain_object(schema) and _plain_object(base) and _extends(schema, base, declared_part=b in parts)]
        if not bases:
            out[name] = schema
            continue
        base_name = max(bases, key=lambda b: len(defs[b]["properties"]))
        own = {k: v for k, v in schema["properties"].items() if k not in defs[base_name]["properties"]}
        part: dict[str, Any] = {"type": "object", "properties": own}
        required = [r for r in schema.get("required", []) if r in own]
        if required:
            part["required"] = required
        if "additionalProperties" in schema:
            part["additionalProperties"] = schema["additionalProperties"]
        out[name] = {"allOf": [{"$ref": f"#/$defs/{base_name}"}, part]}
    return {k: v for k, v in doc.items() if k != "x-parts"} | {"$defs": out}


# The one model every closed object's model subclasses (see _with_strict_base).
_STRICT_BASE = "StrictModel"
_SCALAR_TYPES = {"string", "number", "integer", "boolean"}


def _closed(schema: Any) -> bool:
    """An object that forbids unknown properties (a contract's ``z.strictObject``)."""
    return isinstance(schema, dict) and schema.get("additionalProperties") is False


def _opened(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "additionalProperties"}


def _on_strict_base(node: Any, defs: dict[str, Any]) -> Any:
    """``node`` with each closed object in it written as ``allOf`` of the strict base's ``$ref`` and
    its properties; an extension of a closed model (see _with_bases) inherits its strictness as is."""
    if isinstance(node, list):
        return [_on_strict_base(n, defs) for n in node]
    if not isinstance(node, dict):
        return node
    match node.get("allOf"):
        case [{"$ref": ref} as base, dict() as own] if _closed(own) and _closed(defs.get(ref.rsplit("/", 1)[-1])):
            return {**node, "allOf": [base, _on_strict_base(_opened(own), defs)]}
    out = {k: _on_strict_base(v, defs) for k, v in node.items()}
    if _closed(out) and out.get("type") == "object":
        return {"allOf": [{"$ref": f"#/$defs/{_STRICT_BASE}"}, _opened(out)]}
    return out


def _with_strict_base(doc: dict[str, Any]) -> dict[str, Any]:
    """The schema with the closed objects' strictness in one base: each closed object becomes an
    ``allOf`` of ``StrictModel`` (a closed object with no properties) and its own properties, so
    its model subclasses ``StrictModel`` instead of repeating ``extra='forbid'`` in every class."""
    defs: dict[str, Any] = doc["$defs"]
    rewritten = {name: _on_strict_base(schema, defs) for name, schema in defs.items()}
    if rewritten == defs:
        return doc
    return {**doc, "$defs": {_STRICT_BASE: {"type": "object", "additionalProperties": False}, **rewritten}}


def _types_first(doc: dict[str, Any]) -> dict[str, Any]:
    """The schema with its scalar definitions (the id formats, enums) ahead of the others: the
    generator writes a model after the types it uses, so the models keep the document's order."""
    defs: dict[str, Any] = doc["$defs"]
    scalar = {name: schema for name, schema in defs.items() if schema.get("type") in _SCALAR_TYPES}
    return {**doc, "$defs": {**scalar, **defs}}


def _codegen(schema: Path, output: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # Same file name: the generated module names its source.
        source = Path(tmp) / schema.name
        doc = _types_first(_with_strict_base(_with_bases(json.loads(schema.read_text()))))
        source.write_text(json.dumps(doc, indent=2))
        subprocess.run(
            [sys.executable, "-m", "datamodel_code_generator", "--input", str(source), "--output", str(output)],
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

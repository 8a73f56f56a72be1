"""What a task handler returns, and how a refused report ends the handling of a task."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Sequence

from .errors import ValidationError, error_code_of
from .models.outgoing import ArtifactInput


@dataclass(frozen=True)
class Handoff:
    """What a handler hands over with its work: artifacts (stored content-addressed by the
    handoff-validator; events name them by hash), context, and outputs (reported values such as
    gate metrics). Artifacts as a mapping are ``name -> text``, or ``name -> dict/list`` (sent as JSON).

    >>> return Handoff(artifacts={"prd.md": prd}, context={"priority_level": "P1"}, outputs={"prd_completeness": 100})
    """

    artifacts: Mapping[str, str | Mapping[str, Any] | Sequence[Any]] | Sequence[ArtifactInput | Mapping[str, Any]] = field(default_factory=dict)
    context: Mapping[str, Any] | None = None
    outputs: Mapping[str, Any] | None = None


def handoff(artifacts: Any = None, context: Mapping[str, Any] | None = None, outputs: Mapping[str, Any] | None = None) -> Handoff:
    """Completes a task with a handoff (the TypeScript SDK's ``handoff({...})``)."""
    return Handoff(artifacts=artifacts if artifacts is not None else {}, context=context, outputs=outputs)


def artifacts_of(h: Handoff) -> list[dict[str, Any]]:
    """The artifacts of a handoff in wire form (``{name, content, encoding, mediaType?}``)."""
    a = h.artifacts
    if isinstance(a, Mapping):
        out: list[dict[str, Any]] = []
        for name, value in a.items():
            if isinstance(value, str):
                out.append({"name": name, "content": value, "encoding": "utf8"})
            else:
                out.append({"name": name, "content": json.dumps(value, indent=2), "encoding": "utf8", "mediaType": "application/json"})
        return out
    return [x.model_dump(mode="json", by_alias=True, exclude_unset=True) if isinstance(x, ArtifactInput) else dict(x) for x in a]


def outputs_of(value: object) -> dict[str, Any]:
    """The outputs of a handler's return value: ``None`` -> ``{}``, a mapping -> itself;
    anything else is a handler bug: VALIDATION_FAILED."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    raise ValidationError(f"a task handler must return a dict of outputs, a Handoff or None, got {type(value).__name__}")


Settlement = Literal["lost", "rejected", "deferred"]


def settlement_of(err: object) -> tuple[Settlement, str]:
    """What to do when a report (progress, complete, fail) of a task failed with ``err``:
    ``lost`` (STALE_LEASE): another agent holds the task now, stop quietly and drop the assignment;
    ``rejected`` (ILLEGAL_TRANSITION, NOT_FOUND, FORBIDDEN, VALIDATION_FAILED): the task cannot be
    worked any more (cancelled, finished) or never can, drop the assignment; ``deferred`` (anything
    else: no scheduler, time-outs, a closed connection): leave it unacknowledged to be delivered again."""
    code = error_code_of(err) or "INTERNAL"
    if code == "STALE_LEASE":
        return "lost", code
    if code in ("ILLEGAL_TRANSITION", "NOT_FOUND", "FORBIDDEN", "VALIDATION_FAILED"):
        return "rejected", code
    return "deferred", code

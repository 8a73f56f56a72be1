"""The shape of one command or query definition (see messages.py, generated)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter


@dataclass(frozen=True)
class MessageDefinition:
    """A command (``baton.cmd.<service>.<name>``) or query (``baton.qry.…``): its subject, the
    schema version the SDK sends, the models of its data and of its reply data, and for a command
    an agent sends about itself, its agent-scoped subject pattern (``baton.agent.*.cmd.<name>``)."""

    name: str
    kind: Literal["command", "query"]
    subject: str
    schema_version: int
    data: type[BaseModel] | Any
    reply: type[BaseModel] | Any
    agent_subject: str | None = None

    def subject_for(self, agent_id: str | None) -> str:
        """Where to send it: the agent-scoped subject when sent by agent ``agent_id`` and it is an agent command."""
        if agent_id is not None and self.agent_subject is not None:
            return self.agent_subject.replace("*", agent_id, 1)
        return self.subject

    def data_adapter(self) -> TypeAdapter[Any]:
        return _adapter(self.data)

    def reply_adapter(self) -> TypeAdapter[Any]:
        return _adapter(self.reply)


_ADAPTERS: dict[int, TypeAdapter[Any]] = {}


def _adapter(tp: Any) -> TypeAdapter[Any]:
    # Replies may be type aliases of a model (ClaimTaskReply is the inbox assignment): a TypeAdapter takes both.
    key = id(tp)
    if key not in _ADAPTERS:
        _ADAPTERS[key] = TypeAdapter(tp)
    return _ADAPTERS[key]

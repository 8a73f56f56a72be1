"""The shape of one command or query definition (see messages.py, generated)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter


@dataclass(frozen=True)
class MessageDefinition:
    """A command (``baton.cmd.<service>.<name>``) or query (``baton.qry.…``): its subject, the
    schema version the SDK sends, and the models of its data and of its reply data."""

    name: str
    kind: Literal["command", "query"]
    subject: str
    schema_version: int
    data: type[BaseModel] | Any
    reply: type[BaseModel] | Any

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

"""Request/reply with Baton services: the plain-JSON wire format of docs/messaging.md.

A command is ``{"commandId", "schemaVersion", "data"}``; every reply is ``{"ok": true, "data"}``
or ``{"ok": false, "error": {"code", "message", "details"}}``. Data is checked against the
generated model first, so a mistake is a local VALIDATION_FAILED, not a round trip.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

import nats.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .errors import BatonError, ForbiddenError, RequestTimeoutError, UnavailableError, ValidationError, error_from_body
from .models._definition import MessageDefinition
from .models.messages import MAX_MESSAGE_BYTES


def _issues(err: PydanticValidationError) -> list[dict[str, str]]:
    return [{"path": ".".join(str(p) for p in e["loc"]) or "(root)", "message": e["msg"]} for e in err.errors()]


def data_of(definition: MessageDefinition, data: BaseModel | dict[str, Any]) -> dict[str, Any]:
    """The wire form (camelCase) of a command's or query's data, validated against its model."""
    try:
        model = data if isinstance(data, BaseModel) else definition.data_adapter().validate_python(data)
    except PydanticValidationError as err:
        issues = _issues(err)
        raise ValidationError(
            f"invalid {definition.subject} data: " + "; ".join(f"{i['path']}: {i['message']}" for i in issues), {"issues": issues}
        ) from err
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def encode_command(definition: MessageDefinition, data: BaseModel | dict[str, Any], command_id: str) -> bytes:
    body = {"commandId": command_id, "schemaVersion": definition.schema_version, "data": data_of(definition, data)}
    return json.dumps(body, separators=(",", ":")).encode()


def encode_query(definition: MessageDefinition, data: BaseModel | dict[str, Any]) -> bytes:
    body = {"schemaVersion": definition.schema_version, "data": data_of(definition, data)}
    return json.dumps(body, separators=(",", ":")).encode()


def decode_json(raw: bytes, max_bytes: int = MAX_MESSAGE_BYTES) -> Any:
    """Bytes to JSON with the size and syntax checks every boundary needs."""
    if len(raw) > max_bytes:
        raise BatonError("PAYLOAD_TOO_LARGE", f"message is {len(raw)} bytes; the limit is {max_bytes} bytes", {"size": len(raw), "limit": max_bytes})
    text = raw.decode("utf-8", errors="replace")
    if text.strip() == "":
        raise BatonError("INVALID_JSON", "message body is empty; send a JSON object")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise BatonError("INVALID_JSON", f"message body is not valid JSON: {err}") from err


def decode_reply(definition: MessageDefinition, raw: bytes) -> Any:
    """A reply's data, validated against the reply model; ``{ok: false}`` is raised as a BatonError with the service's code."""
    body = decode_json(raw)
    if isinstance(body, dict) and body.get("ok") is False and isinstance(body.get("error"), dict) and isinstance(body["error"].get("code"), str):
        raise error_from_body(definition.subject, body["error"])
    if not isinstance(body, dict) or body.get("ok") is not True:
        raise BatonError("INTERNAL", f"{definition.subject}: the reply is neither {{ok: true}} nor {{ok: false}}")
    try:
        return definition.reply_adapter().validate_python(body.get("data"))
    except PydanticValidationError as err:
        raise BatonError("INTERNAL", f"{definition.subject}: the reply data does not match its schema: {err}") from err


def transport_error(subject: str, err: BaseException) -> BatonError:
    """A failure of the NATS request itself as a BatonError: no responders and time-outs are
    retryable; a closed connection is UNAVAILABLE and not retryable (this client will not reconnect)."""
    if isinstance(err, nats.errors.NoRespondersError):
        return UnavailableError(f"{subject}: no service is listening")
    if isinstance(err, (nats.errors.TimeoutError, asyncio.TimeoutError)):
        return RequestTimeoutError(f"{subject}: no reply in time")
    if isinstance(err, (nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError)):
        return UnavailableError(f"{subject}: the NATS connection is closed", retryable=False)
    return BatonError("INTERNAL", f"{subject}: request failed: {err}", retryable=False)


async def pull(nc: NatsClient, sub: Any, batch: int, timeout: float, log: logging.Logger, loop_name: str) -> list[Msg] | None:
    """One fetch of a pull consumer's loop: the messages; none when none came in ``timeout`` or
    the fetch failed while disconnected (logged, after a short pause for the reconnect); ``None``
    once the connection is closed, when the loop ``loop_name`` should end (logged as an error)."""
    try:
        msgs: list[Msg] = await sub.fetch(batch, timeout=timeout)
        return msgs
    except nats.errors.TimeoutError:
        return []
    except Exception as err:  # noqa: BLE001 - disconnected: wait for the reconnect
        if nc.is_closed:
            log.error("%s ended: the connection is closed", loop_name)
            return None
        log.debug("%s fetch: %s", loop_name, err)
        await asyncio.sleep(0.5)
        return []


async def unsubscribe_quietly(sub: Any, log: logging.Logger) -> None:
    """Unsubscribes; a failure is only logged (debug): the connection may be gone already."""
    try:
        await sub.unsubscribe()
    except Exception as err:  # noqa: BLE001 - the connection may be gone already
        log.debug("unsubscribe: %s", err)


def next_delay(previous: float, minimum: float, maximum: float) -> float:
    """Exponential back-off between retries: doubles from ``minimum`` up to ``maximum``."""
    return min(max(previous * 2, minimum), maximum)


def report_command_id(kind: str, task_id: str, agent_id: str, lease_epoch: int) -> str:
    """The command id of a report that must stay idempotent across redeliveries and restarts
    (the TypeScript SDK's ids, so both SDKs' retries of one report are the same command)."""
    return f"{kind}:{agent_id}:{task_id}:{lease_epoch}"


@dataclass(frozen=True)
class CommandOptions:
    """Time-outs and retries of commands (seconds)."""

    request_timeout: float = 5.0
    """Per-request time-out."""
    retry_for: float = 30.0
    """How long a retryable failure (no service listening, time-out, lost race) keeps being retried."""
    retry_min: float = 0.1
    retry_max: float = 2.0


_DENIED_PUBLISH = re.compile(r'permissions violation for publish to "?([^"\s]+)"?', re.IGNORECASE)


class CommandClient:
    """Sends commands and queries over a nats-py connection. Retryable failures are retried with
    the same command id (idempotent) until ``retry_for`` has passed."""

    def __init__(self, nc: NatsClient, options: CommandOptions | None = None, *, as_agent: str | None = None) -> None:
        """``as_agent``: send as this agent, so the commands it sends about itself go to
        ``baton.agent.<id>.cmd.<name>``, where the service reads the agent from the subject."""
        self._nc = nc
        self._options = options or CommandOptions()
        self._as_agent = as_agent
        self._denied: set[str] = set()

    def permission_error(self, err: BaseException) -> bool:
        """Notes a server's permissions violation (nats-py reports them to the connection's
        ``error_cb``, and the request itself just gets no reply): a request to that subject then
        fails with FORBIDDEN instead of TIMEOUT. Returns whether ``err`` was one."""
        match = _DENIED_PUBLISH.search(str(err))
        if match is None:
            return False
        # nats-py lower-cases the server's message, subject included.
        self._denied.add(match.group(1).lower())
        return True

    async def command(
        self,
        definition: MessageDefinition,
        data: BaseModel | dict[str, Any],
        command_id: str | None = None,
        *,
        retry_for: float | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Sends a command and returns its reply data (a model); raises BatonError with the service's
        code. ``retry_for`` overrides how long retryable failures are retried, ``timeout`` the
        per-request time-out (seconds; a long poll such as ``await-assignment`` waits longer)."""
        subject = definition.subject_for(self._as_agent)
        return await self._with_retry(definition, subject, encode_command(definition, data, command_id or str(uuid.uuid4())), retry_for, timeout)

    async def query(self, definition: MessageDefinition, data: BaseModel | dict[str, Any]) -> Any:
        """Sends a query and returns its reply data (a model)."""
        return await self._with_retry(definition, definition.subject, encode_query(definition, data), None)

    async def _with_retry(self, definition: MessageDefinition, subject: str, body: bytes, retry_for: float | None, timeout: float | None = None) -> Any:
        o = self._options
        deadline = time.monotonic() + (o.retry_for if retry_for is None else retry_for)
        delay = 0.0
        while True:
            try:
                msg = await self._nc.request(subject, body, timeout=o.request_timeout if timeout is None else timeout)
                return decode_reply(definition, msg.data)
            except BatonError as err:
                error = err
            except Exception as err:  # noqa: BLE001 - every transport failure becomes a coded error
                error = transport_error(subject, err)
            if error.code == "TIMEOUT" and subject.lower() in self._denied:
                raise ForbiddenError(f"{subject}: the NATS server does not let these credentials publish there") from error
            if not error.retryable or time.monotonic() >= deadline or self._nc.is_closed:
                raise error
            delay = next_delay(delay, o.retry_min, o.retry_max)
            await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))

"""Following Baton's domain events from outside: a durable JetStream consumer on ``BATON_EVENTS``
that hands each event to a handler once. The Python twin of ``subscribeEvents`` in libs/agent-sdk."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Literal, Protocol, Sequence

import nats.errors
import nats.js.errors
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import ValidationError as PydanticValidationError

from .errors import BatonError, ValidationError
from .models import messages as m
from .models.incoming import RecordedEvent
from .wire import decode_json, pull, unsubscribe_quietly

_DURABLE = re.compile(r"^[A-Za-z0-9_-]{1,200}$")


@dataclass(frozen=True)
class EventStart:
    """Where a new subscription starts. Only a new durable uses it: an existing one resumes after
    the last event it acknowledged, whatever ``start`` says (and keeps the subjects it was created
    with: follow other subjects under another durable name)."""

    kind: Literal["all", "new", "sequence", "time"]
    sequence: int | None = None
    time: datetime | None = None

    @staticmethod
    def all() -> EventStart:
        """From the first event the stream keeps."""
        return EventStart("all")

    @staticmethod
    def new() -> EventStart:
        """Only events published from now on."""
        return EventStart("new")

    @staticmethod
    def at_sequence(sequence: int) -> EventStart:
        """From stream sequence ``sequence`` (a handler's ``delivery.stream_sequence`` + 1 goes on after it)."""
        if not isinstance(sequence, int) or sequence < 1:
            raise ValidationError(f"start sequence must be a positive integer, got {sequence!r}")
        return EventStart("sequence", sequence=sequence)

    @staticmethod
    def at_time(time: datetime) -> EventStart:
        """From the first event stored at or after ``time`` (naive times are UTC)."""
        return EventStart("time", time=time if time.tzinfo else time.replace(tzinfo=timezone.utc))

    def config(self) -> dict[str, Any]:
        if self.kind == "all":
            return {"deliver_policy": DeliverPolicy.ALL}
        if self.kind == "new":
            return {"deliver_policy": DeliverPolicy.NEW}
        if self.kind == "sequence":
            return {"deliver_policy": DeliverPolicy.BY_START_SEQUENCE, "opt_start_seq": self.sequence}
        return {"deliver_policy": DeliverPolicy.BY_START_TIME, "opt_start_time": self.time}


@dataclass(frozen=True)
class EventDelivery:
    """Where an event was in the stream and how often it was delivered (1 the first time)."""

    subject: str
    stream_sequence: int
    delivery_count: int


class EventDedupe(Protocol):
    """Event ids already handled. Keep them in your own store, in the same transaction as the
    handler's effect, to be exact across restarts; :class:`MemoryDedupe` covers one process."""

    def has(self, event_id: str) -> bool | Awaitable[bool]: ...

    def add(self, event_id: str) -> None | Awaitable[None]: ...


class MemoryDedupe:
    """The last ``capacity`` event ids in memory (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def has(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        self._ids[event_id] = None
        if len(self._ids) > self._capacity:
            self._ids.popitem(last=False)


@dataclass
class EventSubscriptionStats:
    handled: int = 0
    """Events handed to the handler and acknowledged."""
    duplicates: int = 0
    """Deliveries of an event id already handled: acknowledged without calling the handler."""
    failures: int = 0
    """Handler failures (each delivered again)."""
    last_sequence: int = 0
    """Highest stream sequence whose acknowledgement the server confirmed, 0 before the first."""


EventHandler = Callable[[RecordedEvent, EventDelivery], "Awaitable[None] | None"]


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class EventSubscription:
    """A running subscription; make one with :func:`subscribe_events`."""

    def __init__(self, nc: NatsClient, sub: Any, handler: EventHandler, dedupe: EventDedupe, retry_delay: float, log: logging.Logger) -> None:
        self._nc = nc
        self._sub = sub
        self._handler = handler
        self._dedupe = dedupe
        self._retry_delay = retry_delay
        self.log = log
        self.stats = EventSubscriptionStats()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        # Acknowledgements awaiting the server's confirmation; stop() waits for them.
        self._acking: set[asyncio.Task[None]] = set()

    def _run(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stops pulling once the event in hand is settled. The durable keeps the position."""
        self._stopping = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        if self._acking:
            await asyncio.gather(*self._acking, return_exceptions=True)
        await unsubscribe_quietly(self._sub, self.log)

    async def _loop(self) -> None:
        while not self._stopping:
            msgs = await pull(self._nc, self._sub, 64, 0.5, self.log, "event subscription")
            if msgs is None:
                return
            for msg in msgs:
                if self._stopping:
                    # Fetched but not handled: back to the server at once, not after the ack wait.
                    await msg.nak()
                else:
                    await self._handle(msg)

    def _ack(self, msg: Msg) -> None:
        """Acknowledges without holding up the next event: the server's confirmation (ack_sync)
        is awaited in a task of its own, so events of one commit are not handled a round trip
        apart. A failed acknowledgement brings the event back; its event id is recognised."""
        task = asyncio.create_task(self._confirm_ack(msg))
        self._acking.add(task)
        task.add_done_callback(self._acking.discard)

    async def _confirm_ack(self, msg: Msg) -> None:
        try:
            await msg.ack_sync(timeout=5.0)
            self.stats.last_sequence = max(self.stats.last_sequence, msg.metadata.sequence.stream)
        except Exception as err:  # noqa: BLE001
            self.log.warning("acknowledgement of #%s failed (%s); it comes back and is recognised by its event id", msg.metadata.sequence.stream, err)

    async def _handle(self, msg: Msg) -> None:
        meta = msg.metadata
        try:
            event = RecordedEvent.model_validate(decode_json(msg.data, max_bytes=2**62))
        except (BatonError, PydanticValidationError) as err:
            self.log.error("message #%s on %s is not a recorded event (%s); dropped", meta.sequence.stream, msg.subject, err)
            await msg.term()
            return
        try:
            if await _maybe(self._dedupe.has(event.event_id)):
                self.stats.duplicates += 1
                self._ack(msg)
                return
            await _maybe(self._handler(event, EventDelivery(msg.subject, meta.sequence.stream, meta.num_delivered)))
        except Exception as err:  # noqa: BLE001 - a failing handler gets the event again
            self.stats.failures += 1
            self.log.warning("event %s (#%s) failed: %s; delivered again in %.1f s", event.event_id, meta.sequence.stream, err, self._retry_delay)
            await msg.nak(delay=self._retry_delay)
            return
        self.stats.handled += 1
        try:
            await _maybe(self._dedupe.add(event.event_id))
        except Exception as err:  # noqa: BLE001
            self.log.warning("event %s: the dedupe store failed (%s)", event.event_id, err)
        self._ack(msg)


async def subscribe_events(
    nc: NatsClient,
    *,
    durable: str,
    handler: EventHandler,
    subjects: Sequence[str] = (),
    start: EventStart | None = None,
    dedupe: EventDedupe | None = None,
    ack_wait: float = 30.0,
    retry_delay: float = 1.0,
    logger: logging.Logger | None = None,
) -> EventSubscription:
    """Follows Baton's domain events (``baton.evt.>``, or the ``subjects`` given) through the
    durable consumer ``durable`` on ``BATON_EVENTS``. Each event reaches ``handler`` once: it is
    acknowledged after the handler returns, a delivery of an event id already handled is
    acknowledged without calling the handler, and a restart with the same ``durable`` goes on
    after the last acknowledged event. A failing handler gets the event again after ``retry_delay``
    seconds (after the events behind it).

    >>> sub = await subscribe_events(nc, durable="dashboard-tasks", subjects=["baton.evt.task.>"],
    ...                              start=EventStart.at_sequence(1), handler=print_event)
    >>> await sub.stop()
    """
    if not _DURABLE.match(durable):
        raise ValidationError(f'durable "{durable}" must be letters, digits, dash or underscore (1-200)')
    filters = list(subjects) or [m.ALL_EVENTS_SUBJECT]
    js = nc.jetstream()
    try:
        try:
            await js.consumer_info(m.EVENTS_STREAM, durable)
        except nats.js.errors.NotFoundError:
            config = ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ack_wait,
                **({"filter_subject": filters[0]} if len(filters) == 1 else {"filter_subjects": filters}),
                **(start or EventStart.new()).config(),
            )
            await js.add_consumer(m.EVENTS_STREAM, config)
        sub = await js.pull_subscribe_bind(durable=durable, stream=m.EVENTS_STREAM)
    except nats.errors.TimeoutError as err:
        # A server that does not let these credentials use the consumer does not answer at all.
        raise BatonError(
            "TIMEOUT", f"no answer about consumer {durable} on {m.EVENTS_STREAM}: a reader's credentials allow only the consumer named after the reader"
        ) from err
    except nats.js.errors.APIError as err:
        raise BatonError("UNAVAILABLE" if isinstance(err, nats.js.errors.NotFoundError) else "VALIDATION_FAILED", f"consumer {durable} on {m.EVENTS_STREAM}: {err.description}") from err
    subscription = EventSubscription(nc, sub, handler, dedupe or MemoryDedupe(), retry_delay, logger or logging.getLogger(f"baton_agent.events.{durable}"))
    subscription._run()
    return subscription

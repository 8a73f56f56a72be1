"""Event subscriptions against a real JetStream: a durable consumer on BATON_EVENTS from any
position, restarted in the middle, delivers every event once."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient

from baton_agent import EventDelivery, EventStart, messages, subscribe_events
from baton_agent.models.incoming import RecordedEvent

from .conftest import wait_for

pytestmark = pytest.mark.integration


def recorded_event(aggregate: str, n: int, event_id: str | None = None) -> dict[str, Any]:
    """A domain event as the relays publish it (the RecordedEvent envelope)."""
    return {
        "eventId": event_id or str(uuid.uuid4()),
        "type": "ThingHappened",
        "schemaVersion": 1,
        "streamId": f"{aggregate}-1",
        "revision": n,
        "position": {"commit": 1000 + n, "prepare": n},
        "data": {"n": n},
        "metadata": {"occurredAt": datetime.now(timezone.utc).isoformat()},
        "prevHash": "0" * 64,
        "hash": f"{n:064x}",
    }


async def publish(nc: NatsClient, subject: str, event: dict[str, Any], msg_id: str | None = None) -> int:
    ack = await nc.jetstream().publish(subject, json.dumps(event).encode(), headers={"Nats-Msg-Id": msg_id or event["eventId"]})
    return ack.seq


class Collector:
    def __init__(self, pause: float = 0.0) -> None:
        self.events: list[RecordedEvent] = []
        self.deliveries: list[EventDelivery] = []
        self.pause = pause

    async def __call__(self, event: RecordedEvent, delivery: EventDelivery) -> None:
        if self.pause:
            await asyncio.sleep(self.pause)
        self.events.append(event)
        self.deliveries.append(delivery)


async def test_from_a_sequence_across_a_restart_every_event_arrives_once(stack: dict[str, str], nc: NatsClient) -> None:
    aggregate = f"pysub{uuid.uuid4().hex[:8]}"
    subject = f"baton.evt.{aggregate}.happened"
    events = [recorded_event(aggregate, n) for n in range(1, 11)]
    sequences = [await publish(nc, subject, e) for e in events]
    durable = f"py-follow-{aggregate}"

    first = Collector(pause=0.05)
    sub = await subscribe_events(nc, durable=durable, subjects=[subject], start=EventStart.at_sequence(sequences[3]), handler=first)
    await wait_for(lambda: len(first.events) >= 3, "three events before the restart")
    await sub.stop()
    # Acknowledgements are not awaited between events; stop() waits for those still out.
    assert sub.stats.last_sequence == first.deliveries[-1].stream_sequence
    # Published while the subscriber is away.
    later = [recorded_event(aggregate, n) for n in range(11, 16)]
    for e in later:
        await publish(nc, subject, e)

    second = Collector()
    sub = await subscribe_events(nc, durable=durable, subjects=[subject], start=EventStart.all(), handler=second)
    try:
        expected = [e["eventId"] for e in events[3:] + later]
        await wait_for(lambda: len(first.events) + len(second.events) >= len(expected), "the rest after the restart")
        # The relay publishing an event again (past JetStream's de-duplication window, so a new message).
        again = later[1]
        await publish(nc, subject, again, msg_id=f"republished-{again['eventId']}")
        await wait_for(lambda: sub.stats.duplicates == 1, "the republished event recognised")
        got = [e.event_id for e in first.events + second.events]
        assert got == expected
        assert [d.stream_sequence for d in first.deliveries][0] == sequences[3]
        assert all(d.subject == subject for d in first.deliveries + second.deliveries)
        assert sub.stats.handled == len(second.events)
        assert second.events[0].data == {"n": 4 + len(first.events)}
    finally:
        await sub.stop()


async def test_a_failing_handler_gets_the_event_again_and_new_starts_after_now(stack: dict[str, str], nc: NatsClient) -> None:
    aggregate = f"pysub{uuid.uuid4().hex[:8]}"
    subject = f"baton.evt.{aggregate}.happened"
    await publish(nc, subject, recorded_event(aggregate, 1))  # before the subscription: not seen with start=new
    attempts: dict[str, int] = {}
    handled: list[str] = []

    async def flaky(event: RecordedEvent, delivery: EventDelivery) -> None:
        attempts[event.event_id] = attempts.get(event.event_id, 0) + 1
        if attempts[event.event_id] == 1:
            raise RuntimeError("the dashboard database is restarting")
        handled.append(event.event_id)

    sub = await subscribe_events(nc, durable=f"py-new-{aggregate}", subjects=[f"baton.evt.{aggregate}.>"], start=EventStart.new(), handler=flaky, retry_delay=0.2)
    try:
        fresh = recorded_event(aggregate, 2)
        await publish(nc, subject, fresh)
        await wait_for(lambda: handled == [fresh["eventId"]], "the failed event handled on its second delivery")
        assert attempts == {fresh["eventId"]: 2}
        assert sub.stats.failures == 1
    finally:
        await sub.stop()


async def test_start_at_a_time_skips_what_came_before(stack: dict[str, str], nc: NatsClient) -> None:
    aggregate = f"pysub{uuid.uuid4().hex[:8]}"
    subject = f"baton.evt.{aggregate}.happened"
    await publish(nc, subject, recorded_event(aggregate, 1))
    await asyncio.sleep(0.05)
    since = datetime.now(timezone.utc) - timedelta(milliseconds=1)
    await asyncio.sleep(0.05)
    after = recorded_event(aggregate, 2)
    await publish(nc, subject, after)
    seen = Collector()
    sub = await subscribe_events(nc, durable=f"py-time-{aggregate}", subjects=[subject], start=EventStart.at_time(since + timedelta(milliseconds=20)), handler=seen)
    try:
        await wait_for(lambda: seen.events, "the event after the start time")
        await asyncio.sleep(0.3)
        assert [e.event_id for e in seen.events] == [after["eventId"]]
    finally:
        await sub.stop()


async def test_real_task_events_are_followed(stack: dict[str, str], nc: NatsClient) -> None:
    seen = Collector()
    task_id = f"evt-{uuid.uuid4().hex[:10]}"
    sub = await subscribe_events(nc, durable=f"py-tasks-{uuid.uuid4().hex[:8]}", subjects=["baton.evt.task.created", "baton.evt.task.cancelled"], handler=seen)
    try:
        from baton_agent import CommandClient

        client = CommandClient(nc)
        await client.command(messages.SubmitTask, {"taskId": task_id, "action": "nobody_can_do_this", "requirement": {"agentId": "nobody-here"}})
        await client.command(messages.CancelTask, {"taskId": task_id, "reason": "not needed"})
        mine = lambda: [e for e in seen.events if e.stream_id == f"task-{task_id}"]  # noqa: E731
        await wait_for(lambda: len(mine()) == 2, "TaskCreated and TaskCancelled of the task")
        assert [e.type for e in mine()] == ["TaskCreated", "TaskCancelled"]
    finally:
        await sub.stop()

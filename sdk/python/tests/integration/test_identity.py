"""The Python SDK on a NATS server with decentralized auth on (docs/security.md): an agent works
with its own credentials, and only as itself; a reader follows events with its own."""

from __future__ import annotations

import uuid
from typing import Any, AsyncIterator

import nats
import pytest
from nats.aio.client import Client as NatsClient

from baton_agent import AgentProfile, BatonAgent, BatonError, CommandClient, CommandOptions, EventStart, messages, subscribe_events
from baton_agent.models.incoming import RecordedEvent

from .conftest import AUTH_AGENTS, AUTH_READER, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture
async def admin(auth_stack: dict[str, Any]) -> AsyncIterator[CommandClient]:
    """The people's side: an admin credential (submits and reads tasks)."""
    nc = await nats.connect(auth_stack["natsUrl"], user_credentials=auth_stack["admin"])
    try:
        yield CommandClient(nc, CommandOptions(request_timeout=20.0))
    finally:
        await nc.drain()


async def test_an_agent_works_a_task_with_its_own_credentials(auth_stack: dict[str, Any], admin: CommandClient) -> None:
    agent_id = AUTH_AGENTS[0]
    agent = await BatonAgent.connect(agent_id, servers=auth_stack["natsUrl"], creds_file=auth_stack["agents"][agent_id])
    try:
        await agent.register(AgentProfile(role="backend_dev", capabilities=["implement_backend"]))
        await agent.start(lambda task, ctx: {"by": agent_id, "n": task.inputs["n"]})
        reply = await admin.command(messages.SubmitTask, {"action": "implement_backend", "requirement": {"agentId": agent_id}, "inputs": {"n": 7}})

        async def completed() -> Any:
            view = await admin.query(messages.GetTask, {"taskId": reply.task_id})
            return view if view.status == "completed" else None

        view = await wait_for(completed, "the task completed by the agent with its credentials", timeout=60)
        assert view.outputs == {"by": agent_id, "n": 7}
    finally:
        await agent.stop(timeout=5)


async def test_without_credentials_the_server_refuses_the_agent(auth_stack: dict[str, Any]) -> None:
    with pytest.raises(BatonError) as refused:
        await BatonAgent.connect("py-id-anonymous", servers=auth_stack["natsUrl"], reconnect_time_wait=0.1)
    assert refused.value.code == "UNAVAILABLE"


async def test_an_agent_cannot_act_as_another(auth_stack: dict[str, Any]) -> None:
    a, b = AUTH_AGENTS
    impostor = await BatonAgent.connect(b, servers=auth_stack["natsUrl"], creds_file=auth_stack["agents"][a], commands=CommandOptions(request_timeout=2.0, retry_for=1.0))
    try:
        with pytest.raises(BatonError) as refused:
            await impostor.register(AgentProfile(role="backend_dev"))
        assert refused.value.code == "FORBIDDEN"
    finally:
        await impostor.stop()


async def test_a_reader_follows_events_through_its_own_consumer(auth_stack: dict[str, Any], admin: CommandClient) -> None:
    nc: NatsClient = await nats.connect(auth_stack["natsUrl"], user_credentials=auth_stack["readers"][AUTH_READER], inbox_prefix=f"_INBOX.reader.{AUTH_READER}")
    seen: list[RecordedEvent] = []

    async def collect(event: RecordedEvent, _: Any) -> None:
        seen.append(event)

    task_id = f"id-{uuid.uuid4().hex[:10]}"
    sub = await subscribe_events(nc, durable=AUTH_READER, subjects=["baton.evt.task.>"], start=EventStart.all(), handler=collect)
    try:
        await admin.command(messages.SubmitTask, {"taskId": task_id, "action": "nobody_does_this", "requirement": {"agentId": "nobody-here"}})
        await admin.command(messages.CancelTask, {"taskId": task_id, "reason": "seen by the reader"})
        mine = lambda: [e.type for e in seen if e.stream_id == f"task-{task_id}"]  # noqa: E731
        await wait_for(lambda: mine() == ["TaskCreated", "TaskCancelled"], "the reader to see the task's events", timeout=90)
    finally:
        await sub.stop()
    # Any other consumer name is not the reader's: the server answers nothing.
    with pytest.raises(BatonError) as refused:
        await subscribe_events(nc, durable=f"{AUTH_READER}-other", handler=collect)
    assert refused.value.code == "TIMEOUT"
    await nc.drain()

"""A Python agent waiting on the scheduler for its next assignment (``await-assignment``,
docs/messaging.md): the assignment comes as the reply, not through its JetStream inbox; with
``await_assignments=False`` the inbox alone still works; a task that outlives the scheduler's
confirmation window gets its inbox copy, which is acknowledged, not worked again."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from nats.aio.client import Client as NatsClient

from baton_agent import AgentProfile, BatonAgent, CommandClient, TaskContext, inbox_consumer_name, messages
from baton_agent.models.incoming import AgentInboxAssignment

from .conftest import wait_for

pytestmark = pytest.mark.integration


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def held_until_released(progress: bool = False) -> tuple[asyncio.Event, list[str], Callable[[AgentInboxAssignment, TaskContext], Awaitable[dict[str, Any]]]]:
    """A handler that records each task it starts (optionally reporting progress first) and returns only once the event is set."""
    release = asyncio.Event()
    runs: list[str] = []

    async def handler(task: AgentInboxAssignment, ctx: TaskContext) -> dict[str, Any]:
        runs.append(task.task_id)
        if progress:
            await ctx.progress(10, "started")
        await release.wait()
        return {"n": task.inputs["n"]}

    return release, runs, handler


async def inbox_of(nc: NatsClient, agent_id: str) -> Any:
    """The agent's durable inbox consumer (its filter is the agent's own inbox subject)."""
    return await nc.jetstream().consumer_info(messages.AGENT_INBOX_STREAM, inbox_consumer_name(agent_id))


async def submit(client: CommandClient, agent_id: str, n: int) -> str:
    reply = await client.command(messages.SubmitTask, {"action": "implement_backend", "requirement": {"agentId": agent_id}, "inputs": {"n": n}, "maxAttempts": 1})
    return reply.task_id


async def completed(client: CommandClient, task_id: str, timeout: float = 60.0) -> Any:
    async def check() -> Any:
        view = await client.query(messages.GetTask, {"taskId": task_id})
        return view if view.status in ("completed", "failed") else None

    view = await wait_for(check, f"task {task_id} completed", timeout)
    assert view.status == "completed"
    return view


async def started(stack: dict[str, Any], agent_id: str, handler: Any, concurrency: int = 1, **options: Any) -> BatonAgent:
    agent = await BatonAgent.connect(agent_id, servers=stack["natsUrl"], **options)
    await agent.register(AgentProfile(role="backend_dev", capabilities=["implement_backend"], max_concurrency=concurrency))
    await agent.start(handler)
    # The agent's first await-assignment is sent as start returns: let it reach the scheduler
    # before the test submits, or the assignment may be made before it waits (and go to the inbox).
    await asyncio.sleep(1.0)
    return agent


async def test_a_waiting_agent_gets_its_assignment_as_the_reply_and_its_inbox_stays_empty(stack: dict[str, Any], nc: NatsClient, client: CommandClient) -> None:
    agent_id = uid("py-await")
    agent = await started(stack, agent_id, lambda task, ctx: {"n": task.inputs["n"], "by": agent_id})
    try:
        for n in (1, 2):
            task_id = await submit(client, agent_id, n)
            view = await completed(client, task_id)
            assert view.outputs == {"n": n, "by": agent_id}
        # Past the confirmation window: the completions confirmed the deliveries, nothing was published to the inbox.
        await asyncio.sleep(stack["directConfirmMs"] / 1000 + 1)
        info = await inbox_of(nc, agent_id)
        assert (info.delivered.consumer_seq, info.num_pending, info.num_ack_pending) == (0, 0, 0)
    finally:
        await agent.stop(timeout=5)


async def test_without_waiting_the_agent_takes_its_assignments_from_the_inbox(stack: dict[str, Any], nc: NatsClient, client: CommandClient) -> None:
    agent_id = uid("py-inbox")
    agent = await started(stack, agent_id, lambda task, ctx: {"n": task.inputs["n"]}, await_assignments=False)
    try:
        task_id = await submit(client, agent_id, 3)
        view = await completed(client, task_id)
        assert view.outputs == {"n": 3}

        async def acked() -> Any:
            info = await inbox_of(nc, agent_id)
            return info if info.num_ack_pending == 0 else None

        info = await wait_for(acked, "the inbox message acknowledged")
        assert (info.delivered.consumer_seq, info.num_pending) == (1, 0)
    finally:
        await agent.stop(timeout=5)


async def test_a_task_that_outlives_the_window_is_worked_once_and_its_inbox_copy_acked_after_it(stack: dict[str, Any], nc: NatsClient, client: CommandClient) -> None:
    agent_id = uid("py-await-long")
    release, runs, handler = held_until_released(progress=True)
    agent = await started(stack, agent_id, handler)
    try:
        task_id = await submit(client, agent_id, 4)
        await wait_for(lambda: runs == [task_id], "the handler to start")
        assert (await inbox_of(nc, agent_id)).num_pending == 0

        async def copy_published() -> bool:
            # One slot, busy: the inbox loop does not fetch, so the copy waits in the consumer.
            info = await inbox_of(nc, agent_id)
            return bool(info.num_pending == 1)

        await wait_for(copy_published, "the scheduler to publish the inbox copy after its window", timeout=30)
        release.set()
        await completed(client, task_id)

        async def copy_acked() -> Any:
            info = await inbox_of(nc, agent_id)
            return info if (info.num_pending, info.num_ack_pending) == (0, 0) and info.delivered.consumer_seq >= 1 else None

        await wait_for(copy_acked, "the inbox copy fetched and acknowledged")
        await asyncio.sleep(0.5)
        assert runs == [task_id]
    finally:
        release.set()
        await agent.stop(timeout=5)


async def test_the_inbox_copy_of_a_running_awaited_task_is_kept_alive_and_acked_at_its_end(stack: dict[str, Any], nc: NatsClient, client: CommandClient) -> None:
    agent_id = uid("py-await-copy")
    release, runs, handler = held_until_released()
    # Two slots: with one free, the inbox loop fetches the copy while the task is being worked.
    agent = await started(stack, agent_id, handler, concurrency=2, inbox_ack_wait=2.0)
    try:
        task_id = await submit(client, agent_id, 5)
        await wait_for(lambda: runs == [task_id], "the handler to start")

        async def copy_in_hand() -> bool:
            info = await inbox_of(nc, agent_id)
            return bool(info.delivered.consumer_seq == 1 and info.num_ack_pending == 1)

        await wait_for(copy_in_hand, "the inbox copy delivered to the agent", timeout=30)
        # Longer than the ack wait (2 s): kept alive while the task runs, so not delivered again.
        await asyncio.sleep(3.0)
        info = await inbox_of(nc, agent_id)
        assert (info.delivered.consumer_seq, info.num_redelivered) == (1, 0)
        release.set()
        await completed(client, task_id)

        async def copy_acked() -> bool:
            return bool((await inbox_of(nc, agent_id)).num_ack_pending == 0)

        await wait_for(copy_acked, "the inbox copy acknowledged")
        assert runs == [task_id]
    finally:
        release.set()
        await agent.stop(timeout=5)

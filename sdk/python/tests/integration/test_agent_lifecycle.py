"""A Python agent against the real scheduler, agent-registry and handoff-validator."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from baton_agent import AgentProfile, BatonAgent, BatonError, CommandClient, Handoff, TaskContext, TaskFailure, messages
from baton_agent.models.incoming import AgentInboxAssignment

from .conftest import wait_for

pytestmark = pytest.mark.integration


def uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


async def submit(client: CommandClient, agent_id: str, action: str, inputs: dict[str, Any] | None = None) -> str:
    reply = await client.command(
        messages.SubmitTask,
        {"action": action, "requirement": {"agentId": agent_id}, "inputs": inputs or {}, "maxAttempts": 1},
    )
    return reply.task_id


async def task_view(client: CommandClient, task_id: str) -> Any:
    return await client.query(messages.GetTask, {"taskId": task_id})


async def task_in(client: CommandClient, task_id: str, *statuses: str, timeout: float = 60.0) -> Any:
    async def check() -> Any:
        view = await task_view(client, task_id)
        return view if view.status in statuses else None

    return await wait_for(check, f"task {task_id} {' or '.join(statuses)}", timeout)


async def test_register_is_idempotent_and_heartbeats_reach_the_registry(stack: dict[str, str], client: CommandClient) -> None:
    agent_id = uid("py-reg")
    agent = await BatonAgent.connect(agent_id, servers=stack["natsUrl"], heartbeat_interval=0.5)
    try:
        first = await agent.register(AgentProfile(role="backend_dev", name="Python agent", capabilities=["implement_backend"], model="sonnet", max_concurrency=2))
        again = await agent.register(AgentProfile(role="backend_dev", name="Python agent", capabilities=["implement_backend", "fix_bug"], max_concurrency=2))
        assert first["created"] is True
        assert again["created"] is False
        await agent.start(lambda task, ctx: {"ok": True})

        async def heartbeat_and_update_seen() -> Any:
            # The registry's read model catches up with the update and the heartbeat in its own time.
            view = await client.query(messages.GetAgent, {"agentId": agent_id})
            return view if view.last_heartbeat_at is not None and view.capabilities == ["implement_backend", "fix_bug"] else None

        view = await wait_for(heartbeat_and_update_seen, "the update and a heartbeat recorded by the registry")
        assert view.max_concurrency == 2
        assert view.status in ("available", "busy")
    finally:
        await agent.stop(timeout=5)


async def test_a_task_is_worked_with_progress_tokens_blocked_and_completed(stack: dict[str, str], client: CommandClient) -> None:
    agent_id = uid("py-work")
    activities: list[dict[str, Any]] = []
    seen: list[AgentInboxAssignment] = []

    async def handler(task: AgentInboxAssignment, ctx: TaskContext) -> dict[str, Any]:
        seen.append(task)
        await ctx.progress(25, "reading the ticket", 1200)
        await ctx.blocked("waiting for the database migration")
        await ctx.unblocked()
        await ctx.progress(90, "tests pass", 5400)
        return {"summary": f"did {task.action}", "files": 3}

    agent = await BatonAgent.connect(agent_id, servers=stack["natsUrl"], heartbeat_interval=1, on_activity=activities.append)
    try:
        await agent.register(AgentProfile(role="backend_dev", capabilities=["implement_backend"]))
        await agent.start(handler)
        task_id = await submit(client, agent_id, "implement_backend", {"ticket": "BE-1"})
        view = await task_in(client, task_id, "completed", "failed")
        assert view.status == "completed"
        assert view.outputs == {"summary": "did implement_backend", "files": 3}
        assert view.tokens_used == 5400
        assert view.agent_id == agent_id
        assert seen[0].inputs["ticket"] == "BE-1"
        assert seen[0].lease_epoch == view.lease_epoch
        kinds = [a["type"] for a in activities if a.get("task_id") == task_id]
        assert kinds == ["task.received", "task.progress", "task.blocked", "task.unblocked", "task.progress", "task.completed"]
    finally:
        await agent.stop(timeout=5)


async def test_a_raised_task_failure_fails_the_task_with_its_code(stack: dict[str, str], client: CommandClient) -> None:
    agent_id = uid("py-fail")

    def handler(task: AgentInboxAssignment, ctx: TaskContext) -> None:
        raise TaskFailure("the staging database is down", code="DB_DOWN", retryable=False)

    agent = await BatonAgent.connect(agent_id, servers=stack["natsUrl"])
    try:
        await agent.register(AgentProfile(role="backend_dev"))
        await agent.start(handler)
        task_id = await submit(client, agent_id, "implement_backend")
        view = await task_in(client, task_id, "failed", "completed")
        assert view.status == "failed"
        assert view.error is not None
        assert (view.error.code, view.error.message) == ("DB_DOWN", "the staging database is down")
    finally:
        await agent.stop(timeout=5)


CHECKS = {"mode": "handoff", "specIds": ["HO-DEV-SEC"], "toAgentIds": [], "declaredOutputs": None, "qualityGate": [], "criteria": []}
PULL_REQUEST = {"title": "Scheduled exports", "tests_passing": True, "lint_passing": True, "no_merge_conflicts": True}
CONTEXT = {"changed_files": ["src/exports/schedule.py"], "auth_changes": False, "data_access_changes": True, "dependency_updates": []}


async def test_a_rejected_handoff_comes_back_with_its_failures_and_the_fix_is_accepted(stack: dict[str, str], client: CommandClient) -> None:
    agent_id = uid("py-rework")
    reworks: list[Any] = []
    activities: list[dict[str, Any]] = []

    def handler(task: AgentInboxAssignment, ctx: TaskContext) -> Handoff:
        if ctx.rework is None:
            diff = "+def export():\n+    console.log('debug')\n"
            return Handoff(artifacts={"pull_request": PULL_REQUEST, "code_changes": diff}, context=CONTEXT, outputs={"code_coverage": 61})
        reworks.append(ctx.rework)
        assert task.inputs["rework"]["round"] == ctx.rework.round
        return Handoff(artifacts={"pull_request": PULL_REQUEST, "code_changes": "+def export():\n+    return schedule()\n"}, context=CONTEXT, outputs={"code_coverage": 87})

    agent = await BatonAgent.connect(agent_id, servers=stack["natsUrl"], on_activity=activities.append)
    try:
        await agent.register(AgentProfile(role="backend_dev"))
        await agent.start(handler)
        task_id = await submit(client, agent_id, "implement_backend", {"checks": CHECKS})
        view = await task_in(client, task_id, "completed", "failed")
        assert view.status == "completed"
        assert len(reworks) == 1
        rules = {f.rule for f in reworks[0].failures}
        assert any("code_coverage" in r for r in rules), rules
        assert any("no_console_logs" in r for r in rules), rules
        handoffs = (await client.query(messages.ListHandoffs, {"taskId": task_id})).handoffs
        assert [h.status for h in handoffs] == ["rejected", "accepted"]
        assert {a.name for a in handoffs[1].artifacts} == {"pull_request", "code_changes"}
        assert [a["type"] for a in activities if a["type"].startswith("task.handoff")] == ["task.handoff_rejected"]
    finally:
        await agent.stop(timeout=5)


async def test_a_task_given_to_another_agent_is_lost_with_stale_lease(stack: dict[str, str], client: CommandClient) -> None:
    first_id, second_id = uid("py-lease-a"), uid("py-lease-b")
    started = asyncio.Event()
    refused: list[BaseException] = []
    activities: list[dict[str, Any]] = []

    async def slow(task: AgentInboxAssignment, ctx: TaskContext) -> dict[str, Any]:
        await ctx.progress(10, "started")
        started.set()
        while True:
            await asyncio.sleep(0.2)
            try:
                await ctx.progress(20, "still working")
            except BatonError as err:
                refused.append(err)
                assert ctx.cancelled.is_set()
                raise

    first = await BatonAgent.connect(first_id, servers=stack["natsUrl"], on_activity=activities.append)
    second = await BatonAgent.connect(second_id, servers=stack["natsUrl"])
    try:
        await first.register(AgentProfile(role="backend_dev"))
        await second.register(AgentProfile(role="backend_dev"))
        await first.start(slow)
        await second.start(lambda task, ctx: {"by": second_id})
        task_id = await submit(client, first_id, "implement_backend")
        await asyncio.wait_for(started.wait(), 90)
        # The agent may start before the tasks read model shows the task (it is created assigned).
        before = await task_in(client, task_id, "assigned", "accepted")
        await client.command(messages.ReassignTask, {"taskId": task_id, "toAgentId": second_id, "reason": "the first agent is too slow"})
        view = await task_in(client, task_id, "completed", "failed")
        assert view.status == "completed"
        assert view.outputs == {"by": second_id}
        assert view.lease_epoch > before.lease_epoch
        await wait_for(lambda: any(a["type"] == "task.lost" for a in activities), "the first agent to drop the task")
        assert [getattr(e, "code", None) for e in refused] == ["STALE_LEASE"]
        assert not [a for a in activities if a["type"] in ("task.failed", "task.completed")]
    finally:
        await first.stop(timeout=5)
        await second.stop(timeout=5)


async def test_commands_are_validated_before_they_are_sent(stack: dict[str, str], client: CommandClient) -> None:
    with pytest.raises(BatonError) as refused:
        await client.command(messages.ReportProgress, {"taskId": "t-1", "agentId": "a", "leaseEpoch": 1, "percent": 140})
    assert refused.value.code == "VALIDATION_FAILED"
    with pytest.raises(BatonError) as missing:
        await client.query(messages.GetTask, {"taskId": uid("no-such-task")})
    assert missing.value.code == "NOT_FOUND"

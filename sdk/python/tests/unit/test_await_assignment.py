"""The await-assignment path without servers: the slots both paths share, the memory of finished
assignments, and an agent whose NATS connection is a fake that answers the long poll."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from baton_agent import BatonAgent, BatonError
from baton_agent.agent import _InFlight
from baton_agent.concurrency import ConcurrencyLimiter, RecentlyDone
from baton_agent.models.incoming import AgentInboxAssignment

AGENT = "py-unit"


def assignment(task_id: str = "t-1", lease_epoch: int = 1) -> dict[str, Any]:
    return {
        "kind": "task.assigned",
        "taskId": task_id,
        "runId": None,
        "stageId": None,
        "action": "implement_backend",
        "inputs": {"n": 1},
        "priority": "P1",
        "leaseEpoch": lease_epoch,
        "attempt": 1,
        "assignedAt": "2026-01-01T00:00:00.000Z",
    }


class FakeReply:
    def __init__(self, body: Any) -> None:
        self.data = json.dumps(body).encode()


class FakeNats:
    """Answers ``await-assignment`` with the queued assignments (then waits as the scheduler does)
    and every report with ``{ok: true}``; records what was sent."""

    def __init__(self, *assignments: dict[str, Any]) -> None:
        self.is_closed = False
        self.queued = list(assignments)
        self.sent: list[tuple[str, dict[str, Any], float]] = []

    async def request(self, subject: str, body: bytes, timeout: float) -> FakeReply:
        data = json.loads(body)["data"]
        self.sent.append((subject, data, timeout))
        if subject.endswith(".cmd.await-assignment"):
            if not self.queued:
                await asyncio.sleep(3600)
            return FakeReply({"ok": True, "data": {"assignment": self.queued.pop(0), "traceparent": "00-" + "1" * 32 + "-" + "2" * 16 + "-01"}})
        return FakeReply({"ok": True, "data": {"taskId": data["taskId"], "status": "completed", "leaseEpoch": data["leaseEpoch"], "revision": 3}})

    def subjects(self, suffix: str) -> list[str]:
        return [s for s, _, _ in self.sent if s.endswith(suffix)]


class FakeMsg:
    """An inbox message: records acks, naks and in-progress acks."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def ack(self) -> None:
        self.calls.append("ack")

    async def ack_sync(self, timeout: float = 1.0) -> None:
        self.calls.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.calls.append("nak")

    async def in_progress(self) -> None:
        self.calls.append("wpi")


def agent_on(nc: Any, **options: Any) -> BatonAgent:
    base: dict[str, Any] = dict(
        owns_connection=False,
        heartbeat_interval=5.0,
        inbox_ack_wait=0.3,
        inbox_stream_wait=1.0,
        max_reworks=5,
        commands=None,
        logger=None,
        on_activity=None,
    )
    return BatonAgent(nc, AGENT, **{**base, **options})


async def until(check: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


# -- slots -------------------------------------------------------------------------------------


async def test_free_waits_for_a_slot_without_taking_it() -> None:
    slots = ConcurrencyLimiter(1)
    await slots.free()
    assert slots.in_use == 0
    await slots.acquire()
    waiting = asyncio.create_task(slots.free())
    await asyncio.sleep(0.01)
    assert not waiting.done()
    slots.release()
    await asyncio.wait_for(waiting, 1)
    assert slots.in_use == 0


async def test_a_released_slot_goes_to_the_first_acquirer_and_a_cancelled_one_takes_none() -> None:
    slots = ConcurrencyLimiter(1)
    await slots.acquire()
    first = asyncio.create_task(slots.acquire())
    second = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0.01)
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    slots.release()
    await asyncio.wait_for(second, 1)
    assert slots.in_use == 1
    slots.release()
    assert slots.in_use == 0
    with pytest.raises(RuntimeError):
        slots.release()


async def test_a_slot_handed_over_to_a_waiter_cancelled_at_that_moment_is_given_back() -> None:
    slots = ConcurrencyLimiter(1)
    await slots.acquire()
    waiter = asyncio.create_task(slots.acquire())
    await asyncio.sleep(0.01)
    slots.release()  # hands the slot to the waiter, which has not run yet
    waiter.cancel()
    await asyncio.gather(waiter, return_exceptions=True)
    assert slots.in_use == 0


def test_recently_done_forgets_the_oldest_first() -> None:
    done = RecentlyDone(3)
    for k in ("a", "b", "c", "d"):
        done.add(k)
    assert "a" not in done
    assert all(k in done for k in ("b", "c", "d"))
    assert len(done) == 3


# -- deliveries ----------------------------------------------------------------------------------


async def test_ack_and_nak_of_an_assignment_received_by_reply_send_nothing() -> None:
    agent = agent_on(FakeNats())
    entry = _InFlight(msg=None, task=AgentInboxAssignment.model_validate(assignment()))
    await agent._nak(entry, 1.0)
    assert not entry.acked
    await agent._ack(entry)
    assert entry.acked


async def test_a_second_delivery_is_kept_to_ack_while_in_hand_and_only_acked_once_done() -> None:
    agent = agent_on(FakeNats())
    task = AgentInboxAssignment.model_validate(assignment())
    verdict, entry = agent._admit(task, None)
    assert verdict == "new" and entry is not None and entry.msg is None
    copy = FakeMsg()
    assert agent._admit(task, copy) == ("in-hand", None)
    assert entry.msg is copy  # the inbox's copy is what the end of the handling acknowledges
    other_epoch = AgentInboxAssignment.model_validate(assignment(lease_epoch=2))
    assert agent._admit(other_epoch, None)[0] == "new"


async def test_an_awaited_assignment_is_worked_once_and_its_inbox_copy_only_acked() -> None:
    nc = FakeNats(assignment("t-1"))
    agent = agent_on(nc)
    agent._slots = ConcurrencyLimiter(1)
    seen: list[str] = []

    def handler(task: AgentInboxAssignment, ctx: Any) -> dict[str, Any]:
        seen.append(task.task_id)
        return {"ok": True}

    loop = asyncio.create_task(agent._await_loop(handler))
    try:
        await until(lambda: nc.subjects(".cmd.complete-task") and not agent._in_flight)
        subject, data, timeout = next(s for s in nc.sent if s[0].endswith(".cmd.await-assignment"))
        assert subject == f"baton.agent.{AGENT}.cmd.await-assignment"
        assert data == {"agentId": AGENT, "waitMs": 20000}
        assert timeout == pytest.approx(25.0)
        assert nc.subjects(".cmd.complete-task") == [f"baton.agent.{AGENT}.cmd.complete-task"]
        # The scheduler's window passed before the completion: the inbox's copy comes later, and is only acked.
        copy = FakeMsg()
        await agent._take(AgentInboxAssignment.model_validate(assignment("t-1")), copy, handler)  # type: ignore[arg-type]
        assert copy.calls == ["ack"]
        assert seen == ["t-1"]
        assert agent._slots.in_use == 0
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_the_inbox_copy_of_a_running_awaited_assignment_is_kept_alive_and_acked_at_the_end() -> None:
    nc = FakeNats(assignment("t-2"))
    agent = agent_on(nc)
    agent._slots = ConcurrencyLimiter(1)
    release = asyncio.Event()
    runs = 0

    async def handler(task: AgentInboxAssignment, ctx: Any) -> dict[str, Any]:
        nonlocal runs
        runs += 1
        await release.wait()
        return {"ok": True}

    loop = asyncio.create_task(agent._await_loop(handler))
    try:
        await until(lambda: agent.active_tasks == ["t-2"])
        copy = FakeMsg()
        await agent._take(AgentInboxAssignment.model_validate(assignment("t-2")), copy, handler)  # type: ignore[arg-type]
        await until(lambda: "wpi" in copy.calls)  # kept alive while the handler runs (ack wait 0.3 s here)
        release.set()
        await until(lambda: not agent._in_flight)
        assert copy.calls[-1] == "ack" and "nak" not in copy.calls
        assert runs == 1
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)


async def test_a_scheduler_that_refuses_the_command_leaves_the_agent_to_its_inbox() -> None:
    class Refusing(FakeNats):
        async def request(self, subject: str, body: bytes, timeout: float) -> FakeReply:
            self.sent.append((subject, json.loads(body)["data"], timeout))
            return FakeReply({"ok": False, "error": {"code": "FORBIDDEN", "message": "no"}})

    nc = Refusing()
    agent = agent_on(nc, await_wait=2.5)
    agent._slots = ConcurrencyLimiter(1)
    await asyncio.wait_for(agent._await_loop(lambda task, ctx: None), 2)
    assert [d for _, d, _ in nc.sent] == [{"agentId": AGENT, "waitMs": 2500}]


def test_the_wait_is_checked() -> None:
    for bad in (0, -1, 61):
        with pytest.raises(BatonError) as refused:
            agent_on(FakeNats(), await_wait=bad)
        assert refused.value.code == "VALIDATION_FAILED"
    with pytest.raises(BatonError):
        agent_on(FakeNats(), await_parallel=0)

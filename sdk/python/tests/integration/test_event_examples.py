"""The documented examples (examples/event-subscriptions/, one TypeScript, one Python) follow real
task events from a position, and a restart of either goes on where it stopped."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
import uuid

import pytest

from baton_agent import CommandClient, messages

from .conftest import REPO, node_binary, wait_for

pytestmark = pytest.mark.integration

EXAMPLES = REPO / "examples" / "event-subscriptions"


class Follower:
    def __init__(self, command: list[str], nats_url: str) -> None:
        self.lines: list[str] = []
        self.proc = subprocess.Popen(command, cwd=REPO, env={**os.environ, "NODE_OPTIONS": "", "NATS_URL": nats_url}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def commands(kind: str, durable: str, subject: str) -> list[str]:
    args = ["--durable", durable, "--subject", subject, "--from-sequence", "1"]
    if kind == "typescript":
        return [node_binary(), "-r", "@swc-node/register", str(EXAMPLES / "follow-events.ts"), *args]
    return [sys.executable, str(EXAMPLES / "follow_events.py"), *args]


@pytest.mark.parametrize("kind", ["typescript", "python"])
async def test_the_example_follows_events_across_a_restart(stack: dict[str, str], client: CommandClient, kind: str) -> None:
    task_ids = [f"ex-{kind[:2]}-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    durable = f"example-{kind}-{uuid.uuid4().hex[:8]}"
    subject = "baton.evt.task.cancelled"

    async def cancelled_task(task_id: str) -> None:
        await client.command(messages.SubmitTask, {"taskId": task_id, "action": "nobody_does_this", "requirement": {"agentId": "nobody-here"}})
        await client.command(messages.CancelTask, {"taskId": task_id, "reason": "example"})

    async def follow_until_printed(task_id: str, what: str) -> list[str]:
        """Runs the example until it prints the event of ``task_id``, stops it, and returns what it printed."""
        follower = Follower(commands(kind, durable, subject), stack["natsUrl"])
        try:
            await wait_for(lambda: any(f"task-{task_id}" in line for line in follower.lines), what, timeout=60)
        finally:
            await asyncio.to_thread(follower.stop)
        return follower.lines

    await cancelled_task(task_ids[0])
    first = await follow_until_printed(task_ids[0], "the first event printed")
    assert any(line.startswith("stopped after #") for line in first), first

    await cancelled_task(task_ids[1])
    second = await follow_until_printed(task_ids[1], "the event published while it was stopped")
    assert not any(f"task-{task_ids[0]}" in line for line in second), second
    printed = [line for line in first + second if line.startswith("#")]
    assert len(printed) == len(set(printed))

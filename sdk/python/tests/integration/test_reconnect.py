"""The agent survives a dropped connection: nats-py reconnects, the inbox and heartbeats resume.
The connection goes through a TCP relay the test cuts (the server itself keeps running)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any
from urllib.parse import urlparse

import pytest

from baton_agent import AgentProfile, BatonAgent, CommandClient, messages

from .conftest import wait_for

pytestmark = pytest.mark.integration


class TcpRelay:
    """Forwards 127.0.0.1:<port> to the NATS server; :meth:`cut` closes every open connection."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"nats://127.0.0.1:{port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        for w in self.writers:
            w.close()
        self.writers.clear()

    async def close(self) -> None:
        self.cut()
        if self.server is not None:
            self.server.close()


async def test_the_agent_reconnects_and_works_the_next_task(stack: dict[str, str], client: CommandClient) -> None:
    target = urlparse(stack["natsUrl"])
    relay = TcpRelay(target.hostname or "127.0.0.1", target.port or 4222)
    url = await relay.start()
    agent_id = f"py-reconnect-{uuid.uuid4().hex[:8]}"
    activities: list[dict[str, Any]] = []
    agent = await BatonAgent.connect(agent_id, servers=url, reconnect_time_wait=0.2, heartbeat_interval=0.5, on_activity=activities.append)

    async def completed(task_id: str) -> bool:
        view = await client.query(messages.GetTask, {"taskId": task_id})
        return view.status == "completed"

    try:
        await agent.register(AgentProfile(role="backend_dev"))
        await agent.start(lambda task, ctx: {"n": task.inputs["n"]})
        first = await client.command(messages.SubmitTask, {"action": "implement_backend", "requirement": {"agentId": agent_id}, "inputs": {"n": 1}})
        await wait_for(lambda: completed(first.task_id), "the first task completed")

        relay.cut()
        await wait_for(lambda: any(a["type"] == "connection.reconnected" for a in activities), "the reconnect", timeout=90)
        assert any(a["type"] == "connection.disconnected" for a in activities)

        second = await client.command(messages.SubmitTask, {"action": "implement_backend", "requirement": {"agentId": agent_id}, "inputs": {"n": 2}})
        await wait_for(lambda: completed(second.task_id), "the task after the reconnect completed", timeout=60)
        view = await client.query(messages.GetTask, {"taskId": second.task_id})
        assert view.outputs == {"n": 2}
    finally:
        await agent.stop(timeout=5)
        await relay.close()

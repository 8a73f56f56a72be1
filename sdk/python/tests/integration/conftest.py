"""The real stack for the integration tests: tests/support/stack.ts starts a private nats-server,
a fresh Postgres database and the compiled Baton services, the way the e2e tier does."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, AsyncIterator, Iterator

import nats
import pytest
from nats.aio.client import Client as NatsClient

from baton_agent import CommandClient, CommandOptions

REPO = Path(__file__).resolve().parents[4]
STACK_TIMEOUT = 240.0


def node_binary() -> str:
    """The repository's pinned Node (what `npm run` puts first on PATH)."""
    local = REPO / "node_modules" / ".bin" / "node"
    return str(local) if local.exists() else "node"


def start_stack(*args: str) -> Iterator[dict[str, Any]]:
    """Runs tests/support/stack.ts with ``args`` until the session ends; yields what it printed."""
    log = tempfile.NamedTemporaryFile(prefix="baton-py-stack-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        [node_binary(), "-r", "@swc-node/register", "sdk/python/tests/support/stack.ts", *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        env={**os.environ, "NODE_OPTIONS": ""},
    )
    line: list[bytes] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline() if proc.stdout else b""), daemon=True)
    reader.start()
    reader.join(STACK_TIMEOUT)
    if not line or not line[0].strip():
        proc.kill()
        proc.wait()
        raise RuntimeError(f"the Baton stack did not start within {STACK_TIMEOUT} s:\n{Path(log.name).read_text()[-4000:]}")
    try:
        yield json.loads(line[0])
    finally:
        if proc.stdin:
            proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def stack() -> Iterator[dict[str, Any]]:
    """NATS with auth off."""
    yield from start_stack()


AUTH_AGENTS = ("py-id-a", "py-id-b")
AUTH_READER = "py-id-reader"


@pytest.fixture(scope="session")
def auth_stack() -> Iterator[dict[str, Any]]:
    """NATS with decentralized auth on; credentials for an admin, the agents AUTH_AGENTS and the reader AUTH_READER."""
    yield from start_stack("--auth", "--agents", ",".join(AUTH_AGENTS), "--readers", AUTH_READER)


@pytest.fixture
async def nc(stack: dict[str, str]) -> AsyncIterator[NatsClient]:
    """A plain NATS connection for the test's own commands and queries (the people's side)."""
    conn = await nats.connect(stack["natsUrl"], name="py-sdk-test")
    try:
        yield conn
    finally:
        await conn.drain()


@pytest.fixture
async def client(nc: NatsClient) -> CommandClient:
    return CommandClient(nc, CommandOptions(request_timeout=20.0))


async def wait_for(check: Any, what: str, timeout: float = 60.0, interval: float = 0.1) -> Any:
    """Polls ``check`` (sync or async) until it returns something truthy; fails naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: BaseException | None = None
    while loop.time() < deadline:
        try:
            value = check()
            if asyncio.iscoroutine(value):
                value = await value
            if value:
                return value
        except Exception as err:  # noqa: BLE001 - kept for the failure message
            last = err
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}" + (f" (last error: {last!r})" if last else ""))

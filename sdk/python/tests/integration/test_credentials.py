"""Credentials given to BatonAgent.connect reach the NATS server: a server that requires a
user and password, or a token, lets the agent in with them and refuses it without."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Iterator

import pytest

from baton_agent import BatonAgent, BatonError

pytestmark = pytest.mark.integration


def nats_server_binary() -> str:
    candidates = [os.environ.get("BATON_NATS_SERVER"), str(Path.home() / ".cache" / "baton" / "bin" / "nats-server"), shutil.which("nats-server")]
    found = next((c for c in candidates if c and Path(c).exists()), None)
    if found is None:
        raise RuntimeError("no nats-server binary: run `npm run infra:up` (it installs one under ~/.cache/baton/bin)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(params=["user", "token"])
def guarded_server(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    port = free_port()
    auth = ["--user", "py-agent", "--pass", "s3cret"] if request.param == "user" else ["--auth", "t0ken-for-py"]
    proc = subprocess.Popen([nats_server_binary(), "-a", "127.0.0.1", "-p", str(port), *auth], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        yield request.param, f"nats://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_the_agent_connects_with_its_credentials_and_not_without(guarded_server: tuple[str, str]) -> None:
    kind, url = guarded_server
    good = {"user": "py-agent", "password": "s3cret"} if kind == "user" else {"token": "t0ken-for-py"}
    bad = {"user": "py-agent", "password": "wrong"} if kind == "user" else {"token": "not-the-token"}

    agent = await BatonAgent.connect("py-cred-1", servers=url, **good)
    try:
        assert agent.nc.is_connected
    finally:
        await agent.stop()

    for options in (bad, {}):
        with pytest.raises(BatonError) as refused:
            await BatonAgent.connect("py-cred-2", servers=url, reconnect_time_wait=0.1, **options)
        assert refused.value.code == "UNAVAILABLE"
        assert "cannot connect to NATS" in refused.value.message


async def test_no_server_at_the_address_is_unavailable() -> None:
    with pytest.raises(BatonError) as refused:
        await BatonAgent.connect("py-cred-3", servers=f"nats://127.0.0.1:{free_port()}", reconnect_time_wait=0.1)
    assert refused.value.code == "UNAVAILABLE"


async def test_an_agent_id_that_is_not_one_subject_token_is_refused() -> None:
    with pytest.raises(BatonError) as refused:
        await BatonAgent.connect("has.a.dot", servers="nats://127.0.0.1:1")
    assert refused.value.code == "VALIDATION_FAILED"

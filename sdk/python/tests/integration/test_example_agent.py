"""The README's quick start: examples/agent.py --demo against a running Baton."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from .conftest import AUTH_AGENTS, REPO

pytestmark = pytest.mark.integration


def test_the_example_agent_works_its_demo_task(stack: dict[str, str]) -> None:
    r = subprocess.run(
        [sys.executable, "examples/agent.py", "--demo", "--id", "py-example-test"],
        cwd=REPO / "sdk" / "python",
        env={**os.environ, "NATS_URL": stack["natsUrl"]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "task.received" in r.stdout
    assert "task.completed" in r.stdout
    assert ": completed, 4200 tokens" in r.stdout


def test_the_example_agent_works_with_its_credentials_on_an_auth_on_server(auth_stack: dict[str, Any]) -> None:
    agent_id = AUTH_AGENTS[1]
    r = subprocess.run(
        [sys.executable, "examples/agent.py", "--demo", "--id", agent_id],
        cwd=REPO / "sdk" / "python",
        env={**os.environ, "NATS_URL": auth_stack["natsUrl"], "NATS_CREDS": auth_stack["agents"][agent_id]},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert ": completed, 4200 tokens" in r.stdout

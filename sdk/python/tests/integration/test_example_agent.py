"""The README's quick start: examples/agent.py --demo against a running Baton."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .conftest import REPO

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

"""Acceptance: Feature Development (examples/workflows/feature-development.yml) runs to success with
the backend developer, MCT-BE-001, a Python agent, next to the TypeScript team (tools/sim-agents,
compiled, as a process): in the implementation stage the Python backend works beside the
TypeScript frontend and DBA. Its first handoff breaks the Dev → Security spec (HO-DEV-SEC), comes
back with the failures, and the fixed one is accepted by the handoff-validator."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from typing import Any

import pytest

from baton_agent import AgentProfile, BatonAgent, CommandClient, Handoff, TaskContext, messages
from baton_agent.models.incoming import AgentInboxAssignment

from .conftest import REPO, node_binary, wait_for

pytestmark = pytest.mark.integration

TYPESCRIPT_TEAM = [
    "MCT-CPO-001",
    "MCT-PM-001",
    "MCT-UXD-001",
    "MCT-PD-001",
    "MCT-ARCH-001",
    "MCT-FE-001",
    "MCT-DBA-001",
    "MCT-SEC-001",
    "MCT-QA-001",
    "MCT-OPS-001",
    # The `complete` stage's cleanup steps (archive_artifacts, close_tickets) go to the housekeeping agent.
    "MCT-HK-001",
]
PYTHON_BACKEND = "MCT-BE-001"

PULL_REQUEST = {"title": "Scheduled report exports: API", "tests_passing": True, "lint_passing": True, "no_merge_conflicts": True}
CONTEXT = {
    "changed_files": ["src/exports/schedule.service.ts", "src/exports/schedule.controller.ts"],
    "auth_changes": False,
    "data_access_changes": True,
    "dependency_updates": [],
}
DIFF_WITH_DEBUG_LOG = "+export function schedule(report) {\n+  console.log('scheduling', report);\n+  return queue.add(report);\n+}\n"
CLEAN_DIFF = "+export function schedule(report) {\n+  return queue.add(report);\n+}\n"


class SimAgents:
    """tools/sim-agents with --json: one JSON object per line on stdout."""

    def __init__(self, nats_url: str, only: list[str]) -> None:
        self.lines: list[dict[str, Any]] = []
        self.proc = subprocess.Popen(
            [
                node_binary(),
                "--enable-source-maps",
                "tools/sim-agents/dist/main.js",
                "--json",
                "--agents",
                "examples/agents.yaml",
                "--only",
                ",".join(only),
                "--duration-ms",
                "20-60",
                "--steps",
                "2",
                "--heartbeat-ms",
                "1000",
                "--ack-wait-ms",
                "5000",
                "--seed",
                "12",
            ],
            cwd=REPO,
            env={**os.environ, "NODE_OPTIONS": "", "NATS_URL": nats_url},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                self.lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def backend(feedback: list[Any]):
    async def implement(task: AgentInboxAssignment, ctx: TaskContext) -> Handoff | dict[str, Any]:
        if task.action == "approve_stage":
            return {"decision": "approved", "reason": "the backend is fine with it"}
        await ctx.progress(30, "schema and service written", 2100)
        if ctx.rework is None:
            return Handoff(artifacts={"pull_request": PULL_REQUEST, "code_changes": DIFF_WITH_DEBUG_LOG}, context=CONTEXT, outputs={"code_coverage": 64})
        feedback.append(ctx.rework)
        await ctx.progress(80, f"fixing {len(ctx.rework.failures)} finding(s) of the handoff check", 3900)
        return Handoff(artifacts={"pull_request": PULL_REQUEST, "code_changes": CLEAN_DIFF}, context=CONTEXT, outputs={"code_coverage": 88})

    return implement


def baton_cli(nats_url: str, database_url: str, user: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [node_binary(), "tools/cli/bin/baton.js", "--nats", nats_url, *args],
        cwd=REPO,
        env={**os.environ, "NODE_OPTIONS": "", "NATS_URL": nats_url, "DATABASE_URL": database_url, "BATON_USER": user},
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_feature_development_runs_with_a_python_backend_next_to_typescript_agents(stack: dict[str, str], client: CommandClient) -> None:
    nats_url = stack["natsUrl"]
    team = SimAgents(nats_url, TYPESCRIPT_TEAM)
    feedback: list[Any] = []
    activities: list[dict[str, Any]] = []
    agent = await BatonAgent.connect(PYTHON_BACKEND, servers=nats_url, heartbeat_interval=1, inbox_ack_wait=5, on_activity=activities.append)
    try:
        await agent.register(AgentProfile(role="backend_dev", name="Backend Dev Agent (Python)", capabilities=["implement_backend", "fix_bug"], max_concurrency=2))
        await agent.start(backend(feedback))
        await wait_for(lambda: any(line.get("type") == "sim.ready" for line in team.lines), "the TypeScript team ready", timeout=180)

        yaml = (REPO / "examples/workflows/feature-development.yml").read_text()
        workflow = await client.command(messages.RegisterWorkflow, {"yaml": yaml, "file": "feature-development.yml"})
        run_id = (await client.command(messages.StartRun, {"workflowId": workflow.workflow_id, "params": {}, "priority": "P1"})).run_id

        async def deploy_awaits_approval() -> bool:
            run = await client.query(messages.GetRun, {"runId": run_id})
            assert run.state == "running", f"run ended early: {run.state}"
            return any(s.step_id == "production_deploy" for s in run.steps)

        await wait_for(deploy_awaits_approval, "the run at production_deploy", timeout=400, interval=0.5)

        async def approved() -> bool:
            r = await asyncio.to_thread(baton_cli, nats_url, stack["databaseUrl"], "release-manager", "approve", run_id, "production_deploy", "--reason", "change window open")
            return r.returncode == 0

        await wait_for(approved, "production_deploy approved through the CLI", timeout=180, interval=1)

        async def finished() -> Any:
            run = await client.query(messages.GetRun, {"runId": run_id})
            return run if run.state != "running" else None

        run = await wait_for(finished, "the run finished", timeout=300, interval=0.5)
        assert run.state == "success"

        # The implementation stage: the Python backend's handoff, rejected once and then accepted.
        handoffs = (await client.query(messages.ListHandoffs, {"runId": run_id, "limit": 1000})).handoffs
        implementation = [h for h in handoffs if h.stage_id == "implementation"]
        from_python = [h for h in implementation if h.from_agent_id == PYTHON_BACKEND]
        assert [h.status for h in from_python] == ["rejected", "accepted"]
        assert "HO-DEV-SEC" in from_python[1].spec_ids
        assert {a.name for a in from_python[1].artifacts} == {"pull_request", "code_changes"}
        assert all(a.hash.startswith("sha256:") for a in from_python[1].artifacts)
        rules = " ".join(f"{f.rule} {f.message}" for f in from_python[0].failures)
        assert "no_console_logs" in rules and "code_coverage" in rules
        assert [[f.rule for f in r.failures] for r in feedback] == [[f.rule for f in from_python[0].failures]]
        # Beside it, in the same stage, the TypeScript agents' work.
        typescript_agents = {h.from_agent_id for h in implementation if h.status == "accepted"} - {PYTHON_BACKEND}
        worked_by_typescript = {line.get("agentId") for line in team.lines if line.get("type") == "task.completed"}
        assert {"MCT-FE-001", "MCT-DBA-001"} <= worked_by_typescript
        assert typescript_agents <= set(TYPESCRIPT_TEAM)
        completed = [a for a in activities if a["type"] == "task.completed" and a["action"] == "implement_backend"]
        assert len(completed) == 1
    finally:
        await agent.stop(timeout=5)
        await asyncio.to_thread(team.stop)

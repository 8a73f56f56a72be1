"""An example Baton agent in Python: a backend developer that works `implement_backend` tasks.

    NATS_URL=nats://127.0.0.1:4222 python examples/agent.py          work tasks until Ctrl-C
    NATS_URL=nats://127.0.0.1:4222 python examples/agent.py --demo   submit one task to itself, work it, exit

With NATS auth on, NATS_CREDS names the agent's .creds file (`baton agents credentials <id>`).

It reports progress with tokens, hands over a pull request and the diff as artifacts, and on a
rejected handoff fixes what the failures name and hands over again.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import uuid

from baton_agent import AgentProfile, AgentTask, BatonAgent, Handoff, NotFoundError, TaskContext, TaskFailure, messages


async def implement(task: AgentTask, ctx: TaskContext) -> Handoff:
    if task.action != "implement_backend":
        raise TaskFailure(f"cannot do {task.action}", code="UNSUPPORTED")
    ticket = task.inputs.get("ticket", task.task_id)
    await ctx.progress(20, f"reading {ticket}", tokens_used=900)
    if ctx.rework is not None:
        for failure in ctx.rework.failures:
            ctx.log.info("fixing: %s", failure.message)
    await ctx.progress(80, "tests pass", tokens_used=4200)
    return Handoff(
        artifacts={
            "pull_request": {"title": f"{ticket}: scheduled exports", "tests_passing": True, "lint_passing": True, "no_merge_conflicts": True},
            "code_changes": "+def schedule(report):\n+    return queue.add(report)\n",
        },
        context={"changed_files": ["exports/schedule.py"], "auth_changes": False, "data_access_changes": True, "dependency_updates": []},
        outputs={"code_coverage": 88},
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--id", default=os.environ.get("AGENT_ID", "py-backend-1"))
    parser.add_argument("--demo", action="store_true", help="submit one task to this agent, work it, print it and exit")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

    agent = await BatonAgent.connect(
        args.id,
        servers=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"),
        token=os.environ.get("NATS_TOKEN"),
        on_activity=lambda a: print(a["type"], a.get("task_id", ""), a.get("percent", "")),
    )
    await agent.register(AgentProfile(role="backend_dev", name="Python backend", capabilities=["implement_backend"], max_concurrency=2))
    await agent.start(implement)

    if args.demo:
        reply = await agent.command(
            messages.SubmitTask,
            {"taskId": f"py-demo-{uuid.uuid4().hex[:8]}", "action": "implement_backend", "requirement": {"agentId": args.id}, "inputs": {"ticket": "BE-42"}},
        )
        view = None
        for _ in range(300):
            try:
                view = await agent.query(messages.GetTask, {"taskId": reply.task_id})
            except NotFoundError:
                pass  # the scheduler's read model has not caught up with the submission yet
            if view is not None and view.status in ("completed", "failed", "cancelled"):
                break
            await asyncio.sleep(0.1)
        assert view is not None
        print(f"task {view.task_id}: {view.status}, {view.tokens_used} tokens")
        await agent.stop()
        return

    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await agent.stop(timeout=30)  # drain: finish the tasks in hand


if __name__ == "__main__":
    asyncio.run(main())

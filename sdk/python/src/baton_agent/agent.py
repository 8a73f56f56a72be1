"""An agent on Baton: registers its profile, heartbeats, and works the tasks the scheduler
assigns it, with at most ``max_concurrency`` at a time: as the reply of an ``await-assignment``
long poll while a slot is free, and from its durable inbox. The Python twin of ``BatonAgent`` in
libs/agent-sdk (same subjects, consumer, command ids and lease handling)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable, Mapping, Sequence

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from .concurrency import ConcurrencyLimiter, RecentlyDone
from .errors import BatonError, TaskFailure, UnavailableError, ValidationError, error_code_of, failure_of
from .models import messages as m
from .models.incoming import AgentInboxAssignment, CompleteTaskReply, RuleFailure
from .models.outgoing import AgentHeartbeat
from .outcome import Handoff, artifacts_of, outputs_of, settlement_of
from .wire import CommandClient, CommandOptions, decode_json, next_delay, pull, report_command_id, unsubscribe_quietly

AgentTask = AgentInboxAssignment
"""The task as a handler gets it: the inbox assignment (action, inputs, lease epoch, attempt …)."""

Activity = dict[str, Any]
"""Everything an agent does, as plain data (``type``: ``registered``, ``task.received``,
``task.progress``, ``task.blocked``, ``task.unblocked``, ``task.completed``,
``task.handoff_rejected``, ``task.failed``, ``task.lost``, ``task.rejected``, ``task.deferred``,
``connection.disconnected``, ``connection.reconnected``), for UIs, logs and tests."""

TaskHandler = Callable[[AgentTask, "TaskContext"], "Awaitable[Mapping[str, Any] | Handoff | None] | Mapping[str, Any] | Handoff | None"]

DEFAULT_MAX_REWORKS = 5
"""Rework rounds after handoff rejections before the SDK fails the task."""

_AGENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_KEEPALIVE_FRACTION = 3
_RECENTLY_DONE = 1024
"""Assignments finished lately, remembered so a late second delivery of one (the inbox's copy) is only acknowledged."""
_AWAIT_PARALLEL_MAX = 16
_AWAIT_RETRY_MIN, _AWAIT_RETRY_MAX = 1.0, 30.0
_AWAIT_REPLY_GRACE = 5.0
"""How much longer than its ``waitMs`` the SDK waits for the reply of an ``await-assignment``."""


def inbox_consumer_name(agent_id: str) -> str:
    """Durable consumer name of an agent's inbox (JetStream names allow no dots)."""
    return m.AGENT_INBOX_CONSUMER.replace("{agentId}", re.sub(r"[^A-Za-z0-9_-]", "_", agent_id))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class AgentProfile:
    """An agent's profile as the registry keeps it (``register-agent`` data without the id)."""

    role: str
    name: str | None = None
    capabilities: Sequence[str] = ()
    model: str | None = None
    max_concurrency: int = 1
    """Tasks worked at once; also the inbox handler's concurrency."""
    peers: Sequence[str] = ()
    lead: str | None = None


@dataclass(frozen=True)
class Rework:
    """Why the handler is called again: the handoff checks refused the last completion."""

    round: int
    handoff_id: str
    failures: list[RuleFailure]


def _assignment_key(task: AgentTask) -> str:
    return f"{task.task_id}#{task.lease_epoch}"


@dataclass
class _InFlight:
    """One assignment in hand. ``msg`` is the inbox message to ack, nak or keep alive; ``None``
    for an assignment that came as the reply of ``await-assignment``, which has nothing to
    acknowledge (the scheduler counts it delivered once the lease ends) until the inbox's copy of
    it arrives (the task outlived the scheduler's window): that copy becomes ``msg``."""

    msg: Msg | None
    task: AgentTask
    cancelled: asyncio.Event = field(default_factory=asyncio.Event)
    aborted_by: str | None = None
    report_error: BaseException | None = None
    runner: asyncio.Task[None] | None = None
    acked: bool = False
    """The handling ended with an acknowledgement (completed, failed, lost or rejected), not given back."""


class TaskContext:
    """What a handler can do while it works one task. Every report carries the task's lease epoch;
    a report refused with STALE_LEASE raises, sets :attr:`cancelled`, and ends the task quietly."""

    def __init__(self, agent: BatonAgent, entry: _InFlight, rework: Rework | None) -> None:
        self._agent = agent
        self._entry = entry
        self.rework = rework
        """Set on a rework round: the failures of the refused handoff (also in ``task.inputs["rework"]``)."""
        self.log = agent.log

    @property
    def agent_id(self) -> str:
        return self._agent.agent_id

    @property
    def task_id(self) -> str:
        return self._entry.task.task_id

    @property
    def lease_epoch(self) -> int:
        return self._entry.task.lease_epoch

    @property
    def attempt(self) -> int:
        return self._entry.task.attempt

    @property
    def cancelled(self) -> asyncio.Event:
        """Set when the task is lost (STALE_LEASE) or :meth:`BatonAgent.stop` runs out of time."""
        return self._entry.cancelled

    async def progress(self, percent: float, message: str | None = None, tokens_used: int | None = None) -> None:
        """Reports progress (0-100), with an optional message and the tokens used so far."""
        data: dict[str, Any] = {**self._report(), "percent": percent}
        if message is not None:
            data["message"] = message
        if tokens_used is not None:
            data["tokensUsed"] = tokens_used
        await self._guard(self._agent._client.command(m.ReportProgress, data))
        extra = {k: v for k, v in (("message", message), ("tokens_used", tokens_used)) if v is not None}
        self._agent._emit_task(self._entry.task, "task.progress", percent=percent, **extra)

    async def blocked(self, reason: str) -> None:
        """Reports the task blocked (waiting on something outside the agent)."""
        await self._guard(self._agent._client.command(m.ReportBlocked, {**self._report(), "reason": reason}))
        self._agent._emit_task(self._entry.task, "task.blocked", reason=reason)

    async def unblocked(self) -> None:
        """Reports the task unblocked."""
        await self._guard(self._agent._client.command(m.ReportUnblocked, self._report()))
        self._agent._emit_task(self._entry.task, "task.unblocked")

    def _report(self) -> dict[str, Any]:
        return {"taskId": self.task_id, "agentId": self.agent_id, "leaseEpoch": self.lease_epoch}

    async def _guard(self, send: Awaitable[Any]) -> Any:
        entry = self._entry
        if entry.report_error is not None:
            if inspect.iscoroutine(send):
                send.close()
            raise entry.report_error
        try:
            return await send
        except BatonError as err:
            settlement, _ = settlement_of(err)
            if settlement != "deferred":
                entry.report_error = err
                if settlement == "lost":
                    entry.aborted_by = "lost"
                    entry.cancelled.set()
            raise


class BatonAgent:
    """An agent on Baton. Make one with :meth:`connect`, then :meth:`register` and :meth:`start`.

    >>> agent = await BatonAgent.connect("MCT-BE-001", servers="nats://127.0.0.1:4222")
    >>> await agent.register(AgentProfile(role="backend_dev", capabilities=["implement_backend"]))
    >>> await agent.start(handler)
    """

    def __init__(
        self,
        nc: NatsClient,
        agent_id: str,
        *,
        owns_connection: bool,
        heartbeat_interval: float,
        inbox_ack_wait: float,
        inbox_stream_wait: float,
        max_reworks: int,
        commands: CommandOptions | None,
        logger: logging.Logger | None,
        on_activity: Callable[[Activity], None] | None,
        await_assignments: bool = True,
        await_wait: float = 20.0,
        await_parallel: int | None = None,
    ) -> None:
        if not 0 < await_wait <= 60:
            raise ValidationError(f"await_wait must be more than 0 and at most 60 seconds, got {await_wait}")
        if await_parallel is not None and await_parallel < 1:
            raise ValidationError(f"await_parallel must be a positive integer, got {await_parallel}")
        self.nc = nc
        self._agent_id = agent_id
        self._owns_connection = owns_connection
        self._heartbeat_interval = heartbeat_interval
        self._inbox_ack_wait = inbox_ack_wait
        self._inbox_stream_wait = inbox_stream_wait
        self._max_reworks = max_reworks
        self._await_assignments = await_assignments
        self._await_wait_ms = max(1, round(await_wait * 1000))
        self._await_parallel = await_parallel
        self._client = CommandClient(nc, commands, as_agent=agent_id)
        self.log = logger or logging.getLogger(f"baton_agent.{agent_id}")
        self._on_activity = on_activity
        self._in_flight: dict[str, _InFlight] = {}
        self._profile: AgentProfile | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._loop: asyncio.Task[None] | None = None
        self._waiters: list[asyncio.Task[None]] = []
        self._slots: ConcurrencyLimiter | None = None
        self._recently_done = RecentlyDone(_RECENTLY_DONE)
        self._sub: Any = None
        self._running = False
        self._stopping = False

    @classmethod
    async def connect(
        cls,
        agent_id: str,
        *,
        servers: str | Sequence[str] = "nats://127.0.0.1:4222",
        connection: NatsClient | None = None,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        creds_file: str | None = None,
        nkey_seed: str | None = None,
        nkey_seed_file: str | None = None,
        heartbeat_interval: float = 5.0,
        inbox_ack_wait: float = 10.0,
        inbox_stream_wait: float = 30.0,
        max_reworks: int = DEFAULT_MAX_REWORKS,
        commands: CommandOptions | None = None,
        logger: logging.Logger | None = None,
        on_activity: Callable[[Activity], None] | None = None,
        await_assignments: bool = True,
        await_wait: float = 20.0,
        await_parallel: int | None = None,
        max_reconnect_attempts: int = -1,
        reconnect_time_wait: float = 2.0,
        connect_attempts: int = 3,
    ) -> BatonAgent:
        """Connects to NATS (or takes ``connection``, which :meth:`stop` then leaves open).
        Nothing is sent yet: call :meth:`register`, then :meth:`start`.

        Credentials go to nats-py as they are: ``user``/``password``, ``token``, ``creds_file``
        (a ``.creds`` file with the user JWT and NKey seed; default the ``NATS_CREDS`` variable,
        as in the TypeScript SDK), ``nkey_seed`` (the seed itself) or
        ``nkey_seed_file``; the last three need nats-py's ``nkeys`` extra (``pip install baton-agent[nkeys]``).
        The first connection is tried ``connect_attempts`` times per server, then UNAVAILABLE is
        raised (wrong credentials or no server fail fast, as in the TypeScript SDK); once connected,
        the connection reconnects on its own (``max_reconnect_attempts=-1``: forever), and the
        inbox and heartbeats resume when it is back.

        ``await_assignments`` (default True): while a slot is free, also wait on the scheduler for
        the next assignment (``await-assignment``, a long poll of ``await_wait`` seconds, at most
        60; ``await_parallel`` requests at once, default the concurrency, at most 16). An
        assignment made while a request waits is its reply: one NATS message where the inbox takes
        four. The inbox stays the durable path (what is assigned while no request waits, and an
        assignment still running after the scheduler's window). False: the inbox alone.
        """
        if not _AGENT_ID.match(agent_id):
            raise ValidationError(f'agent id "{agent_id}" must be one NATS subject token: letters, digits, dash or underscore')
        holder: dict[str, BatonAgent] = {}
        options = dict(
            owns_connection=connection is None,
            heartbeat_interval=heartbeat_interval,
            inbox_ack_wait=inbox_ack_wait,
            inbox_stream_wait=inbox_stream_wait,
            max_reworks=max_reworks,
            commands=commands,
            logger=logger,
            on_activity=on_activity,
            await_assignments=await_assignments,
            await_wait=await_wait,
            await_parallel=await_parallel,
        )
        if connection is not None:
            return cls(connection, agent_id, **options)  # type: ignore[arg-type]

        async def disconnected() -> None:
            if "agent" in holder and not holder["agent"]._stopping:
                holder["agent"]._emit({"type": "connection.disconnected", "agent_id": agent_id})

        async def reconnected() -> None:
            if "agent" in holder:
                holder["agent"]._emit({"type": "connection.reconnected", "agent_id": agent_id})

        async def error(err: Exception) -> None:
            if "agent" in holder:
                holder["agent"]._client.permission_error(err)
                holder["agent"].log.warning("NATS: %s", err)

        if creds_file is None:
            # As the TypeScript SDK: the NATS_CREDS variable names the agent's .creds file when no option does.
            creds_file = os.environ.get("NATS_CREDS", "").strip() or None
        auth: dict[str, Any] = {}
        for key, value in (
            ("user", user),
            ("password", password),
            ("token", token),
            ("user_credentials", creds_file),
            ("nkeys_seed_str", nkey_seed),
            ("nkeys_seed", nkey_seed_file),
        ):
            if value is not None:
                auth[key] = value
        # An agent's credentials may subscribe only to its own reply subjects.
        auth["inbox_prefix"] = m.AGENT_REPLIES_PREFIX.replace("{agentId}", agent_id)
        server_list = [servers] if isinstance(servers, str) else list(servers)
        try:
            nc = await nats.connect(
                servers=server_list,
                name=f"baton-agent-{agent_id}",
                allow_reconnect=True,
                # nats-py retries a first connection as often as a reconnection (forever with -1,
                # and also with 0): bound it here, then set the reconnect policy below.
                max_reconnect_attempts=max(1, connect_attempts),
                reconnect_time_wait=reconnect_time_wait,  # type: ignore[arg-type]
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
                **auth,
            )
        except Exception as err:  # noqa: BLE001 - any connect failure is UNAVAILABLE with its reason
            raise UnavailableError(f"cannot connect to NATS at {', '.join(server_list)}: {err}") from err
        nc.options["max_reconnect_attempts"] = max_reconnect_attempts
        agent = cls(nc, agent_id, **options)  # type: ignore[arg-type]
        holder["agent"] = agent
        return agent

    @property
    def agent_id(self) -> str:
        return self._agent_id

    @property
    def active_tasks(self) -> list[str]:
        """Tasks being worked now (the ids sent in heartbeats)."""
        return sorted({f.task.task_id for f in self._in_flight.values() if f.runner is not None})

    async def register(self, profile: AgentProfile) -> dict[str, Any]:
        """Registers the agent with the agent-registry, idempotently: a new agent is registered, an
        existing one gets its profile updated. Returns ``{"agent_id", "revision", "created"}``."""
        data: dict[str, Any] = {
            "agentId": self.agent_id,
            "role": profile.role,
            "capabilities": list(profile.capabilities),
            "maxConcurrency": profile.max_concurrency,
            "peers": list(profile.peers),
        }
        for key, value in (("name", profile.name), ("model", profile.model), ("lead", profile.lead)):
            if value is not None:
                data[key] = value
        try:
            reply = await self._client.command(m.RegisterAgent, data, f"register:{self.agent_id}:{uuid.uuid4()}")
            created = True
        except BatonError as err:
            if err.code != "CONFLICT":
                raise
            reply = await self._client.command(m.UpdateAgent, data, f"update:{self.agent_id}:{uuid.uuid4()}")
            created = False
        self._profile = profile
        self._emit({"type": "registered", "agent_id": self.agent_id, "created": created})
        return {"agent_id": reply.agent_id, "revision": reply.revision, "created": created}

    async def command(self, definition: m.MessageDefinition, data: BaseModel | dict[str, Any], command_id: str | None = None) -> Any:
        """Sends any Baton command, e.g. ``agent.command(messages.ClaimTask, {"agentId": ...})``. Raises BatonError."""
        return await self._client.command(definition, data, command_id)

    async def query(self, definition: m.MessageDefinition, data: BaseModel | dict[str, Any]) -> Any:
        """Sends any Baton query, e.g. ``agent.query(messages.GetTask, {"taskId": "task-1"})``. Raises BatonError."""
        return await self._client.query(definition, data)

    async def start(self, handler: TaskHandler, *, concurrency: int | None = None) -> None:
        """Starts heartbeats, the inbox and (unless ``await_assignments=False``) the
        ``await-assignment`` requests: every assignment (also those made while the agent was away)
        is handed to ``handler``, then completed with what it returns or failed with what it
        raises. An inbox message is acknowledged only once that is recorded, so a crash delivers it
        again; one received by reply reaches the inbox if its task has not ended within the
        scheduler's window. ``concurrency`` defaults to the registered ``max_concurrency`` (1 when
        not registered here)."""
        if self._running:
            raise BatonError("CONFLICT", f"agent {self.agent_id} is already started")
        if self.nc.is_closed:
            raise UnavailableError(f"agent {self.agent_id}: the NATS connection is closed", retryable=False)
        limit = concurrency if concurrency is not None else (self._profile.max_concurrency if self._profile else 1)
        if limit < 1:
            raise ValidationError(f"concurrency must be a positive integer, got {limit}")
        self._slots = ConcurrencyLimiter(limit)
        self._running = True
        self._stopping = False
        self._heartbeat = asyncio.create_task(self._heartbeats())
        try:
            durable = await self._open_inbox(limit)
            self._sub = await self.nc.jetstream().pull_subscribe_bind(durable=durable, stream=m.AGENT_INBOX_STREAM)
        except BaseException as err:
            self._heartbeat.cancel()
            self._running = False
            if isinstance(err, BatonError):
                raise
            raise UnavailableError(f"agent {self.agent_id}: cannot consume its inbox: {err}") from err
        self._loop = asyncio.create_task(self._inbox(handler))
        if self._await_assignments:
            parallel = self._await_parallel if self._await_parallel is not None else min(limit, _AWAIT_PARALLEL_MAX)
            self._waiters = [asyncio.create_task(self._await_loop(handler)) for _ in range(parallel)]

    async def stop(self, timeout: float = 30.0) -> None:
        """Stops taking assignments and waits for the tasks in hand to finish (drain), up to
        ``timeout`` seconds; then cancels their handlers and leaves their assignments to be
        delivered again. Stops heartbeats and closes the connection if the agent opened it.

        The waiting ``await-assignment`` requests are abandoned: an assignment whose reply comes
        after this began is not worked here; the scheduler publishes it to the inbox once its
        window (``SCHEDULER_DIRECT_CONFIRM_MS``, 10 s) passes without the lease ending, so the next
        start of the agent (or another process of it) gets it there."""
        if self._stopping:
            return
        self._stopping = True
        loops = [t for t in (self._loop, *self._waiters) if t is not None]
        for t in loops:
            t.cancel()
        if loops:
            await asyncio.gather(*loops, return_exceptions=True)
        runners = [f.runner for f in self._in_flight.values() if f.runner is not None]
        if runners:
            _, pending = await asyncio.wait(runners, timeout=timeout)
            if pending:
                self.log.warning("stop: %d task(s) still running after %.1f s; cancelling them", len(pending), timeout)
                for f in list(self._in_flight.values()):
                    f.aborted_by = "stop"
                    f.cancelled.set()
                    if f.runner is not None:
                        f.runner.cancel()
                await asyncio.wait(pending, timeout=timeout)
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        if self._sub is not None:
            await unsubscribe_quietly(self._sub, self.log)
        self._running = False
        self._sub = None
        self._loop = None
        self._waiters = []
        self._heartbeat = None
        if self._owns_connection and not self.nc.is_closed:
            try:
                await self.nc.drain()
            except Exception as err:  # noqa: BLE001
                self.log.debug("drain: %s", err)

    # -- heartbeats and inbox ------------------------------------------------------------------

    async def _heartbeats(self) -> None:
        subject = m.AGENT_HEARTBEAT_SUBJECT.replace("{agentId}", self.agent_id)
        while True:
            if self.nc.is_connected:
                body = {"agentId": self.agent_id, "activeTasks": self.active_tasks, "sentAt": _now()}
                try:
                    await self.nc.publish(subject, AgentHeartbeat.model_validate(body).model_dump_json(by_alias=True).encode())
                except Exception as err:  # noqa: BLE001 - a missed beat is logged, the next one follows
                    self.log.warning("heartbeat not sent: %s", err)
            await asyncio.sleep(self._heartbeat_interval)

    async def _open_inbox(self, concurrency: int) -> str:
        """Asks the scheduler to create or update the durable ``agent-<id>`` consumer
        (``open-inbox``), as the TypeScript SDK does: agents have no JetStream management rights,
        only fetch and ack on their own consumer. Retried while no scheduler answers, up to
        ``inbox_stream_wait`` seconds. Returns the consumer's name."""
        opened = await self._client.command(
            m.OpenInbox,
            {"agentId": self.agent_id, "ackWaitMs": round(self._inbox_ack_wait * 1000), "maxAckPending": concurrency},
            retry_for=self._inbox_stream_wait,
        )
        return opened.consumer

    async def _inbox(self, handler: TaskHandler) -> None:
        assert self._slots is not None
        slots = self._slots
        while not self._stopping:
            # Fetch only while a slot is free, but take the slot only with an assignment in hand:
            # the await-assignment requests wait for the same free slots.
            await slots.free()
            msgs = await pull(self.nc, self._sub, 1, 1.0, self.log, "inbox loop")
            if msgs is None:
                return
            if not msgs:
                continue
            task = self._parse_assignment(msgs[0])
            if task is not None:
                await self._take(task, msgs[0], handler)

    async def _await_loop(self, handler: TaskHandler) -> None:
        """One of the agent's waiting requests: while a slot is free an ``await-assignment`` waits
        on the scheduler, and an assignment in its reply is worked like one from the inbox.
        Failures back off (1 s doubling to 30 s); a scheduler that refuses the command (an older
        one) leaves the agent to its inbox."""
        assert self._slots is not None
        slots = self._slots
        delay = 0.0
        data = {"agentId": self.agent_id, "waitMs": self._await_wait_ms}
        timeout = self._await_wait_ms / 1000 + _AWAIT_REPLY_GRACE
        while not self._stopping and not self.nc.is_closed:
            await slots.free()
            if self._stopping:
                return
            try:
                reply = await self._client.command(m.AwaitAssignment, data, retry_for=0, timeout=timeout)
                delay = 0.0
            except BatonError as err:
                if self._stopping or self.nc.is_closed:
                    return
                if err.code not in ("TIMEOUT", "UNAVAILABLE", "INTERNAL"):
                    self.log.warning("await-assignment refused (%s: %s); assignments come by the inbox alone", err.code, err.message)
                    return
                delay = next_delay(delay, _AWAIT_RETRY_MIN, _AWAIT_RETRY_MAX)
                self.log.debug("await-assignment failed (%s: %s); again in %.0f s", err.code, err.message, delay)
                await asyncio.sleep(delay)
                continue
            if reply.assignment is None:
                continue
            if self._stopping:
                # Not worked here: the scheduler publishes it to the inbox when no report comes.
                self.log.info("task %s arrived while stopping; it will come again by the inbox", reply.assignment.task_id)
                return
            await self._take(reply.assignment, None, handler)

    def _admit(self, task: AgentTask, msg: Msg | None) -> tuple[str, _InFlight | None]:
        """Decides what to do with a delivery of ``task`` (``msg`` None: the reply of
        ``await-assignment``): ``"new"`` (returned entry, now in hand, to be started once a slot
        is free), ``"in-hand"`` (the same task and lease epoch is being worked: the newest inbox
        message is kept to acknowledge at its end) or ``"done"`` (it was finished lately: the
        caller only acknowledges the message)."""
        key = _assignment_key(task)
        current = self._in_flight.get(key)
        if current is not None:
            # Delivered again while still in hand (ack wait passed, or the inbox's copy of one received by reply).
            if msg is not None:
                current.msg = msg
            return "in-hand", None
        if key in self._recently_done:
            return "done", None
        entry = _InFlight(msg=msg, task=task)
        self._in_flight[key] = entry
        return "new", entry

    async def _take(self, task: AgentTask, msg: Msg | None, handler: TaskHandler) -> None:
        """Starts the handling of an assignment once a slot is free; a second delivery of one
        being worked (or just finished) is not worked again."""
        assert self._slots is not None
        slots = self._slots
        verdict, entry = self._admit(task, msg)
        if verdict == "done" and msg is not None:
            try:
                await msg.ack()
            except Exception as err:  # noqa: BLE001 - it comes back after the ack wait, and is acked then
                self.log.debug("ack of the second delivery of task %s: %s", task.task_id, err)
        if entry is None:
            return
        key = _assignment_key(task)
        # Both paths may hold an assignment for the last free slot: keep the inbox message alive while waiting.
        keepalive = asyncio.create_task(self._keepalive(entry))
        try:
            await slots.acquire()
        except BaseException:
            self._in_flight.pop(key, None)
            if entry.msg is not None:
                await self._nak(entry, None)
            raise
        finally:
            keepalive.cancel()

        def done(_: asyncio.Task[None]) -> None:
            self._in_flight.pop(key, None)
            if entry.acked:
                self._recently_done.add(key)
            slots.release()

        entry.runner = asyncio.create_task(self._work(entry, handler))
        entry.runner.add_done_callback(done)

    def _parse_assignment(self, msg: Msg) -> AgentTask | None:
        try:
            return AgentInboxAssignment.model_validate(decode_json(msg.data))
        except (BatonError, PydanticValidationError) as err:
            self.log.error("inbox message %s is not a task assignment (%s); dropped", msg.metadata.sequence.stream, err)
        asyncio.ensure_future(msg.term())
        return None

    # -- one task --------------------------------------------------------------------------------

    def _emit(self, activity: Activity) -> None:
        if self._on_activity is None:
            return
        try:
            self._on_activity({**activity, "at": _now()})
        except Exception as err:  # noqa: BLE001 - a faulty observer must not stop the agent
            self.log.error("on_activity raised: %s", err)

    def _emit_task(self, task: AgentTask, kind: str, **fields: Any) -> None:
        self._emit(
            {
                "type": kind,
                "agent_id": self.agent_id,
                "task_id": task.task_id,
                "action": task.action,
                "lease_epoch": task.lease_epoch,
                "attempt": task.attempt,
                **fields,
            }
        )

    def _report(self, task: AgentTask) -> dict[str, Any]:
        return {"taskId": task.task_id, "agentId": self.agent_id, "leaseEpoch": task.lease_epoch}

    async def _keepalive(self, entry: _InFlight) -> None:
        while True:
            await asyncio.sleep(max(0.1, self._inbox_ack_wait / _KEEPALIVE_FRACTION))
            if entry.msg is None:
                continue  # received by reply: nothing to keep alive (yet)
            try:
                await entry.msg.in_progress()
            except Exception as err:  # noqa: BLE001 - the next one may get through
                self.log.debug("in-progress ack of %s: %s", entry.task.task_id, err)

    async def _work(self, entry: _InFlight, handler: TaskHandler) -> None:
        keepalive = asyncio.create_task(self._keepalive(entry))
        try:
            await self._rounds(entry, handler)
        except asyncio.CancelledError:
            if entry.aborted_by == "stop":
                await self._settle(entry, UnavailableError(f"agent {self.agent_id} is stopping"), "handler")
                return
            raise
        finally:
            keepalive.cancel()

    async def _rounds(self, entry: _InFlight, handler: TaskHandler) -> None:
        # No accept-task: the first progress or the completion records the acceptance (docs/messaging.md).
        task = entry.task
        self._emit_task(task, "task.received")
        current = task
        rework: Rework | None = None
        round_ = 0
        while True:
            try:
                result = handler(current, TaskContext(self, entry, rework))
                if inspect.isawaitable(result):
                    result = await result
                handed = result if isinstance(result, Handoff) else None
                outputs = outputs_of(handed.outputs if handed is not None else result)
                # A handler that caught a refused report (lost lease, cancelled task) has nothing to complete.
                if entry.report_error is not None:
                    raise entry.report_error
            except Exception as err:  # noqa: BLE001 - what the handler raised fails the task
                if entry.report_error is not None:
                    return await self._settle(entry, entry.report_error, "report")
                if entry.aborted_by == "stop":
                    return await self._settle(entry, err, "handler")
                return await self._fail_task(entry, err)
            try:
                reply = await self._complete_task(task, outputs, handed, round_)
            except BatonError as err:
                return await self._settle(entry, err, "complete")
            verdict = reply.handoff
            if verdict is not None and verdict.status == "rejected" and reply.status != "completed":
                round_ += 1
                failures = list(verdict.failures)
                self._emit_task(task, "task.handoff_rejected", handoff_id=verdict.handoff_id, failures=failures, round=round_)
                if round_ > self._max_reworks:
                    last = "; ".join(f.message for f in failures)
                    return await self._fail_task(entry, TaskFailure(f"handoff rejected {round_} times; last: {last}", code="HANDOFF_REJECTED"))
                rework = Rework(round=round_, handoff_id=verdict.handoff_id, failures=failures)
                wire_failures = [f.model_dump(mode="json", by_alias=True) for f in failures]
                inputs = {**task.inputs, "rework": {"round": round_, "handoffId": verdict.handoff_id, "failures": wire_failures}}
                current = task.model_copy(update={"inputs": inputs})
                continue
            self._emit_task(task, "task.completed", outputs=outputs)
            await self._ack(entry)
            return

    async def _complete_task(self, task: AgentTask, outputs: dict[str, Any], handed: Handoff | None, round_: int) -> CompleteTaskReply:
        data: dict[str, Any] = {**self._report(task), "outputs": outputs}
        artifacts = artifacts_of(handed) if handed is not None else []
        if artifacts:
            data["artifacts"] = artifacts
        if handed is not None and handed.context is not None:
            data["context"] = dict(handed.context)
        base = report_command_id("complete", task.task_id, self.agent_id, task.lease_epoch)
        return await self._client.command(m.CompleteTask, data, base if round_ == 0 else f"{base}:rework-{round_}")

    async def _fail_task(self, entry: _InFlight, err: BaseException) -> None:
        task = entry.task
        failure = failure_of(err)
        try:
            await self._client.command(
                m.FailTask,
                {**self._report(task), **failure},
                report_command_id("fail", task.task_id, self.agent_id, task.lease_epoch),
            )
        except BatonError as report_err:
            return await self._settle(entry, report_err, "fail")
        self._emit_task(task, "task.failed", error=failure["error"], retryable=failure["retryable"])
        await self._ack(entry)

    async def _settle(self, entry: _InFlight, err: BaseException, during: str) -> None:
        """Ends the handling of an assignment after a refused or undeliverable report."""
        task = entry.task
        reason = str(getattr(err, "message", None) or err)
        if entry.aborted_by == "stop":
            self.log.info("task %s: left for redelivery, the agent is stopping", task.task_id)
            self._emit_task(task, "task.deferred", code="UNAVAILABLE", reason="the agent stopped before the task finished")
            await self._nak(entry, None)
            return
        settlement, code = settlement_of(err)
        if settlement == "lost":
            self.log.info("task %s (epoch %d) is held by another agent now (%s: STALE_LEASE); stopped working it", task.task_id, task.lease_epoch, during)
            self._emit_task(task, "task.lost", reason=reason)
            await self._ack(entry)
        elif settlement == "rejected":
            self.log.warning("task %s: %s refused with %s: %s; dropped", task.task_id, during, code, reason)
            self._emit_task(task, "task.rejected", code=code, reason=reason)
            await self._ack(entry)
        else:
            self.log.warning("task %s: %s failed with %s: %s; it will be delivered again", task.task_id, during, code, reason)
            self._emit_task(task, "task.deferred", code=code, reason=reason)
            await self._nak(entry, None if self._stopping else 1.0)

    async def _ack(self, entry: _InFlight) -> None:
        """Acknowledges the inbox message; for an assignment received by reply (no message yet)
        there is nothing to send: the scheduler counts it delivered once its lease ends."""
        entry.acked = True
        if entry.msg is None:
            return
        try:
            await entry.msg.ack_sync(timeout=5.0)
        except Exception as err:  # noqa: BLE001 - an unacknowledged assignment comes back; the reports are idempotent
            self.log.warning("ack of task %s failed (%s); it may be delivered again", entry.task.task_id, err)

    async def _nak(self, entry: _InFlight, delay: float | None) -> None:
        """Gives the inbox message back; for an assignment received by reply there is none: the
        scheduler publishes it to the inbox once its window passes with the lease not ended."""
        if entry.msg is None:
            return
        try:
            await entry.msg.nak(delay=delay)
        except Exception as err:  # noqa: BLE001
            self.log.warning("nak of task %s failed (%s); it comes back after the ack wait", entry.task.task_id, err)


__all__ = [
    "Activity",
    "AgentProfile",
    "AgentTask",
    "BatonAgent",
    "DEFAULT_MAX_REWORKS",
    "Rework",
    "TaskContext",
    "TaskHandler",
    "error_code_of",
    "inbox_consumer_name",
]

"""``baton-agent``: the Python SDK for agents that work on Baton.

An agent registers its profile with the agent-registry, sends heartbeats, and works the
assignments the scheduler pushes to its durable inbox (consumer ``agent-<id>`` on stream
``BATON_AGENT_INBOX``). For each assignment the SDK calls your handler, then completes the task
with what it returned (outputs, or a :class:`Handoff` with artifacts) or fails it with what it
raised. When the handoff checks refuse the work, the handler is called again with the failures
(``ctx.rework``) until it passes or ``max_reworks`` is reached. Every report carries the task's
lease epoch: a task given to another agent answers STALE_LEASE and the SDK stops working it.

Errors are :class:`BatonError` with a stable ``code``: branch on the code.
"""

from .agent import DEFAULT_MAX_REWORKS, Activity, AgentProfile, AgentTask, BatonAgent, Rework, TaskContext, TaskHandler, inbox_consumer_name
from .errors import (
    ERROR_CODES,
    BatonError,
    ConflictError,
    ErrorCode,
    ForbiddenError,
    IllegalTransitionError,
    NotFoundError,
    RequestTimeoutError,
    StaleLeaseError,
    TaskFailure,
    UnavailableError,
    ValidationError,
    error_code_of,
    failure_of,
    is_retryable_code,
)
from .events import EventDedupe, EventDelivery, EventStart, EventSubscription, EventSubscriptionStats, MemoryDedupe, subscribe_events
from .models import incoming, messages, outgoing
from .outcome import Handoff, handoff
from .wire import CommandClient, CommandOptions

__all__ = [
    "Activity",
    "AgentProfile",
    "AgentTask",
    "BatonAgent",
    "BatonError",
    "CommandClient",
    "CommandOptions",
    "ConflictError",
    "DEFAULT_MAX_REWORKS",
    "ERROR_CODES",
    "ErrorCode",
    "EventDedupe",
    "EventDelivery",
    "EventStart",
    "EventSubscription",
    "EventSubscriptionStats",
    "ForbiddenError",
    "Handoff",
    "IllegalTransitionError",
    "MemoryDedupe",
    "NotFoundError",
    "RequestTimeoutError",
    "Rework",
    "StaleLeaseError",
    "TaskContext",
    "TaskFailure",
    "TaskHandler",
    "UnavailableError",
    "ValidationError",
    "error_code_of",
    "failure_of",
    "handoff",
    "inbox_consumer_name",
    "incoming",
    "is_retryable_code",
    "messages",
    "outgoing",
    "subscribe_events",
]

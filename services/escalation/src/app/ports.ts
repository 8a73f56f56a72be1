import type { CommandRunner } from '@baton/aggregate';
import type { Actor } from '@baton/contracts';
import type { Queryable } from '@baton/messaging';
import type { AgentContacts, EscalationCommand, EscalationEvent, EscalationState } from '../domain';

/** Runs the commands of the escalation aggregate (the command kernel over `escalationAggregate`). */
export type EscalationCommands = CommandRunner<EscalationState, EscalationCommand, EscalationEvent>;

/** Who an agent's peers and lead are (the agent registry, over NATS). */
export interface AgentDirectory {
  /** Undefined when the agent is unknown or the registry does not answer: the ladder then uses its stand-ins. */
  contactsOf(agentId: string): Promise<AgentContacts | undefined>;
}

/** Who asks the scheduler, and the idempotency key of the forwarded command. */
export interface DecisionContext {
  readonly commandId: string;
  readonly actor: Actor;
  readonly correlationId?: string;
}

/**
 * Approves or rejects a stage held for a decision, in the scheduler (`approve-stage`,
 * `reject-stage`). Throws the scheduler's error (FORBIDDEN, ILLEGAL_TRANSITION, UNAVAILABLE, …).
 */
export interface StageDecisions {
  approveStage(runId: string, stageId: string, reason: string, ctx: DecisionContext): Promise<void>;
  rejectStage(runId: string, stageId: string, reason: string, ctx: DecisionContext): Promise<void>;
  /** Hands a task to another agent (`reassign-task`), for an escalation resolved as `reassigned`. */
  reassignTask(taskId: string, toAgentId: string, reason: string, ctx: DecisionContext): Promise<void>;
}

/** Runs work in one database transaction on a plain client (commit when it resolves, roll back when it throws). */
export type Transactor = <T>(work: (q: Queryable) => Promise<T>) => Promise<T>;

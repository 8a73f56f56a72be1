import type { CommandMetadata } from '@baton/aggregate';
import type { RuleFailure } from '@baton/contracts';
import type { TaskDefinition } from './task.state';

export type { CommandMetadata } from '@baton/aggregate';

/** What the task engine knows about an agent when it claims (from the agents read model). */
export interface AgentProfile {
  readonly agentId: string;
  readonly role: string;
  readonly capabilities: readonly string[];
}

/** A scheduler command: the shape every aggregate of this service (task, conflict, run) decides on. */
export interface Cmd<T extends string, D> {
  readonly type: T;
  readonly data: D;
  readonly metadata: CommandMetadata;
}

interface Report {
  readonly taskId: string;
  readonly agentId: string;
  readonly leaseEpoch: number;
}

/**
 * Creates a task. With `assignTo`, the dispatcher planned it already (nothing waited and an agent
 * was free): the task is created assigned to that agent, both events in one append.
 */
export type CreateTask = Cmd<'CreateTask', TaskDefinition & { readonly assignTo?: string }>;
/** The dispatcher gives a waiting task to an agent. */
export type AssignTask = Cmd<'AssignTask', { readonly taskId: string; readonly agentId: string }>;
/** An agent takes a waiting task itself (pull). */
export type ClaimTask = Cmd<'ClaimTask', { readonly taskId: string; readonly agent: AgentProfile }>;
export type AcceptTask = Cmd<'AcceptTask', Report>;
export type ReportProgress = Cmd<
  'ReportProgress',
  Report & { readonly percent: number; readonly message: string | null; readonly tokensUsed: number | null }
>;
export type ReportBlocked = Cmd<'ReportBlocked', Report & { readonly reason: string }>;
export type ReportUnblocked = Cmd<'ReportUnblocked', Report>;
export type CompleteTask = Cmd<'CompleteTask', Report & { readonly outputs: Readonly<Record<string, unknown>> }>;
export type FailTask = Cmd<
  'FailTask',
  Report & { readonly error: { readonly message: string; readonly code: string | null }; readonly retryable: boolean }
>;
/** The scheduler takes a task back from its holder (agent offline, timed out). A stale epoch is a no-op. */
export type ReleaseTask = Cmd<'ReleaseTask', Report & { readonly reason: 'agent_offline' | 'timed_out' | 'released' | 'rejected' }>;
export type CancelTask = Cmd<'CancelTask', { readonly taskId: string; readonly reason: string }>;
/** The handoff-validator refused the holder's completion: the task stays with it for rework. */
export type RejectHandoff = Cmd<'RejectHandoff', Report & { readonly handoffId: string; readonly failures: readonly RuleFailure[] }>;

/** Every command of the task aggregate. */
export type TaskCommand =
  | CreateTask
  | AssignTask
  | ClaimTask
  | AcceptTask
  | ReportProgress
  | ReportBlocked
  | ReportUnblocked
  | CompleteTask
  | FailTask
  | ReleaseTask
  | CancelTask
  | RejectHandoff;

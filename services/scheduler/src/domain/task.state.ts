import type { RetryBackoff, TaskPriority, TaskRequirement, TaskStatus } from '@baton/contracts';

/** Before the first event of a `task-<id>` stream. */
export interface NoTask {
  readonly exists: false;
}

/** What a task is asked to be when it is created; it never changes afterwards. */
export interface TaskDefinition {
  readonly taskId: string;
  readonly runId: string | null;
  readonly stageId: string | null;
  readonly action: string;
  readonly requirement: TaskRequirement;
  readonly priority: TaskPriority;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly maxAttempts: number;
  readonly retry: RetryBackoff;
  readonly timeoutMs: number | null;
  readonly slaDueAt: string | null;
}

/** A task, folded from its stream. */
export interface Task extends TaskDefinition {
  readonly exists: true;
  readonly createdAt: string;
  readonly status: TaskStatus;
  /** 1-based number of the current (or last) attempt. */
  readonly attempt: number;
  /** Epoch of the latest lease; only grows. 0 before the first assignment. */
  readonly leaseEpoch: number;
  /** The holder while assigned/accepted/blocked; who finished it once completed/failed; null while queued. */
  readonly agentId: string | null;
  /** The last agent that held it (set when it went back to the queue). */
  readonly previousAgentId: string | null;
  readonly assignedAt: string | null;
  /** Not to be assigned before this time (retry back-off). */
  readonly notBefore: string | null;
  /** True after the task was taken back from an agent: it queues ahead of others of its priority. */
  readonly requeued: boolean;
  /** Completions the handoff checks refused (rework rounds). */
  readonly handoffRejections: number;
}

export type TaskState = NoTask | Task;

export const initialTaskState: TaskState = Object.freeze({ exists: false });

/** Statuses in which an agent holds the task. */
export const HELD_STATUSES = ['assigned', 'accepted', 'blocked'] as const satisfies readonly TaskStatus[];
/** Statuses after which nothing more happens. */
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];

export function isHeld(status: TaskStatus): boolean {
  return (HELD_STATUSES as readonly string[]).includes(status);
}

export function isTerminal(status: TaskStatus): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status);
}

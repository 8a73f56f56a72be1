import type { AgentInboxAssignment, RuleFailure } from '@baton/contracts';

/** Where a log line of the SDK goes. `console` fits; the default writes warnings and errors to stderr. */
export interface AgentLogger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Writes warnings and errors to stderr, prefixed with the agent id; drops debug and info. */
export function stderrLogger(agentId: string): AgentLogger {
  const write = (level: string, message: string): void => {
    process.stderr.write(`[agent-sdk ${agentId}] ${level} ${message}\n`);
  };
  return { debug: () => undefined, info: () => undefined, warn: (m) => write('warn', m), error: (m) => write('error', m) };
}

/** The task as the handler gets it: the inbox assignment (action, inputs, lease epoch, attempt …). */
export type AgentTask = AgentInboxAssignment;

interface TaskActivityBase {
  readonly agentId: string;
  readonly taskId: string;
  readonly action: string;
  readonly leaseEpoch: number;
  readonly attempt: number;
  /** ISO time the SDK saw it happen. */
  readonly at: string;
}

/**
 * Everything an agent does, as plain data, for UIs, logs and tests (`onActivity`):
 * - `task.lost`: a report got STALE_LEASE: the task was given to another agent; handling ended;
 * - `task.rejected`: the task can no longer be worked (cancelled, finished, unknown): ILLEGAL_TRANSITION or NOT_FOUND;
 * - `task.deferred`: a report could not be delivered (no scheduler, or the agent is stopping); the
 *   assignment is left unacknowledged, so it comes back.
 */
export type AgentActivity =
  | { readonly type: 'registered'; readonly agentId: string; readonly created: boolean; readonly at: string }
  | (TaskActivityBase & { readonly type: 'task.received' })
  | (TaskActivityBase & { readonly type: 'task.progress'; readonly percent: number; readonly message?: string; readonly tokensUsed?: number })
  | (TaskActivityBase & { readonly type: 'task.blocked'; readonly reason: string })
  | (TaskActivityBase & { readonly type: 'task.unblocked' })
  | (TaskActivityBase & { readonly type: 'task.completed'; readonly outputs: Readonly<Record<string, unknown>> })
  /** The handoff checks refused the completion; the handler is called again with `inputs.rework`. */
  | (TaskActivityBase & { readonly type: 'task.handoff_rejected'; readonly handoffId: string; readonly failures: readonly RuleFailure[]; readonly round: number })
  | (TaskActivityBase & { readonly type: 'task.failed'; readonly error: { readonly message: string; readonly code?: string }; readonly retryable: boolean })
  | (TaskActivityBase & { readonly type: 'task.lost'; readonly reason: string })
  | (TaskActivityBase & { readonly type: 'task.rejected'; readonly code: string; readonly reason: string })
  | (TaskActivityBase & { readonly type: 'task.deferred'; readonly code: string; readonly reason: string });

export type TaskActivity = Exclude<AgentActivity, { type: 'registered' }>;

/** Distributes `Omit` over a union, so each member keeps its own fields. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

import { matchesRequirement, type TaskPriority, type TaskRequirement } from '@baton/contracts';

/**
 * The queue rule, in one place. Each waiting task gets a **queue key**: a virtual enqueue
 * time, `createdAt + level(priority) × agingIntervalMs` (P0 = 0, P1 = 1, P2 = 2), minus one
 * interval for a task taken back from an agent. The queue is served in ascending key order,
 * ties by task id. So P0 > P1 > P2, FIFO within a priority, and **aging**: every
 * `agingIntervalMs` a task waits counts as one priority level, so a P2 that has waited two
 * intervals longer than a P0 goes first and nothing starves. A task taken back from an agent
 * (offline, timed out) counts as one interval older, so it goes back ahead of the others of
 * its priority. The key does not depend on "now", so the read model stores it in an indexed
 * column and SQL orders by it; only `notBefore` (retry back-off) is compared with the clock.
 */
export interface QueuePolicy {
  /** Waiting this long counts as one priority level. */
  readonly agingIntervalMs: number;
}

export const DEFAULT_QUEUE_POLICY: QueuePolicy = Object.freeze({ agingIntervalMs: 60_000 });

const LEVEL: Readonly<Record<TaskPriority, number>> = { P0: 0, P1: 1, P2: 2 };

export function priorityLevel(priority: TaskPriority): number {
  return LEVEL[priority];
}

/** The fields of a task the queue rule looks at. */
export interface QueueEntry {
  readonly taskId: string;
  readonly priority: TaskPriority;
  /** ISO time the task was created (first enqueued). */
  readonly createdAt: string;
  /** True when the task went back to the queue after an agent lost it. */
  readonly requeued: boolean;
  /** ISO time before which the task must not be assigned (retry back-off), or null. */
  readonly notBefore: string | null;
}

/** The queue key of a task, in epoch milliseconds (see {@link QueuePolicy}). */
export function queueKeyMs(entry: Pick<QueueEntry, 'priority' | 'createdAt' | 'requeued'>, policy: QueuePolicy): number {
  return Date.parse(entry.createdAt) + (priorityLevel(entry.priority) - (entry.requeued ? 1 : 0)) * policy.agingIntervalMs;
}

/** True when the task may be handed out at `now` (no back-off pending). */
export function isDue(entry: Pick<QueueEntry, 'notBefore'>, now: Date): boolean {
  return entry.notBefore === null || Date.parse(entry.notBefore) <= now.getTime();
}

/** The waiting tasks that may be handed out at `now`, in the order they are served. */
export function orderQueue<T extends QueueEntry>(entries: readonly T[], now: Date, policy: QueuePolicy): T[] {
  return entries
    .filter((e) => isDue(e, now))
    .map((e) => ({ e, key: queueKeyMs(e, policy) }))
    .sort((a, b) => a.key - b.key || (a.e.taskId < b.e.taskId ? -1 : a.e.taskId > b.e.taskId ? 1 : 0))
    .map((x) => x.e);
}

/** An agent as the assignment rule sees it. */
export interface AgentCandidate {
  readonly agentId: string;
  readonly role: string;
  readonly capabilities: readonly string[];
  readonly maxConcurrency: number;
  /** Online and not removed. */
  readonly available: boolean;
  /** Tasks it holds now (assigned, accepted or blocked). */
  readonly load: number;
  /** When it was last given a task (ISO), or null when never. */
  readonly lastAssignedAt: string | null;
}


function compareCandidates(a: AgentCandidate, b: AgentCandidate): number {
  if (a.load !== b.load) return a.load - b.load;
  const la = a.lastAssignedAt === null ? -Infinity : Date.parse(a.lastAssignedAt);
  const lb = b.lastAssignedAt === null ? -Infinity : Date.parse(b.lastAssignedAt);
  if (la !== lb) return la < lb ? -1 : 1;
  return a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0;
}

/**
 * The agent a task goes to: available, meets the requirement, load below its max concurrency;
 * least load first, then the least recently assigned (never assigned first), then agent id.
 * Undefined when no agent fits.
 */
export function pickAgent(requirement: TaskRequirement, agents: readonly AgentCandidate[]): AgentCandidate | undefined {
  let best: AgentCandidate | undefined;
  for (const a of agents) {
    if (!a.available || a.load >= a.maxConcurrency || !matchesRequirement(a, requirement)) continue;
    if (best === undefined || compareCandidates(a, best) < 0) best = a;
  }
  return best;
}

export interface PlannedAssignment {
  readonly taskId: string;
  readonly agentId: string;
}

/**
 * One dispatch pass: walks the queue in order (already ordered by {@link orderQueue} or the
 * SQL that mirrors it) and gives each task to {@link pickAgent}, counting the loads it adds
 * along the way. A task no agent can take now stays queued and does not block the ones after it.
 */
export function planAssignments(
  queue: readonly (QueueEntry & { readonly requirement: TaskRequirement })[],
  agents: readonly AgentCandidate[],
  now: Date,
): PlannedAssignment[] {
  const pool = new Map(agents.map((a) => [a.agentId, { ...a }]));
  const out: PlannedAssignment[] = [];
  for (const task of queue) {
    if (!isDue(task, now)) continue;
    const agent = pickAgent(task.requirement, [...pool.values()]);
    if (!agent) continue;
    pool.set(agent.agentId, { ...agent, load: agent.load + 1, lastAssignedAt: now.toISOString() });
    out.push({ taskId: task.taskId, agentId: agent.agentId });
  }
  return out;
}

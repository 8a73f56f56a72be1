import type { AgentActivity } from '@baton/agent-sdk';

/** Extra lines sim-agents itself prints (start and stop), beside the SDK's activity. */
export type SimEvent =
  | { readonly type: 'sim.ready'; readonly agents: readonly string[]; readonly natsUrl: string; readonly seed: number; readonly at: string }
  | { readonly type: 'sim.stopped'; readonly signal: string; readonly at: string };

function list(outputs: Readonly<Record<string, unknown>>): string {
  const keys = Object.keys(outputs);
  return keys.length === 0 ? '(no outputs)' : keys.join(', ');
}

/** One line for people: `[MCT-PM-001] write_prd task-1234 40% step 2/5 (1200 tokens)`. */
export function humanLine(event: AgentActivity | SimEvent): string {
  switch (event.type) {
    case 'sim.ready':
      return `[sim-agents] ${event.agents.length} agent(s) working on ${event.natsUrl} (seed ${event.seed}): ${event.agents.join(', ')}`;
    case 'sim.stopped':
      return `[sim-agents] stopped (${event.signal})`;
    case 'registered':
      return `[${event.agentId}] ${event.created ? 'registered' : 'registration up to date'}`;
    default: {
      const head = `[${event.agentId}] ${event.action} ${event.taskId}`;
      switch (event.type) {
        case 'task.received':
          return `${head} received (attempt ${event.attempt}, lease ${event.leaseEpoch})`;
        case 'task.progress':
          return `${head} ${Math.round(event.percent)}%${event.message ? ` ${event.message}` : ''}${event.tokensUsed !== undefined ? ` (${event.tokensUsed} tokens)` : ''}`;
        case 'task.blocked':
          return `${head} blocked: ${event.reason}`;
        case 'task.unblocked':
          return `${head} unblocked`;
        case 'task.completed':
          return `${head} 100% completed: ${list(event.outputs)}`;
        case 'task.failed':
          return `${head} failed${event.retryable ? ' (retryable)' : ''}: ${event.error.code ? `${event.error.code} ` : ''}${event.error.message}`;
        case 'task.handoff_rejected':
          return `${head} handoff rejected (round ${event.round}): ${event.failures.map((f) => f.message).join('; ')}`;
        case 'task.lost':
          return `${head} lost: another agent holds it now (STALE_LEASE)`;
        case 'task.rejected':
          return `${head} dropped: ${event.code} ${event.reason}`;
        case 'task.deferred':
          return `${head} deferred: ${event.code} ${event.reason}`;
        default: {
          const unreachable: never = event;
          return JSON.stringify(unreachable);
        }
      }
    }
  }
}

/** One JSON object per line, for scripts. */
export function jsonLine(event: AgentActivity | SimEvent): string {
  return JSON.stringify(event);
}

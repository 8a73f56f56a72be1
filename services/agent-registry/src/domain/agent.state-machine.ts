import type { AgentWorkState } from '@baton/contracts';

/**
 * Legal moves of the agent state machine (000 seed): IDLE → ANALYZING → EXECUTING ⇄ BLOCKED,
 * EXECUTING → HANDOFF → IDLE; any state → ERROR (the agent reports it cannot go on), and
 * ERROR → IDLE. Any state → IDLE is also legal on reset (see `decide`).
 *
 * These are the states an agent reports about itself; they say nothing about whether it accepted
 * a task. Acceptance belongs to the task (the scheduler's `task-<id>` stream), where accepting is
 * optional: the holder's first progress, blocked or complete report records `TaskAccepted` when
 * no accept came first. So no move here waits for an accept (IDLE → ANALYZING needs none).
 */
export const AGENT_TRANSITIONS: Readonly<Record<AgentWorkState, readonly AgentWorkState[]>> = Object.freeze({
  IDLE: ['ANALYZING', 'ERROR'],
  ANALYZING: ['EXECUTING', 'ERROR'],
  EXECUTING: ['BLOCKED', 'HANDOFF', 'ERROR'],
  BLOCKED: ['EXECUTING', 'ERROR'],
  HANDOFF: ['IDLE', 'ERROR'],
  ERROR: ['IDLE'],
});

export function isLegalTransition(from: AgentWorkState, to: AgentWorkState): boolean {
  return AGENT_TRANSITIONS[from].includes(to);
}

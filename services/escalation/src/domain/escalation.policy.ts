import type { EscalationAssignee, EscalationLadder, EscalationLevel, EscalationTrigger } from '@baton/contracts';

/**
 * The escalation matrix of seed 000, as numbers:
 * L0 agent autonomous → L1 peer (blocked > 30 min, or approval needed) → L2 lead (unresolved > 2 h,
 * or cross-domain) → L3 human (unresolved > 4 h, or a policy decision). Stalled = 2 h without
 * progress (seed 004 AC2.2); a conflict nobody resolves reaches a human within 5 min (AC3.5).
 */
export const DEFAULT_LADDER: EscalationLadder = Object.freeze({
  l1AfterMs: 30 * 60_000,
  l2AfterMs: 2 * 3_600_000,
  l3AfterMs: 4 * 3_600_000,
  stallAfterMs: 2 * 3_600_000,
  conflictEscalateMs: 5 * 60_000,
});

/** The level a trigger starts at as soon as it is raised (the ladder can only take it higher). */
export function startLevelOf(trigger: EscalationTrigger): EscalationLevel {
  switch (trigger) {
    case 'blocked_task':
    case 'manual':
      return 0;
    case 'approval_needed':
    case 'stalled_task':
    case 'sla_breach':
    case 'agent_failure':
      return 1;
    case 'cross_domain':
      return 2;
    case 'policy_decision':
    case 'repeated_rejections':
    case 'conflict':
      return 3;
    default: {
      const unhandled: never = trigger;
      throw new Error(`unknown escalation trigger ${String(unhandled)}`);
    }
  }
}

function ladderLevel(elapsedMs: number, ladder: EscalationLadder): EscalationLevel {
  if (elapsedMs >= ladder.l3AfterMs) return 3;
  if (elapsedMs >= ladder.l2AfterMs) return 2;
  if (elapsedMs >= ladder.l1AfterMs) return 1;
  return 0;
}

function maxLevel(a: EscalationLevel, b: EscalationLevel): EscalationLevel {
  return (a >= b ? a : b) as EscalationLevel;
}

/**
 * Where on the ladder a problem that began at `since` stands at `now` (0 = not escalated, only
 * watched). Thresholds are inclusive ("after 30 min" holds at 30:00.000).
 * - blocked_task, manual: the ladder from `since` (L1 30 min, L2 2 h, L3 4 h);
 * - stalled_task: nothing until `stallAfterMs` without progress, then L1, and the ladder from the
 *   moment the stall was found;
 * - conflict: nothing until `conflictEscalateMs`, then L3 (a human);
 * - the others: their start level at once, the ladder from `since` above it.
 * `floor` is the least level (an escalation already raised, by hand at a chosen level or earlier).
 *
 * @example levelAt('blocked_task', blockedAt, new Date(blockedAt.getTime() + 31 * 60_000), DEFAULT_LADDER) // 1
 */
export function levelAt(trigger: EscalationTrigger, since: Date, now: Date, ladder: EscalationLadder, floor: EscalationLevel = 0): EscalationLevel {
  const elapsed = now.getTime() - since.getTime();
  let level: EscalationLevel;
  if (trigger === 'conflict') {
    level = elapsed >= ladder.conflictEscalateMs ? 3 : 0;
  } else if (trigger === 'stalled_task') {
    level = elapsed >= ladder.stallAfterMs ? maxLevel(1, ladderLevel(elapsed - ladder.stallAfterMs, ladder)) : 0;
  } else {
    level = maxLevel(startLevelOf(trigger), ladderLevel(elapsed, ladder));
  }
  return maxLevel(level, floor);
}

/** When a problem that began at `since` first reaches level 1 or more (when to raise it). */
export function raiseDueAt(trigger: EscalationTrigger, since: Date, ladder: EscalationLadder): Date {
  const t = since.getTime();
  if (trigger === 'conflict') return new Date(t + ladder.conflictEscalateMs);
  if (trigger === 'stalled_task') return new Date(t + ladder.stallAfterMs);
  if (startLevelOf(trigger) > 0) return since;
  return new Date(t + ladder.l1AfterMs);
}

/**
 * When an escalation at `current` next climbs, or undefined when it cannot climb any more
 * (L3, or a conflict, which goes straight to L3).
 */
export function nextClimbAt(
  trigger: EscalationTrigger,
  since: Date,
  current: EscalationLevel,
  ladder: EscalationLadder,
): Date | undefined {
  if (current >= 3) return undefined;
  const offset = trigger === 'stalled_task' ? ladder.stallAfterMs : 0;
  const t = since.getTime();
  // The level only changes at these instants: the first one that goes above `current`.
  const candidates = [raiseDueAt(trigger, since, ladder).getTime(), t + offset + ladder.l1AfterMs, t + offset + ladder.l2AfterMs, t + offset + ladder.l3AfterMs].sort((a, b) => a - b);
  for (const c of candidates) {
    if (levelAt(trigger, since, new Date(c), ladder, current) > current) return new Date(c);
  }
  return undefined;
}

/** A ladder with some thresholds replaced; throws when the result is not increasing (L1 < L2 < L3). */
export function withOverrides(base: EscalationLadder, overrides: Partial<EscalationLadder>): EscalationLadder {
  const ladder: EscalationLadder = { ...base };
  for (const [key, value] of Object.entries(overrides) as [keyof EscalationLadder, number | undefined][]) {
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0) throw new RangeError(`${key} must be a positive whole number of milliseconds, got ${value}`);
    ladder[key] = value;
  }
  if (!(ladder.l1AfterMs < ladder.l2AfterMs && ladder.l2AfterMs < ladder.l3AfterMs)) {
    throw new RangeError(`the ladder must climb: l1 (${ladder.l1AfterMs} ms) < l2 (${ladder.l2AfterMs} ms) < l3 (${ladder.l3AfterMs} ms)`);
  }
  return ladder;
}

/** Who an agent turns to, as the agent registry knows it; undefined when it does not know the agent. */
export interface AgentContacts {
  readonly peers: readonly string[];
  readonly lead: string | null;
}

/** The person every L3 escalation goes to. */
export const HUMAN_ASSIGNEE: EscalationAssignee = Object.freeze({ kind: 'human', id: 'human' });
/** Stand-in lead when the agent has none (or the registry does not answer): the team's `lead` agent. */
export const FALLBACK_LEAD: EscalationAssignee = Object.freeze({ kind: 'agent', id: 'lead' });

/**
 * Who holds an escalation at a level: L0 the agent itself; L1 its first peer (else its lead);
 * L2 its lead; L3 the human. Without an agent, or when the registry knows none, the stand-in
 * {@link FALLBACK_LEAD}.
 */
export function assigneeFor(level: EscalationLevel, agentId: string | null, contacts: AgentContacts | undefined): EscalationAssignee {
  const agent = (id: string): EscalationAssignee => ({ kind: 'agent', id });
  switch (level) {
    case 0:
      return agentId !== null ? agent(agentId) : FALLBACK_LEAD;
    case 1: {
      const peer = contacts?.peers.find((p) => p !== agentId);
      if (peer !== undefined) return agent(peer);
      return contacts?.lead ? agent(contacts.lead) : FALLBACK_LEAD;
    }
    case 2:
      return contacts?.lead ? agent(contacts.lead) : FALLBACK_LEAD;
    case 3:
      return HUMAN_ASSIGNEE;
    default: {
      const unhandled: never = level;
      throw new Error(`unknown escalation level ${String(unhandled)}`);
    }
  }
}

/** Names of the levels, for messages. */
export const LEVEL_NAMES: Readonly<Record<EscalationLevel, string>> = { 0: 'L0 agent', 1: 'L1 peer', 2: 'L2 lead', 3: 'L3 human' };

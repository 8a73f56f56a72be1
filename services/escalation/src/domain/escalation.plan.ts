import type { EscalationLadder, EscalationLevel, EscalationTrigger } from '@baton/contracts';
import type { EscalationFacts } from './escalation.text';

/**
 * Everything needed to raise an escalation later, when its timer fires: stored as the
 * timer's payload (plain JSON), so a raise survives restarts.
 */
export interface RaisePlan {
  readonly escalationId: string;
  readonly trigger: EscalationTrigger;
  /** When the problem began (ISO); the level is measured from here. */
  readonly since: string;
  readonly ladder: EscalationLadder;
  /** Least level to raise at (e.g. 3 for a conflict the scheduler escalated on purpose). */
  readonly floor: EscalationLevel;
  readonly facts: EscalationFacts;
}

/** The trigger an automatic escalation is raised for. */
export function triggerOfFacts(facts: EscalationFacts): EscalationTrigger {
  switch (facts.kind) {
    case 'stage_escalated':
      return facts.trigger;
    case 'handoff_sla':
    case 'run_sla':
      return 'sla_breach';
    default:
      return facts.kind;
  }
}

/** The agent an escalation is about (whose peer and lead it climbs to), if any. */
export function agentOfFacts(facts: EscalationFacts): string | null {
  switch (facts.kind) {
    case 'blocked_task':
    case 'stalled_task':
    case 'agent_failure':
    case 'repeated_rejections':
    case 'sla_breach':
    case 'handoff_sla':
    case 'conflict':
      return facts.agentId;
    case 'approval_needed':
    case 'stage_escalated':
    case 'run_sla':
      return null;
    default: {
      const unhandled: never = facts;
      throw new Error(`unknown escalation facts ${String((unhandled as { kind: unknown }).kind)}`);
    }
  }
}

/** A raise plan for `facts` that began at `since`. */
export function raisePlan(escalationId: string, facts: EscalationFacts, since: Date, ladder: EscalationLadder, floor: EscalationLevel = 0): RaisePlan {
  return { escalationId, trigger: triggerOfFacts(facts), since: since.toISOString(), ladder, floor, facts };
}

import type { EscalationAssignee, EscalationLevel } from '@baton/contracts';
import type { EscalationRaisedData, EscalationResolvedData } from './escalation.events';

/** Before the first event of an `escalation-<id>` stream. */
export interface NoEscalation {
  readonly status: 'none';
}

export interface RaisedEscalation {
  readonly status: 'open' | 'resolved';
  /** As raised (level and assignee there are the starting ones). */
  readonly raised: EscalationRaisedData;
  readonly level: EscalationLevel;
  readonly assignee: EscalationAssignee;
  /** Time of the last event (ISO). */
  readonly updatedAt: string;
  readonly resolved: EscalationResolvedData | null;
}

export type EscalationState = NoEscalation | RaisedEscalation;

export const initialEscalationState: EscalationState = Object.freeze({ status: 'none' });

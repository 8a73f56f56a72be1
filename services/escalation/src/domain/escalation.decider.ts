import { decideByType, unhandled } from '@baton/aggregate';
import { BatonError, type EscalationView } from '@baton/contracts';
import type { ClimbLevel, EscalationCommand, RaiseEscalation, ResolveEscalation } from './escalation.commands';
import { EscalationAlreadyResolvedError, EscalationIdTakenError, EscalationNotFoundError, InvalidResolutionError } from './escalation.errors';
import type { EscalationEvent } from './escalation.events';
import { LEVEL_NAMES } from './escalation.policy';
import type { EscalationState, RaisedEscalation } from './escalation.state';

function raise(command: RaiseEscalation, state: EscalationState): EscalationEvent[] {
  const d = command.data;
  if (state.status !== 'none') {
    // Idempotent by id: the same escalation again changes nothing; another one under its id is a conflict.
    const r = state.raised;
    if (r.trigger === d.trigger && r.issue === d.issue) return [];
    throw new EscalationIdTakenError(d.escalationId);
  }
  return [
    {
      type: 'EscalationRaised',
      data: {
        escalationId: d.escalationId,
        trigger: d.trigger,
        level: d.level,
        assignee: d.assignee,
        issue: d.issue,
        workflowStage: d.workflowStage,
        options: d.options.map((o) => ({ label: o.label, tradeoff: o.tradeoff })),
        recommendation: d.recommendation,
        blocking: d.blocking,
        runId: d.runId,
        stageId: d.stageId,
        iteration: d.iteration,
        taskId: d.taskId,
        agentId: d.agentId,
        conflictId: d.conflictId,
        decidesStage: d.decidesStage,
        since: d.since,
        ladder: d.ladder,
        raisedAt: command.metadata.now,
      },
    },
  ];
}

function climb(command: ClimbLevel, state: EscalationState): EscalationEvent[] {
  const d = command.data;
  if (state.status === 'none') throw new EscalationNotFoundError(d.escalationId);
  // A resolved escalation ignores its timers; the ladder only goes up.
  if (state.status === 'resolved' || d.level <= state.level) return [];
  return [
    {
      type: 'EscalationLevelRaised',
      data: {
        escalationId: d.escalationId,
        trigger: state.raised.trigger,
        from: state.level,
        to: d.level,
        assignee: d.assignee,
        reason: d.reason,
        raisedAt: command.metadata.now,
      },
    },
  ];
}

function resolve(command: ResolveEscalation, state: EscalationState): EscalationEvent[] {
  const d = command.data;
  if (state.status === 'none') {
    if (d.onlyIfOpen) return [];
    throw new EscalationNotFoundError(d.escalationId);
  }
  if (state.status === 'resolved') {
    if (d.onlyIfOpen) return [];
    const r = state.resolved;
    throw new EscalationAlreadyResolvedError(d.escalationId, r?.resolution ?? 'resolved', r?.resolvedAt ?? state.updatedAt);
  }
  if (d.reassignTo !== undefined && d.resolution !== 'reassigned') {
    throw new InvalidResolutionError(`reassignTo goes with resolution "reassigned", not "${d.resolution}"`, { field: 'reassignTo' });
  }
  if (d.resolution === 'reassigned' && d.reassignTo === undefined && state.raised.taskId !== null) {
    throw new InvalidResolutionError(`escalation ${d.escalationId} is about task ${state.raised.taskId}: "reassigned" needs reassignTo (the agent to hand it to)`, {
      field: 'reassignTo',
    });
  }
  return [
    {
      type: 'EscalationResolved',
      data: {
        escalationId: d.escalationId,
        resolution: d.resolution,
        by: d.by,
        reason: d.reason,
        reassignTo: d.reassignTo ?? null,
        resolvedAt: command.metadata.now,
      },
    },
  ];
}

/**
 * The escalation aggregate's decisions: the events a command produces from the current state,
 * or a domain error (NOT_FOUND, ILLEGAL_TRANSITION, CONFLICT, VALIDATION_FAILED). An empty
 * list means the command changes nothing. Pure: time comes in on the command.
 */
export const decide = decideByType<EscalationCommand, EscalationState, EscalationEvent>('escalation', {
  RaiseEscalation: raise,
  ClimbLevel: climb,
  ResolveEscalation: resolve,
});

function whileRaised(state: EscalationState, eventType: string, f: (s: RaisedEscalation) => EscalationState): EscalationState {
  if (state.status === 'none') throw new BatonError('INTERNAL', `${eventType} on an escalation that was never raised`);
  return f(state);
}

/** The next state after one event. Pure. */
export function evolve(state: EscalationState, event: EscalationEvent): EscalationState {
  switch (event.type) {
    case 'EscalationRaised':
      return { status: 'open', raised: event.data, level: event.data.level, assignee: event.data.assignee, updatedAt: event.data.raisedAt, resolved: null };
    case 'EscalationLevelRaised':
      return whileRaised(state, event.type, (s) => ({ ...s, level: event.data.to, assignee: event.data.assignee, updatedAt: event.data.raisedAt }));
    case 'EscalationResolved':
      return whileRaised(state, event.type, (s) => ({ ...s, status: 'resolved', resolved: event.data, updatedAt: event.data.resolvedAt }));
    default:
      return unhandled('escalation', 'event', event);
  }
}

/** The reply and read-model shape of a raised escalation. */
export function toEscalationView(state: RaisedEscalation): EscalationView {
  const r = state.raised;
  return {
    escalationId: r.escalationId,
    trigger: r.trigger,
    level: state.level,
    assignee: state.assignee,
    status: state.status,
    issue: r.issue,
    workflowStage: r.workflowStage,
    options: r.options,
    recommendation: r.recommendation,
    blocking: r.blocking,
    runId: r.runId,
    stageId: r.stageId,
    taskId: r.taskId,
    agentId: r.agentId,
    raisedAt: r.raisedAt,
    updatedAt: state.updatedAt,
    resolution: state.resolved?.resolution ?? null,
    resolvedBy: state.resolved?.by ?? null,
    resolutionReason: state.resolved?.reason ?? null,
    resolvedAt: state.resolved?.resolvedAt ?? null,
  };
}

/** Why a climb happened, for the LevelRaised event. */
export function climbReason(level: RaisedEscalation['level'], elapsedText: string): string {
  return `unresolved for ${elapsedText}: up to ${LEVEL_NAMES[level]}`;
}

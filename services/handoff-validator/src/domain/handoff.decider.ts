import { decideByType, unhandled } from '@baton/aggregate';
import { BatonError, type HandoffStatus, type HandoffVerdict, type HandoffView } from '@baton/contracts';
import type { HandoffCommand, HandoffEvaluation, RecordHandoff, RepeatHandoff } from './handoff.commands';
import type { HandoffEvent } from './handoff.events';
import { HandoffNotFoundError } from './handoff.errors';
import type { HandoffState } from './handoff.state';

/** A handoff is accepted when no rule failed. */
export function statusOf(evaluation: HandoffEvaluation): HandoffStatus {
  return evaluation.failures.length === 0 ? 'accepted' : 'rejected';
}

function record(command: RecordHandoff, state: HandoffState): HandoffEvent[] {
  // Idempotent by handoff id: a recorded handoff keeps its first verdict.
  if (state.status !== 'none') return [];
  const { submission: s, evaluation } = command.data;
  const now = command.metadata.now;
  const submitted: HandoffEvent = {
    type: 'HandoffSubmitted',
    data: {
      ...handoffKeyOf(s),
      iteration: s.iteration,
      fromAgentId: s.fromAgentId,
      toAgentIds: [...s.toAgentIds],
      specIds: [...s.specIds],
      artifacts: s.artifacts.map((a) => ({ ...a })),
      context: { ...s.context },
      submittedAt: now,
    },
  };
  const common = {
    ...handoffKeyOf(s),
    fromAgentId: s.fromAgentId,
    specIds: [...s.specIds],
    rulesChecked: evaluation.rulesChecked,
  };
  const verdict: HandoffEvent =
    statusOf(evaluation) === 'accepted'
      ? { type: 'HandoffAccepted', data: { ...common, acceptedAt: now } }
      : { type: 'HandoffRejected', data: { ...common, failures: evaluation.failures.map((f) => ({ ...f, missing: [...f.missing] })), rejectedAt: now } };
  return [submitted, verdict];
}

/** Which handoff, from which task, in which run stage: the fields its events and its view open with. */
function handoffKeyOf(s: { readonly handoffId: string; readonly taskId: string; readonly runId: string | null; readonly stageId: string | null }) {
  return { handoffId: s.handoffId, taskId: s.taskId, runId: s.runId, stageId: s.stageId };
}

function repeat(command: RepeatHandoff, state: HandoffState): HandoffEvent[] {
  if (state.status === 'none') throw new HandoffNotFoundError(command.data.handoffId);
  return [];
}

/**
 * The handoff aggregate's decisions. `RecordHandoff` on a new handoff gives `HandoffSubmitted`
 * followed by `HandoffAccepted` (no rule failed) or `HandoffRejected` (with every failure); on a
 * handoff already recorded it gives nothing (the first verdict stands, also for a request that
 * lost the race to record it). `RepeatHandoff` gives nothing on a recorded handoff and NOT_FOUND
 * on one never recorded. Pure: time comes in on the command.
 */
export const decide = decideByType<HandoffCommand, HandoffState, HandoffEvent>('handoff', {
  RecordHandoff: record,
  RepeatHandoff: repeat,
});

/** The next state after one event. Pure. */
export function evolve(state: HandoffState, event: HandoffEvent): HandoffState {
  switch (event.type) {
    case 'HandoffSubmitted':
      if (state.status !== 'none') throw new BatonError('INTERNAL', `HandoffSubmitted on a handoff that is ${state.status}`);
      return { status: 'submitted', submission: event.data };
    case 'HandoffAccepted':
      if (state.status !== 'submitted') throw new BatonError('INTERNAL', `HandoffAccepted on a handoff that is ${state.status}`);
      return {
        status: 'decided',
        submission: state.submission,
        decision: { status: 'accepted', failures: [], rulesChecked: event.data.rulesChecked, decidedAt: event.data.acceptedAt },
      };
    case 'HandoffRejected':
      if (state.status !== 'submitted') throw new BatonError('INTERNAL', `HandoffRejected on a handoff that is ${state.status}`);
      return {
        status: 'decided',
        submission: state.submission,
        decision: { status: 'rejected', failures: event.data.failures, rulesChecked: event.data.rulesChecked, decidedAt: event.data.rejectedAt },
      };
    default:
      return unhandled('handoff', 'event', event);
  }
}

/** The recorded verdict (the validate-handoff reply), or undefined while the handoff is not decided. */
export function verdictOf(state: HandoffState): HandoffVerdict | undefined {
  if (state.status !== 'decided') return undefined;
  const { submission: s, decision: d } = state;
  return {
    handoffId: s.handoffId,
    status: d.status,
    failures: [...d.failures],
    specIds: [...s.specIds],
    artifacts: [...s.artifacts],
    rulesChecked: d.rulesChecked,
  };
}

/** The get-handoff / list-handoffs view of a decided handoff, or undefined while it is not decided. */
export function handoffViewOf(state: HandoffState): HandoffView | undefined {
  if (state.status !== 'decided') return undefined;
  const { submission: s, decision: d } = state;
  return {
    ...handoffKeyOf(s),
    iteration: s.iteration,
    fromAgentId: s.fromAgentId,
    status: d.status,
    specIds: [...s.specIds],
    artifacts: [...s.artifacts],
    context: { ...s.context },
    failures: [...d.failures],
    submittedAt: s.submittedAt,
  };
}

import { HandoffSla, type EscalationLadder } from '@baton/contracts';
import { handoffAckEscalationId, handoffOutputEscalationId } from './escalation.ids';
import { raisePlan, type RaisePlan } from './escalation.plan';
import { raiseDueAt } from './escalation.policy';
import type { EscalationFacts, HandoffClock } from './escalation.text';

/**
 * Handoff SLAs (seed 000 handoff specs, `sla: {acknowledgment: "30 minutes", first_output: "4 hours"}`).
 * The scheduler puts them in the receiving task's `inputs.handoffSla` ({@link HandoffSla}). Both
 * clocks start at the task's FIRST assignment and keep running when the task is released and
 * assigned again (the SLA is about the handoff, not the attempt):
 * - acknowledgment: stopped by `TaskAccepted`;
 * - first output: stopped by the first `TaskProgressReported`, or `TaskCompleted`;
 * - both: stopped when the task completes, is cancelled or fails for good.
 * A clock that runs out is an `sla_breach` escalation, raised at the breach (L1, to the peer of
 * the agent holding the task) and climbing the ladder from there.
 */

/** What `inputs.handoffSla` of a created task says. */
export type HandoffSlaReading =
  | { readonly kind: 'none' }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'sla'; readonly sla: HandoffSla };

/**
 * Reads `inputs.handoffSla` of a TaskCreated event: `none` when absent (or null), `invalid`
 * when it does not match {@link HandoffSla} (the task is not watched for handoff SLAs).
 *
 * @example readHandoffSla({ handoffSla: { specIds: ['HO-PM-ARCH'], acknowledgmentMs: 1_800_000, firstOutputMs: null } }).kind // 'sla'
 */
export function readHandoffSla(inputs: Readonly<Record<string, unknown>>): HandoffSlaReading {
  const raw = inputs['handoffSla'];
  if (raw === undefined || raw === null) return { kind: 'none' };
  const parsed = HandoffSla.safeParse(raw);
  if (!parsed.success) {
    return { kind: 'invalid', message: parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ') };
  }
  return { kind: 'sla', sla: parsed.data };
}

/** The escalation id of a task's handoff clock (deterministic: one per task and clock). */
export function handoffSlaEscalationId(clock: HandoffClock, taskId: string): string {
  return clock === 'acknowledgment' ? handoffAckEscalationId(taskId) : handoffOutputEscalationId(taskId);
}

/** The task a handoff SLA is watched on, at its first assignment. */
export interface HandoffTask {
  readonly taskId: string;
  readonly action: string | null;
  readonly agentId: string;
  readonly runId: string | null;
  readonly stageId: string | null;
}

/** One handoff clock to watch: its raise plan (since = the breach) and when to raise it. */
export interface HandoffSlaWatch {
  readonly clock: HandoffClock;
  readonly plan: RaisePlan;
  readonly dueAt: Date;
}

/**
 * The watches the first assignment of a task opens, one per clock its SLA sets: each is raised
 * when its SLA runs out (`assignedAt + ms`), which is also where its ladder starts.
 *
 * @example handoffSlaWatches(sla, task, assignedAt, DEFAULT_LADDER).map((w) => w.plan.escalationId) // ['handoff-sla-ack-t-1', 'handoff-sla-output-t-1']
 */
export function handoffSlaWatches(sla: HandoffSla, task: HandoffTask, assignedAt: Date, ladder: EscalationLadder): HandoffSlaWatch[] {
  const clocks: [HandoffClock, number | null][] = [
    ['acknowledgment', sla.acknowledgmentMs],
    ['first_output', sla.firstOutputMs],
  ];
  return clocks.flatMap(([clock, slaMs]) => {
    if (slaMs === null) return [];
    const facts: EscalationFacts = {
      kind: 'handoff_sla',
      clock,
      specIds: sla.specIds,
      slaMs,
      assignedAt: assignedAt.toISOString(),
      taskId: task.taskId,
      action: task.action,
      agentId: task.agentId,
      runId: task.runId,
      stageId: task.stageId,
    };
    const breachAt = new Date(assignedAt.getTime() + slaMs);
    const plan = raisePlan(handoffSlaEscalationId(clock, task.taskId), facts, breachAt, ladder);
    return [{ clock, plan, dueAt: raiseDueAt(plan.trigger, breachAt, ladder) }];
  });
}

/**
 * A pending handoff watch whose task went to another agent (released, then assigned again):
 * same clock, the breach names (and goes to the peer of) the new holder. Undefined when the
 * plan is not a handoff SLA or names that agent already.
 */
export function reassignedHandoffPlan(plan: RaisePlan, agentId: string): RaisePlan | undefined {
  if (plan.facts.kind !== 'handoff_sla' || plan.facts.agentId === agentId) return undefined;
  return { ...plan, facts: { ...plan.facts, agentId } };
}

/** A task event, as far as handoff clocks care. */
export type HandoffTaskEvent =
  | { readonly type: 'TaskAccepted' | 'TaskProgressReported' | 'TaskCompleted' | 'TaskCancelled' }
  | { readonly type: 'TaskFailed'; readonly final: boolean };

/**
 * The handoff clocks an event stops: acceptance the acknowledgment, the first progress report
 * the first output; completion, cancellation and a final failure both.
 */
export function handoffClocksStoppedBy(event: HandoffTaskEvent): readonly HandoffClock[] {
  switch (event.type) {
    case 'TaskAccepted':
      return ['acknowledgment'];
    case 'TaskProgressReported':
      return ['first_output'];
    case 'TaskCompleted':
    case 'TaskCancelled':
      return ['acknowledgment', 'first_output'];
    case 'TaskFailed':
      return event.final ? ['acknowledgment', 'first_output'] : [];
    default: {
      const unhandled: never = event;
      throw new Error(`unknown task event ${String((unhandled as { type: unknown }).type)}`);
    }
  }
}

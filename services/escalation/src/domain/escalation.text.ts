import type { EscalationAssignee, EscalationOption, EscalationTrigger } from '@baton/contracts';

/** The two clocks of a handoff's SLA (seed 000 `sla: {acknowledgment, first_output}`). */
export type HandoffClock = 'acknowledgment' | 'first_output';

/**
 * What an automatic trigger knows about its problem; {@link draftEscalation} turns it into the
 * escalation format of seed 001 (issue, workflow stage, options with trade-offs,
 * recommendation, what is blocked). Plain data: it is stored with the durable timer that
 * raises the escalation.
 */
export type EscalationFacts =
  | {
      readonly kind: 'blocked_task';
      readonly taskId: string;
      readonly action: string | null;
      readonly agentId: string;
      readonly reason: string;
      readonly runId: string | null;
      readonly stageId: string | null;
    }
  | {
      readonly kind: 'stalled_task';
      readonly taskId: string;
      readonly action: string | null;
      readonly agentId: string | null;
      readonly runId: string | null;
      readonly stageId: string | null;
      readonly lastPercent: number | null;
    }
  | {
      readonly kind: 'agent_failure';
      readonly cause: 'agent_offline' | 'failed';
      readonly taskId: string;
      readonly action: string | null;
      readonly agentId: string | null;
      readonly runId: string | null;
      readonly stageId: string | null;
      readonly error: string | null;
    }
  | {
      readonly kind: 'repeated_rejections';
      readonly taskId: string;
      readonly action: string | null;
      readonly agentId: string;
      readonly runId: string | null;
      readonly stageId: string | null;
      readonly rejections: number;
      readonly failures: readonly string[];
    }
  | {
      readonly kind: 'sla_breach';
      readonly runId: string;
      readonly workflowId: string;
      readonly stageId: string;
      readonly iteration: number;
      readonly slaMs: number;
      readonly startedAt: string;
      readonly taskId: string | null;
      readonly agentId: string | null;
    }
  | {
      /** A workflow's run-level `sla` ran out while the run was open; raised as `sla_breach`. */
      readonly kind: 'run_sla';
      readonly runId: string;
      readonly workflowId: string;
      readonly slaMs: number;
      readonly startedAt: string;
    }
  | {
      /** A handoff's SLA (seed 000 `sla:`) ran out on the task that receives it; raised as `sla_breach`. */
      readonly kind: 'handoff_sla';
      /** `acknowledgment`: the task was not accepted in time; `first_output`: no progress or completion in time. */
      readonly clock: HandoffClock;
      /** The handoff specs the SLA comes from (`HO-PM-ARCH`). */
      readonly specIds: readonly string[];
      readonly slaMs: number;
      /** The task's first assignment (ISO), where the clock started. */
      readonly assignedAt: string;
      readonly taskId: string;
      readonly action: string | null;
      /** The agent holding the task (the last one assigned before the breach). */
      readonly agentId: string;
      readonly runId: string | null;
      readonly stageId: string | null;
    }
  | {
      readonly kind: 'conflict';
      readonly conflictId: string;
      readonly conflictKind: string;
      readonly description: string;
      readonly taskIds: readonly string[];
      readonly agentId: string | null;
      readonly runId: string | null;
      /** `timeout`: nobody resolved it in time; `scheduler`: the scheduler resolved it by escalating. */
      readonly via: 'timeout' | 'scheduler';
    }
  | {
      readonly kind: 'approval_needed';
      readonly runId: string;
      readonly workflowId: string;
      readonly stageId: string;
      readonly iteration: number;
      readonly approvers: readonly string[];
    }
  | {
      readonly kind: 'stage_escalated';
      readonly trigger: 'repeated_rejections' | 'policy_decision';
      readonly runId: string;
      readonly workflowId: string;
      readonly stageId: string;
      readonly iteration: number;
      readonly issue: string;
      readonly options: readonly EscalationOption[];
      readonly recommendation: string | null;
      readonly blocking: string;
    };

/** The escalation format (seed 001) and the references of an escalation. */
export interface EscalationDraft {
  readonly trigger: EscalationTrigger;
  readonly issue: string;
  readonly workflowStage: string | null;
  readonly options: EscalationOption[];
  readonly recommendation: string | null;
  readonly blocking: string;
  readonly runId: string | null;
  readonly stageId: string | null;
  readonly iteration: number | null;
  readonly taskId: string | null;
  readonly agentId: string | null;
  readonly conflictId: string | null;
  readonly decidesStage: boolean;
}

/**
 * A duration for people: `45 s`, `31 min`, `2 h 1 min`, `4 h`.
 *
 * @example formatDuration(121 * 60_000) // '2 h 1 min'
 */
export function formatDuration(ms: number): string {
  const totalSeconds = Math.max(0, Math.floor(ms / 1000));
  if (totalSeconds < 60) return `${totalSeconds} s`;
  const totalMinutes = Math.floor(totalSeconds / 60);
  if (totalMinutes < 60) return `${totalMinutes} min`;
  const hours = Math.floor(totalMinutes / 60);
  const minutes = totalMinutes % 60;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

const taskLabel = (taskId: string, action: string | null): string => (action ? `Task ${taskId} (${action})` : `Task ${taskId}`);

function stageLabel(stageId: string | null, workflowId?: string): string | null {
  if (stageId === null) return null;
  return workflowId ? `${stageId} (${workflowId})` : stageId;
}

function taskBlocking(taskId: string, action: string | null, runId: string | null, stageId: string | null): string {
  const task = taskLabel(taskId, action);
  return runId !== null && stageId !== null ? `${task}, and with it stage ${stageId} of run ${runId}` : task;
}

function reassignLabel(assignee: EscalationAssignee | undefined): string {
  return assignee?.kind === 'agent' && assignee.id !== 'lead' ? `Reassign the task to ${assignee.id}` : 'Reassign the task to a peer agent';
}

function orNone(text: string): string {
  return text.trim() === '' ? 'no reason given' : text.trim();
}

/**
 * The tail of every draft about a task, a run stage or a run (not a conflict, not a stage
 * decision): the run, stage, iteration, task and agent it is about.
 */
function pointsAt(
  facts: { readonly runId: string | null; readonly stageId: string | null; readonly taskId: string | null; readonly agentId: string | null },
  iteration: number | null = null,
) {
  return { runId: facts.runId, stageId: facts.stageId, iteration, taskId: facts.taskId, agentId: facts.agentId, conflictId: null, decidesStage: false };
}

/** The tail of a draft that asks a person to decide a stage (approve it, or settle its escalation): the stage iteration. */
function stageDecision(facts: { readonly runId: string; readonly stageId: string; readonly iteration: number }) {
  return { runId: facts.runId, stageId: facts.stageId, iteration: facts.iteration, taskId: null, agentId: null, conflictId: null, decidesStage: true };
}

/** The tail of a draft about one task: what it blocks, then what it points at. */
function taskTail(facts: {
  readonly taskId: string;
  readonly action: string | null;
  readonly runId: string | null;
  readonly stageId: string | null;
  readonly agentId: string | null;
}) {
  return { blocking: taskBlocking(facts.taskId, facts.action, facts.runId, facts.stageId), ...pointsAt(facts) };
}

/** Cancelling a blocked or stalled task: the run may go another way, the task's work is gone. */
const CANCEL_TASK_LOSING_WORK: EscalationOption = { label: 'Cancel the task', tradeoff: 'Frees the run to go another way; the work done so far is lost.' };

type StuckTaskFacts = Extract<EscalationFacts, { readonly kind: 'blocked_task' | 'stalled_task' }>;

/** What a person may do about a task that does not move, blocked or stalled: wait, reassign it or cancel it. */
const STUCK_TASK_CHOICES: Readonly<Record<StuckTaskFacts['kind'], { wait: EscalationOption; reassignTradeoff: string; recommendation: string }>> = {
  blocked_task: {
    wait: { label: 'Wait for the blocker to clear', tradeoff: 'No rework, but the task and everything after it stay blocked meanwhile.' },
    reassignTradeoff: 'Fresh eyes on the blocker; costs a handover and the context the agent built up.',
    recommendation: 'Help the agent clear the blocker first; reassign the task to a peer if it cannot be cleared soon.',
  },
  stalled_task: {
    wait: { label: 'Check on the agent and let it finish', tradeoff: 'Keeps the work done so far; the task may stay stuck.' },
    reassignTradeoff: 'Gets the task moving again; the new agent starts over.',
    recommendation: 'Ask the agent for a status; reassign the task if it does not answer.',
  },
};

/** The draft about a blocked or stalled task (the trigger is the kind of facts), offering its choices. */
function stuckTaskDraft(facts: StuckTaskFacts, issue: string, assignee: EscalationAssignee | undefined): EscalationDraft {
  const choices = STUCK_TASK_CHOICES[facts.kind];
  return {
    trigger: facts.kind,
    issue,
    workflowStage: stageLabel(facts.stageId),
    options: [choices.wait, { label: reassignLabel(assignee), tradeoff: choices.reassignTradeoff }, CANCEL_TASK_LOSING_WORK],
    recommendation: choices.recommendation,
    ...taskTail(facts),
  };
}

/**
 * Writes the escalation for an automatic trigger at `now`, for the assignee it goes to
 * (named in the reassign option). Pure.
 *
 * @example
 * draftEscalation({ kind: 'blocked_task', taskId: 't-1', action: 'write_prd', agentId: 'pm-1', reason: 'no API spec', runId: null, stageId: null },
 *   { since: blockedAt, now: thirtyOneMinutesLater }).issue
 * // 'Task t-1 (write_prd) blocked for 31 min: no API spec'
 */
export function draftEscalation(facts: EscalationFacts, at: { readonly since: Date; readonly now: Date; readonly assignee?: EscalationAssignee }): EscalationDraft {
  const elapsed = formatDuration(at.now.getTime() - at.since.getTime());
  switch (facts.kind) {
    case 'blocked_task':
      return stuckTaskDraft(facts, `${taskLabel(facts.taskId, facts.action)} blocked for ${elapsed}: ${orNone(facts.reason)}`, at.assignee);
    case 'stalled_task': {
      const who = facts.agentId ? `agent ${facts.agentId}` : 'no agent';
      const last = facts.lastPercent === null ? 'no progress reported yet' : `last at ${facts.lastPercent}%`;
      return stuckTaskDraft(facts, `${taskLabel(facts.taskId, facts.action)} has made no progress for ${elapsed} (${who}, ${last})`, at.assignee);
    }
    case 'agent_failure': {
      const task = taskLabel(facts.taskId, facts.action);
      const issue =
        facts.cause === 'agent_offline'
          ? `Agent ${facts.agentId ?? 'unknown'} went offline holding ${task.charAt(0).toLowerCase()}${task.slice(1)}; the task is back in the queue`
          : `${task} failed for good${facts.agentId ? ` (agent ${facts.agentId})` : ''}: ${orNone(facts.error ?? '')}`;
      return {
        trigger: 'agent_failure',
        issue,
        workflowStage: stageLabel(facts.stageId),
        options: [
          { label: 'Run the task again on another agent', tradeoff: 'Quickest way forward; repeats the failure if the cause is in the task itself.' },
          { label: 'Fix the cause, then run it again', tradeoff: 'Deals with the root cause; takes longer.' },
          { label: 'Cancel the task', tradeoff: 'Stops the damage; the run goes on without its output.' },
        ],
        recommendation:
          facts.cause === 'agent_offline'
            ? "Check the agent's health; let the task go to another agent meanwhile."
            : 'Read the error; run the task again on another agent unless its input is at fault.',
        ...taskTail(facts),
      };
    }
    case 'repeated_rejections': {
      const failures = facts.failures.length > 0 ? `: ${facts.failures.slice(0, 5).join('; ')}` : '';
      return {
        trigger: 'repeated_rejections',
        issue: `${taskLabel(facts.taskId, facts.action)}: handoff refused ${facts.rejections} times by its checks${failures}`,
        workflowStage: stageLabel(facts.stageId),
        options: [
          { label: 'Grant an exception and accept the handoff', tradeoff: 'Unblocks the run now; the failing checks are waived.' },
          { label: 'Rework with guidance from a person', tradeoff: 'Keeps the quality bar; another iteration costs time.' },
          { label: reassignLabel(undefined), tradeoff: 'A different agent may pass the checks; starts the task over.' },
        ],
        recommendation: 'Review the failures with the agent; grant an exception only if the checks themselves are wrong.',
        ...taskTail(facts),
      };
    }
    case 'sla_breach':
      return {
        trigger: 'sla_breach',
        issue: `Stage ${facts.stageId} of run ${facts.runId} (${facts.workflowId}) ran past its SLA of ${formatDuration(facts.slaMs)} (started ${facts.startedAt})`,
        workflowStage: stageLabel(facts.stageId, facts.workflowId),
        options: [
          { label: 'Extend the deadline and let the stage finish', tradeoff: 'No disruption; everything after the stage is late too.' },
          { label: 'Add or reassign agents on the stage', tradeoff: 'May catch up; costs handovers.' },
          { label: 'Cancel the run', tradeoff: 'Stops spending on it; its results so far are lost.' },
        ],
        recommendation: facts.agentId
          ? `Ask ${facts.agentId} what holds the stage; reassign its task if it is stuck.`
          : 'Find out what holds the stage; reassign its tasks if they are stuck.',
        blocking: `Run ${facts.runId} (${facts.workflowId}) after stage ${facts.stageId}`,
        ...pointsAt(facts, facts.iteration),
      };
    case 'run_sla':
      return {
        trigger: 'sla_breach',
        issue: `Run ${facts.runId} (${facts.workflowId}) ran past its SLA of ${formatDuration(facts.slaMs)} (started ${facts.startedAt})`,
        workflowStage: facts.workflowId,
        options: [
          { label: 'Extend the deadline and let the run finish', tradeoff: 'No disruption; whoever waits on the result waits longer.' },
          { label: 'Add or reassign agents on its open stages', tradeoff: 'May catch up; costs handovers.' },
          { label: 'Cancel the run', tradeoff: 'Stops spending on it; its results so far are lost.' },
        ],
        recommendation: 'Look at the run\'s open stages and what holds them; reassign stuck tasks.',
        blocking: `Run ${facts.runId} (${facts.workflowId})`,
        ...pointsAt({ runId: facts.runId, stageId: null, taskId: null, agentId: null }),
      };
    case 'handoff_sla': {
      const handoff = facts.specIds.length > 0 ? `Handoff ${facts.specIds.join(', ')}` : 'Handoff';
      const task = taskLabel(facts.taskId, facts.action);
      const taskLower = `${task.charAt(0).toLowerCase()}${task.slice(1)}`;
      const within = formatDuration(facts.slaMs);
      const ack = facts.clock === 'acknowledgment';
      const lead = { label: 'Escalate to the lead', tradeoff: 'The lead can re-plan or re-staff the stage; it takes the lead\'s time, and the stage waits for the decision.' };
      return {
        trigger: 'sla_breach',
        issue: ack
          ? `${handoff}: ${facts.agentId} did not acknowledge ${taskLower} within ${within}`
          : `${handoff}: ${facts.agentId} produced no first output on ${taskLower} within ${within}`,
        workflowStage: stageLabel(facts.stageId),
        options: ack
          ? [
              { label: `Wait for ${facts.agentId} to acknowledge the task`, tradeoff: 'No handover; the stage waits meanwhile, and the agent may be offline or overloaded.' },
              { label: reassignLabel(at.assignee), tradeoff: 'The task has not been started, so nothing is lost; the new agent works from the handoff alone.' },
              lead,
            ]
          : [
              { label: `Wait for the first output from ${facts.agentId}`, tradeoff: 'Keeps what the agent has done so far; the stage stays late meanwhile.' },
              { label: reassignLabel(at.assignee), tradeoff: 'May get output sooner; the new agent starts over and any work in progress is lost.' },
              lead,
            ],
        recommendation: ack
          ? `Check that ${facts.agentId} is online and has capacity; reassign the task to a peer if it does not acknowledge soon.`
          : `Ask ${facts.agentId} for a status; reassign the task to a peer if nothing is under way.`,
        blocking: facts.runId !== null && facts.stageId !== null ? `Stage ${facts.stageId} of run ${facts.runId}` : task,
        ...pointsAt(facts),
      };
    }
    case 'conflict': {
      const recommendations: Readonly<Record<string, string>> = {
        file_overlap: 'Queue the later task until the earlier one ends, so their files do not clash.',
        dependency_clash: 'Queue the task until the task it depends on completes.',
        duplicate_task: 'Keep one of the duplicates and cancel the other.',
        agent_idle_timeout: 'Reassign the tasks of the silent agent.',
      };
      const head =
        facts.via === 'scheduler'
          ? `Conflict ${facts.conflictId} (${facts.conflictKind}) was escalated by the scheduler`
          : `Conflict ${facts.conflictId} (${facts.conflictKind}) unresolved for ${elapsed}`;
      return {
        trigger: 'conflict',
        issue: `${head}: ${facts.description}`,
        workflowStage: null,
        options: [
          { label: 'Reassign one of the tasks', tradeoff: 'Both go on at once; needs another agent with the skills.' },
          { label: 'Queue the later task until the earlier one ends', tradeoff: 'Safe; the later task waits.' },
          { label: 'Cancel one of the tasks', tradeoff: 'Ends the clash at once; its work is dropped.' },
        ],
        recommendation: recommendations[facts.conflictKind] ?? 'Decide which task goes first.',
        blocking: facts.taskIds.length > 0 ? `Tasks ${facts.taskIds.join(', ')}` : `Conflict ${facts.conflictId}`,
        runId: facts.runId,
        stageId: null,
        iteration: null,
        taskId: facts.taskIds[0] ?? null,
        agentId: facts.agentId,
        conflictId: facts.conflictId,
        decidesStage: false,
      };
    }
    case 'approval_needed':
      return {
        trigger: 'approval_needed',
        issue: `Stage ${facts.stageId} of run ${facts.runId} (${facts.workflowId}) has waited ${elapsed} for approval${
          facts.approvers.length > 0 ? ` by ${facts.approvers.join(', ')}` : ''
        }`,
        workflowStage: stageLabel(facts.stageId, facts.workflowId),
        options: [
          { label: 'Approve the stage (exception_granted)', tradeoff: 'The run goes on now.' },
          { label: 'Reject the stage (resolved)', tradeoff: 'The work goes back, or the stage fails; the run is delayed.' },
        ],
        recommendation: 'Review the stage and approve or reject it.',
        blocking: `Stage ${facts.stageId} of run ${facts.runId} (${facts.workflowId})`,
        ...stageDecision(facts),
      };
    case 'stage_escalated':
      return {
        trigger: facts.trigger,
        issue: facts.issue,
        workflowStage: stageLabel(facts.stageId, facts.workflowId),
        options: facts.options.map((o) => ({ label: o.label, tradeoff: o.tradeoff })),
        recommendation: facts.recommendation,
        blocking: facts.blocking,
        ...stageDecision(facts),
      };
    default: {
      const unhandled: never = facts;
      throw new Error(`unknown escalation facts ${String((unhandled as { kind: unknown }).kind)}`);
    }
  }
}

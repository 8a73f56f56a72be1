import { BatonError, errorCodeOf, type EscalationLadder, type RecordedEvent } from '@baton/contracts';
import type { MessagingLogger, Queryable } from '@baton/messaging';
import { currentTaskOfStage, lockTask, openWatches, setWatchPlan, updateTimer, upsertRun, upsertTask, upsertWorkflowLadder, IMMEDIATELY, raiseTimerId } from '../read-model/watch.queries';
import type { TaskRow } from '../read-model/escalation.tables';
import {
  agentFailureEscalationId,
  approvalEscalationId,
  blockedEscalationId,
  conflictEscalationId,
  handoffClocksStoppedBy,
  handoffSlaEscalationId,
  handoffSlaWatches,
  raiseDueAt,
  raisePlan,
  readHandoffSla,
  reassignedHandoffPlan,
  rejectionsEscalationId,
  slaEscalationId,
  runSlaEscalationId,
  stageEscalationId,
  stalledEscalationId,
  type EscalationFacts,
  type HandoffTaskEvent,
  type RaisePlan,
} from '../domain';
import { toInputEvent, type InputEvent } from './input-events';
import { armWatch, closeWatch, closeWatches, ladderOfRun, NO_REFS, openWatch, SERVICE_ACTOR, type Closing } from './watches';
import { ladderOverridesOfYaml } from './workflow-ladder';

/** What the consumer needs besides the client of its transaction. */
export interface InputEventContext {
  /** The service's ladder (configuration); a workflow's `escalation:` metadata overrides it. */
  readonly ladder: EscalationLadder;
  readonly logger: MessagingLogger;
}

/** Handoff refusals of one task (under one lease) that escalate it to a human. */
export const REJECTIONS_LIMIT = 3;

const resolved = (reason: string): Closing => ({ resolution: 'resolved', reason, by: SERVICE_ACTOR });

const taskName = (task: Pick<TaskRow, 'task_id' | 'action'>): string => (task.action ? `task ${task.task_id} (${task.action})` : `task ${task.task_id}`);

function taskRefs(task: TaskRow) {
  return { ...NO_REFS, taskId: task.task_id, runId: task.run_id, stageId: task.stage_id };
}

/** Closes the watches that belong to the lease the task just lost or ended: blocked and stalled. */
async function closeLeaseWatches(q: Queryable, taskId: string, reason: string, at: Date): Promise<void> {
  await closeWatches(q, { taskId, triggers: ['blocked_task', 'stalled_task'] }, resolved(reason), at);
}

function stalledFacts(task: TaskRow): EscalationFacts {
  return {
    kind: 'stalled_task',
    taskId: task.task_id,
    action: task.action,
    agentId: task.agent_id,
    runId: task.run_id,
    stageId: task.stage_id,
    lastPercent: task.last_percent,
  };
}

/**
 * (Re)starts the stall window of a held task at `from`: the pending stall watch's timer moves;
 * a stall escalation already raised is resolved (the task moved again) and a new watch opens.
 */
async function armStall(q: Queryable, task: TaskRow, from: Date, ladder: EscalationLadder, at: Date): Promise<void> {
  const [watch] = await openWatches(q, { taskId: task.task_id, triggers: ['stalled_task'] });
  if (watch) {
    const plan = raisePlan(watch.escalation_id, stalledFacts(task), from, ladder);
    if (await updateTimer(q, raiseTimerId(watch.escalation_id), raiseDueAt('stalled_task', from, ladder), {})) {
      await setWatchPlan(q, watch.escalation_id, plan);
      return;
    }
    await closeWatch(q, watch.escalation_id, resolved(`${taskName(task)} moved again at ${from.toISOString()}`), at);
  }
  const seq = task.stall_seq + 1;
  await upsertTask(q, task.task_id, { stall_seq: seq, updated_at: at });
  const plan = raisePlan(stalledEscalationId(task.task_id, seq), stalledFacts(task), from, ladder);
  await openWatch(q, plan, taskRefs(task), raiseDueAt('stalled_task', from, ladder), at);
}

/**
 * Starts the handoff SLA clocks of a task at its first assignment (one watch per clock, raised
 * when the SLA runs out). Their ids are used once, so a later assignment (the task was released)
 * keeps the clocks running from the first one; a breach still to come then names the new holder.
 */
async function watchHandoffSla(q: Queryable, task: TaskRow, agentId: string, at: Date, ladder: EscalationLadder): Promise<void> {
  if (task.handoff_sla === null) return;
  const handoffTask = { taskId: task.task_id, action: task.action, agentId, runId: task.run_id, stageId: task.stage_id };
  for (const { plan, dueAt } of handoffSlaWatches(task.handoff_sla, handoffTask, at, ladder)) {
    if (await openWatch(q, plan, taskRefs(task), dueAt, at)) continue;
    const [watch] = await openWatches(q, { escalationId: plan.escalationId });
    const reassigned = watch ? reassignedHandoffPlan(watch.plan, agentId) : undefined;
    if (!watch || !reassigned) continue;
    // Only while it is not raised yet (its raise timer still armed): a raised escalation keeps its agent.
    if (await updateTimer(q, raiseTimerId(watch.escalation_id), raiseDueAt(watch.plan.trigger, new Date(watch.plan.since), watch.plan.ladder), {})) {
      await setWatchPlan(q, watch.escalation_id, reassigned);
    }
  }
}

/** Stops the handoff SLA clocks `event` stops (resolving a breach already raised). */
async function stopHandoffClocks(q: Queryable, taskId: string, event: HandoffTaskEvent, reason: string, at: Date): Promise<void> {
  for (const clock of handoffClocksStoppedBy(event)) await closeWatch(q, handoffSlaEscalationId(clock, taskId), resolved(reason), at);
}

async function applyTaskEvent(q: Queryable, event: Extract<InputEvent, { type: `Task${string}` }>, ctx: InputEventContext): Promise<void> {
  const taskId = event.data.taskId;
  const existing = await lockTask(q, taskId);
  const ladderOf = (task: TaskRow) => ladderOfRun(q, task.run_id, ctx.ladder);
  switch (event.type) {
    case 'TaskCreated': {
      const d = event.data;
      const sla = readHandoffSla(d.inputs);
      // A task without a (valid) handoff SLA is not watched for one.
      if (sla.kind === 'invalid') ctx.logger.debug?.(`task ${taskId}: inputs.handoffSla ignored: ${sla.message}`);
      await upsertTask(q, taskId, {
        run_id: d.runId,
        stage_id: d.stageId,
        action: d.action,
        ...(sla.kind === 'sla' ? { handoff_sla: JSON.stringify(sla.sla) } : {}),
        updated_at: new Date(d.createdAt),
      });
      return;
    }
    case 'TaskAssigned': {
      const d = event.data;
      const at = new Date(d.assignedAt);
      if (existing?.status === 'held' || existing?.status === 'blocked') await closeLeaseWatches(q, taskId, `task ${taskId} was assigned to ${d.agentId}`, at);
      const task = await upsertTask(q, taskId, { agent_id: d.agentId, lease_epoch: d.leaseEpoch, status: 'held', last_activity_at: at, blocked_at: null, block_reason: null, updated_at: at });
      const ladder = await ladderOf(task);
      await armStall(q, task, at, ladder, at);
      await watchHandoffSla(q, task, d.agentId, at, ladder);
      return;
    }
    case 'TaskAccepted':
    case 'TaskProgressReported': {
      const d = event.data;
      const at = new Date(event.type === 'TaskAccepted' ? event.data.acceptedAt : event.data.reportedAt);
      const name = taskName({ task_id: taskId, action: existing?.action ?? null });
      const stopped = event.type === 'TaskAccepted' ? `${d.agentId} accepted ${name} at ${event.data.acceptedAt}` : `${d.agentId} reported progress on ${name} (${event.data.percent}%) at ${event.data.reportedAt}`;
      await stopHandoffClocks(q, taskId, event, stopped, at);
      if (existing?.status === 'ended' || existing?.status === 'blocked') return;
      const task = await upsertTask(q, taskId, {
        agent_id: d.agentId,
        lease_epoch: d.leaseEpoch,
        status: 'held',
        last_activity_at: at,
        ...(event.type === 'TaskProgressReported' ? { last_percent: event.data.percent } : {}),
        updated_at: at,
      });
      await armStall(q, task, at, await ladderOf(task), at);
      return;
    }
    case 'TaskHandoffRejected': {
      const d = event.data;
      const at = new Date(d.rejectedAt);
      const task = await upsertTask(q, taskId, { agent_id: d.agentId, lease_epoch: d.leaseEpoch, last_activity_at: at, updated_at: at });
      const ladder = await ladderOf(task);
      if (task.status === 'held') await armStall(q, task, at, ladder, at);
      if (d.rejections >= REJECTIONS_LIMIT) {
        const facts: EscalationFacts = {
          kind: 'repeated_rejections',
          taskId,
          action: task.action,
          agentId: d.agentId,
          runId: task.run_id,
          stageId: task.stage_id,
          rejections: d.rejections,
          failures: d.failures.map((f) => (f.artifact ? `${f.artifact}: ${f.message}` : f.message)),
        };
        await openWatch(q, raisePlan(rejectionsEscalationId(taskId, d.leaseEpoch), facts, at, ladder), taskRefs(task), IMMEDIATELY, at);
      }
      return;
    }
    case 'TaskBlocked': {
      const d = event.data;
      const at = new Date(d.blockedAt);
      const task = await upsertTask(q, taskId, { agent_id: d.agentId, lease_epoch: d.leaseEpoch, status: 'blocked', blocked_at: at, block_reason: d.reason, updated_at: at });
      await closeWatches(q, { taskId, triggers: ['stalled_task'] }, resolved(`the agent reported ${taskName(task)} blocked: followed as a blocked task`), at);
      const ladder = await ladderOf(task);
      const facts: EscalationFacts = { kind: 'blocked_task', taskId, action: task.action, agentId: d.agentId, reason: d.reason, runId: task.run_id, stageId: task.stage_id };
      await openWatch(q, raisePlan(blockedEscalationId(taskId, at), facts, at, ladder), taskRefs(task), raiseDueAt('blocked_task', at, ladder), at);
      return;
    }
    case 'TaskUnblocked': {
      const d = event.data;
      const at = new Date(d.unblockedAt);
      const task = await upsertTask(q, taskId, { status: 'held', blocked_at: null, block_reason: null, last_activity_at: at, updated_at: at });
      await closeWatches(q, { taskId, triggers: ['blocked_task'] }, resolved(`${taskName(task)} was unblocked at ${d.unblockedAt}`), at);
      await armStall(q, task, at, await ladderOf(task), at);
      return;
    }
    case 'TaskCompleted': {
      const at = new Date(event.data.completedAt);
      const task = await upsertTask(q, taskId, { status: 'ended', updated_at: at });
      const reason = `${taskName(task)} completed at ${event.data.completedAt}`;
      await stopHandoffClocks(q, taskId, event, reason, at);
      await closeWatches(q, { taskId }, resolved(reason), at);
      return;
    }
    case 'TaskCancelled': {
      const at = new Date(event.data.cancelledAt);
      const task = await upsertTask(q, taskId, { status: 'ended', updated_at: at });
      const reason = `${taskName(task)} was cancelled: ${event.data.reason}`;
      await stopHandoffClocks(q, taskId, event, reason, at);
      await closeWatches(q, { taskId }, resolved(reason), at);
      return;
    }
    case 'TaskFailed': {
      const d = event.data;
      const at = new Date(d.failedAt);
      const task = await upsertTask(q, taskId, { status: d.final ? 'ended' : 'queued', agent_id: d.agentId, updated_at: at });
      const reason = `${taskName(task)} failed${d.final ? '' : ' (it will be tried again)'}: ${d.error.message}`;
      await closeLeaseWatches(q, taskId, reason, at);
      // A final failure ends the handoff clocks (it is an agent_failure escalation instead); a retry keeps them running.
      await stopHandoffClocks(q, taskId, { type: 'TaskFailed', final: d.final }, reason, at);
      if (d.final) {
        const facts: EscalationFacts = { kind: 'agent_failure', cause: 'failed', taskId, action: task.action, agentId: d.agentId, runId: task.run_id, stageId: task.stage_id, error: d.error.message };
        await openWatch(q, raisePlan(agentFailureEscalationId(taskId, at), facts, at, await ladderOf(task)), taskRefs(task), IMMEDIATELY, at);
      }
      return;
    }
    case 'TaskReleased': {
      const d = event.data;
      const at = new Date(d.releasedAt);
      const task = await upsertTask(q, taskId, { status: 'queued', updated_at: at });
      await closeLeaseWatches(q, taskId, `${taskName(task)} was released from ${d.agentId} (${d.reason})`, at);
      if (d.reason === 'agent_offline') {
        const facts: EscalationFacts = { kind: 'agent_failure', cause: 'agent_offline', taskId, action: task.action, agentId: d.agentId, runId: task.run_id, stageId: task.stage_id, error: null };
        await openWatch(q, raisePlan(agentFailureEscalationId(taskId, at), facts, at, await ladderOf(task)), taskRefs(task), IMMEDIATELY, at);
      }
      return;
    }
    default: {
      const unhandled: never = event;
      throw new BatonError('INTERNAL', `task event ${String((unhandled as { type: unknown }).type)} is not handled`);
    }
  }
}

function stageRefs(runId: string, stageId: string, iteration: number) {
  return { ...NO_REFS, runId, stageId, iteration };
}

/** The stage (one iteration of it, in its run and workflow) a stage event's escalation is about. */
function stageOf(d: { readonly runId: string; readonly workflowId: string; readonly stageId: string; readonly iteration: number }) {
  return { runId: d.runId, workflowId: d.workflowId, stageId: d.stageId, iteration: d.iteration };
}

async function applyOtherEvent(q: Queryable, event: Exclude<InputEvent, { type: `Task${string}` }>, ctx: InputEventContext, recorded: RecordedEvent): Promise<void> {
  const at = new Date(recorded.metadata.occurredAt);
  switch (event.type) {
    case 'WorkflowVersionRegistered': {
      const d = event.data;
      let overrides;
      try {
        overrides = ladderOverridesOfYaml(d.yaml);
      } catch (err) {
        // A bad `escalation:` block must not hold up the other events: the workflow keeps the service's ladder.
        ctx.logger.warn(`workflow ${d.workflowId} ${d.version}: escalation ladder ignored: ${errorCodeOf(err) ?? 'INTERNAL'} ${(err as Error).message}`);
        return;
      }
      if (overrides !== undefined) await upsertWorkflowLadder(q, d.workflowId, d.version, overrides);
      return;
    }
    case 'RunStarted':
      await upsertRun(q, event.data);
      return;
    case 'StageSlaBreached': {
      const d = event.data;
      const task = await currentTaskOfStage(q, d.runId, d.stageId);
      const facts: EscalationFacts = {
        kind: 'sla_breach',
        ...stageOf(d),
        slaMs: d.slaMs,
        startedAt: d.startedAt,
        taskId: task?.task_id ?? null,
        agentId: task?.agent_id ?? null,
      };
      const plan = raisePlan(slaEscalationId(d.runId, d.stageId, d.iteration), facts, new Date(d.breachedAt), await ladderOfRun(q, d.runId, ctx.ladder));
      await openWatch(q, plan, stageRefs(d.runId, d.stageId, d.iteration), IMMEDIATELY, at);
      return;
    }
    case 'RunSlaBreached': {
      const d = event.data;
      const facts: EscalationFacts = { kind: 'run_sla', runId: d.runId, workflowId: d.workflowId, slaMs: d.slaMs, startedAt: d.startedAt };
      const plan = raisePlan(runSlaEscalationId(d.runId), facts, new Date(d.breachedAt), await ladderOfRun(q, d.runId, ctx.ladder));
      await openWatch(q, plan, { ...NO_REFS, runId: d.runId }, IMMEDIATELY, at);
      return;
    }
    case 'StageEscalated': {
      const d = event.data;
      const facts: EscalationFacts = {
        kind: 'stage_escalated',
        trigger: d.trigger,
        ...stageOf(d),
        issue: d.issue,
        options: d.options,
        recommendation: d.recommendation,
        blocking: d.blocking,
      };
      const plan = raisePlan(stageEscalationId(d.runId, d.stageId, d.iteration), facts, new Date(d.escalatedAt), await ladderOfRun(q, d.runId, ctx.ladder), 3);
      await openWatch(q, plan, stageRefs(d.runId, d.stageId, d.iteration), IMMEDIATELY, at);
      return;
    }
    case 'StageApprovalRequested': {
      const d = event.data;
      // A review escalated to a human comes with its own StageEscalated.
      if (d.reason === 'review_escalated') return;
      const ladder = await ladderOfRun(q, d.runId, ctx.ladder);
      const since = new Date(d.requestedAt);
      const facts: EscalationFacts = { kind: 'approval_needed', ...stageOf(d), approvers: d.approvers };
      // Waiting for an approval is the workflow working; it escalates when the approval is still missing after the L1 threshold.
      await openWatch(q, raisePlan(approvalEscalationId(d.runId, d.stageId, d.iteration), facts, since, ladder), stageRefs(d.runId, d.stageId, d.iteration), new Date(since.getTime() + ladder.l1AfterMs), at);
      return;
    }
    case 'StageApproved':
    case 'StageRejected': {
      const d = event.data;
      const closing: Closing = {
        resolution: event.type === 'StageApproved' ? 'exception_granted' : 'resolved',
        reason: `stage ${d.stageId} of run ${d.runId} was ${event.type === 'StageApproved' ? 'approved' : 'rejected'} by ${d.by.kind} ${d.by.id}: ${d.reason}`,
        by: d.by,
      };
      for (const id of [stageEscalationId(d.runId, d.stageId, d.iteration), approvalEscalationId(d.runId, d.stageId, d.iteration)]) {
        await closeWatch(q, id, closing, at);
      }
      return;
    }
    case 'StageCompleted':
    case 'StageFailed': {
      const d = event.data;
      const verb = event.type === 'StageCompleted' ? 'completed' : 'failed';
      await closeWatches(q, { runId: d.runId, stageId: d.stageId, iteration: d.iteration }, resolved(`stage ${d.stageId} of run ${d.runId} ${verb}`), at);
      return;
    }
    case 'RunCompleted':
    case 'RunFailed':
    case 'RunCancelled': {
      const verb = { RunCompleted: 'completed', RunFailed: 'failed', RunCancelled: 'was cancelled' }[event.type];
      await closeWatches(q, { runId: event.data.runId }, resolved(`run ${event.data.runId} ${verb}`), at);
      return;
    }
    case 'ConflictDetected': {
      const d = event.data;
      const ladder = await ladderOfRun(q, d.runId, ctx.ladder);
      const facts: EscalationFacts = {
        kind: 'conflict',
        conflictId: d.conflictId,
        conflictKind: d.kind,
        description: d.description,
        taskIds: d.taskIds,
        agentId: d.agentId,
        runId: d.runId,
        via: 'timeout',
      };
      const detectedAt = new Date(d.detectedAt);
      // Resolved by the scheduler on its own (e.g. queued): watched, with no timer, in case it is escalated later.
      const dueAt = d.autoResolution === null ? raiseDueAt('conflict', detectedAt, ladder) : undefined;
      await openWatch(q, raisePlan(conflictEscalationId(d.conflictId), facts, detectedAt, ladder), { ...NO_REFS, conflictId: d.conflictId, runId: d.runId }, dueAt, at);
      return;
    }
    case 'ConflictNeedsDecision': {
      // The scheduler can no longer settle it alone (e.g. a dependency failed): a person decides if nobody does within the conflict window.
      const d = event.data;
      const id = conflictEscalationId(d.conflictId);
      const [watch] = await openWatches(q, { escalationId: id });
      if (watch) await armWatch(q, id, raiseDueAt('conflict', new Date(d.at), await ladderOfRun(q, d.runId, ctx.ladder)));
      return;
    }
    case 'ConflictResolved': {
      const d = event.data;
      const id = conflictEscalationId(d.conflictId);
      if (d.resolution === 'escalate') {
        // The scheduler hands the conflict to a human: raise it now, at L3.
        const [watch] = await openWatches(q, { escalationId: id });
        if (watch) {
          const plan: RaisePlan = { ...watch.plan, floor: 3, facts: watch.plan.facts.kind === 'conflict' ? { ...watch.plan.facts, via: 'scheduler' } : watch.plan.facts };
          await setWatchPlan(q, id, plan);
          await armWatch(q, id, IMMEDIATELY);
        }
        return;
      }
      const reassigned = d.reassignTo !== null ? ` to ${d.reassignTo}` : '';
      await closeWatch(q, id, { resolution: 'resolved', reason: `conflict ${d.conflictId} resolved by ${d.resolution}${reassigned}: ${d.reason}`, by: d.by }, at);
      return;
    }
    default: {
      const unhandled: never = event;
      throw new BatonError('INTERNAL', `event ${String((unhandled as { type: unknown }).type)} is not handled`);
    }
  }
}

/**
 * Applies one consumed event to the watches and timers, on the client of the inbox transaction
 * (so the effect and the inbox row commit together; a redelivered event changes nothing). It
 * only writes rows: raising and resolving escalations is the timer poller's job, so nothing is
 * lost when the service stops between the two.
 */
export async function applyInputEvent(q: Queryable, recorded: RecordedEvent, ctx: InputEventContext): Promise<void> {
  const event = toInputEvent(recorded);
  if (event.type.startsWith('Task')) {
    await applyTaskEvent(q, event as Extract<InputEvent, { type: `Task${string}` }>, ctx);
  } else {
    await applyOtherEvent(q, event as Exclude<InputEvent, { type: `Task${string}` }>, ctx, recorded);
  }
}

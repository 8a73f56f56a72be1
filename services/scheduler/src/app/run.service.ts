import {
  comparePositions,
  formatPosition,
  parsePosition,
  runStreamId,
  shortDigest,
  type Actor,
  type ReplayRun,
  type GetRunAudit,
  auditDetails,
  RUN_AUDIT_MAX_ENTRIES,
  type RecordedEvent,
  type ReplyOf,
  ConflictError,
  NotFoundError,
  ValidationError,
  type CommandEnvelope,
  type RunState as RunStateName,
  type RunSummary,
  type StepStatus,
  type TaskPriority,
  type WorkflowDiagnosticView,
  type WorkflowResultView,
  type WorkflowStepView,
  type WorkflowSummary,
} from '@baton/contracts';
import { compareVersions, parseWorkflow, resolveParams, type StageStatus, type WorkflowDefinition } from '@baton/workflow-dsl';
import type { CommandContext } from '@baton/aggregate';
import type { EventStore } from '@baton/event-store';
import type { Kysely } from 'kysely';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';
import { foldRun, rerunPlan, routeWorkItem, toRunEvent, type ExistingRun, type RunCommand } from '../domain';
import type { CommandMetadata } from '../domain';
import type { RunEnvironment, RunRunner } from './runners';
import { diagnosticView, type RegisteredWorkflow, type WorkflowDefinitions } from './workflow-definitions';
import { TRUST_ENVELOPE_ACTOR, type ActorCheck } from './actor-check';

function resultStatus(state: RunStateName): 'success' | 'failure' | 'running' {
  return state === 'success' ? 'success' : state === 'failure' || state === 'cancelled' ? 'failure' : 'running';
}

function stepStatus(s: StageStatus): StepStatus {
  switch (s) {
    case 'succeeded':
      return 'success';
    case 'failed':
      return 'failure';
    case 'skipped':
      return 'skipped';
    case 'running':
      return 'running';
    case 'pending':
    case 'waiting':
      return 'pending';
    default: {
      const unreachable: never = s;
      return unreachable;
    }
  }
}

/** Builds the WorkflowResult (seed 003) of a run from its state and pinned definition. */
export function toWorkflowResult(def: WorkflowDefinition, run: ExistingRun): WorkflowResultView {
  const steps: WorkflowStepView[] = def.stageOrder.map((stageId) => {
    const r = run.stages[stageId];
    const stage = def.stages[stageId];
    const tasks = Object.values(r?.tasks ?? {});
    const agents = [...new Set(tasks.map((t) => t.agentId ?? t.spec.agent))];
    const selector = stage?.agent === null || stage?.agent === undefined ? 'orchestrator' : stage.agent.value;
    const error = r?.error ?? r?.skipReason ?? undefined;
    return {
      stepId: stageId,
      agent: agents.length > 0 ? agents.join(',') : selector,
      status: stepStatus(r?.status ?? 'pending'),
      output: r?.outputs ?? null,
      ...(error === undefined || error === null ? {} : { error }),
      runs: r?.runs ?? 0,
      outcome: r?.outcome ?? null,
      taskIds: tasks.map((t) => t.spec.taskId),
    };
  });
  const count = (st: StepStatus) => steps.filter((s) => s.status === st).length;
  const start = Date.parse(run.startedAt);
  return {
    workflowId: run.workflowId,
    runId: run.runId,
    version: run.version,
    status: resultStatus(run.status),
    state: run.status,
    startTime: run.startedAt,
    ...(run.endedAt === null ? {} : { endTime: run.endedAt, duration: Math.max(0, Date.parse(run.endedAt) - start) }),
    steps,
    metrics: { totalSteps: steps.length, successfulSteps: count('success'), failedSteps: count('failure'), skippedSteps: count('skipped') },
    params: { ...run.params },
    priority: run.priority,
    ...(run.error === null ? {} : { error: run.error }),
    ...(run.rerunOf === null ? {} : { rerunOf: run.rerunOf }),
    ...(run.reruns.length === 0 ? {} : { reruns: [...run.reruns] }),
  };
}

/** Options of {@link RunService.startRun}. */
export interface StartRunInput {
  readonly workflowId: string;
  readonly version?: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly priority: TaskPriority;
  readonly runId?: string;
  readonly trigger?: Readonly<Record<string, unknown>>;
  /** Who starts it (the command's actor); they may not approve its stages. */
  readonly startedBy?: Actor;
}

/**
 * Workflow and run use cases behind the NATS controller: register/validate definitions, start,
 * cancel, pause and resume runs, route work items, and the run/definition queries.
 */
export class RunService {
  constructor(
    private readonly definitions: WorkflowDefinitions,
    private readonly runs: RunRunner,
    private readonly environment: RunEnvironment,
    private readonly store: EventStore,
    private readonly db: Kysely<SchedulerDatabase>,
    /** Who a person's start or decision is from (see ActorCheck). */
    readonly actors: ActorCheck = TRUST_ENVELOPE_ACTOR,
  ) {}

  register(yaml: string, file: string | undefined, ctx?: CommandContext): Promise<RegisteredWorkflow> {
    return this.definitions.register(yaml, file, ctx);
  }

  validate(yaml: string, file?: string): { ok: boolean; errors: WorkflowDiagnosticView[]; workflowId: string | null; version: string | null; hash: string | null } {
    const r = parseWorkflow(yaml, { file: file ?? 'workflow.yml' });
    if (!r.ok) return { ok: false, errors: r.errors.map(diagnosticView), workflowId: null, version: null, hash: null };
    return { ok: true, errors: [], workflowId: r.workflow.id, version: r.workflow.version, hash: r.workflow.hash };
  }

  /** Starts a run; idempotent by run id (the same id for another workflow is a CONFLICT). */
  async startRun(input: StartRunInput, ctx: CommandContext): Promise<{ runId: string; workflowId: string; version: string }> {
    const { def } = await this.definitions.load(input.workflowId, input.version);
    const params = resolveParams(def, input.params);
    if (!params.ok) throw new ValidationError(`invalid params for workflow ${def.id}: ${params.errors.join('; ')}`, { errors: params.errors });
    const runId = input.runId ?? `run-${shortDigest(ctx.commandId)}`;
    const r = await this.runs.execute(
      runId,
      (metadata: CommandMetadata): RunCommand => ({
        type: 'StartRun',
        data: { runId, params: params.params, priority: input.priority, trigger: input.trigger ?? {}, startedBy: input.startedBy ?? null },
        metadata,
      }),
      { ...ctx, ...(input.startedBy ? { actor: input.startedBy } : {}) },
      // A run id is new but for a repeat: decided without reading the stream first (a repeat's
      // append at no_stream is refused and decided again on the stream as it is).
      { env: (state) => this.environment(state, runId, def), assumeNew: true },
    );
    if (!r.state.exists) throw new NotFoundError('run', runId);
    if (r.state.workflowId !== def.id) throw new ConflictError(`run ${runId} already exists for workflow ${r.state.workflowId}`, { runId });
    return { runId, workflowId: r.state.workflowId, version: r.state.version };
  }

  /**
   * Starts a new run of `sourceRunId`'s workflow version at `fromStage`, taking over the recorded
   * results of the stages before it (see `rerunPlan`), then records the rerun on the source run.
   * Both steps are idempotent by the command id, so a retry after a crash between them completes
   * the second. `by` (the command's actor) is the new run's starter.
   */
  async rerun(
    input: { readonly sourceRunId: string; readonly fromStage: string; readonly newRunId?: string; readonly reason?: string; readonly by?: Actor },
    ctx: CommandContext,
  ): Promise<{ runId: string; sourceRunId: string; fromStage: string; workflowId: string; version: string; reusedStages: string[] }> {
    const { state: source } = await this.runs.load(input.sourceRunId);
    if (!source.exists) throw new NotFoundError('run', input.sourceRunId);
    const def = await this.definitions.pinned(source.workflowId, source.version, source.hash);
    const reused = rerunPlan(def, source, input.fromStage);
    const runId = input.newRunId ?? `run-${shortDigest(`rerun:${ctx.commandId}`)}`;
    if (runId === source.runId) throw new ValidationError(`a rerun needs a new run id; ${runId} is the source run`, { runId });
    const by = input.by ?? null;
    const started = await this.runs.execute(
      runId,
      (metadata): RunCommand => ({
        type: 'StartRun',
        data: { runId, params: source.params, priority: source.priority, trigger: source.trigger, startedBy: by, rerun: { runId: source.runId, fromStage: input.fromStage, reused } },
        metadata,
      }),
      { ...ctx, ...(by === null ? {} : { actor: by }) },
      { env: (state) => this.environment(state, runId, def), assumeNew: true },
    );
    if (!started.state.exists) throw new NotFoundError('run', runId);
    if (started.state.rerunOf?.runId !== source.runId) throw new ConflictError(`run ${runId} already exists and is not a rerun of ${source.runId}`, { runId });
    await this.runs.execute(
      source.runId,
      (metadata): RunCommand => ({ type: 'RecordRerun', data: { rerunRunId: runId, fromStage: input.fromStage, requestedBy: by, reason: input.reason ?? null }, metadata }),
      { ...ctx, commandId: `${ctx.commandId}:source`, ...(by === null ? {} : { actor: by }) },
    );
    return { runId, sourceRunId: source.runId, fromStage: input.fromStage, workflowId: def.id, version: def.version, reusedStages: reused.map((r) => r.stageId) };
  }

  async control(kind: 'CancelRun' | 'PauseRun' | 'ResumeRun', cmd: CommandEnvelope<{ runId: string; reason?: string }>, ctx: CommandContext): Promise<{ runId: string; status: RunStateName }> {
    const { runId, reason } = cmd.data;
    const r = await this.runs.execute(
      runId,
      (metadata): RunCommand => {
        switch (kind) {
          case 'CancelRun':
            return { type: 'CancelRun', data: { reason: reason ?? 'cancelled' }, metadata };
          case 'PauseRun':
            return { type: 'PauseRun', data: { reason: reason ?? null }, metadata };
          case 'ResumeRun':
            return { type: 'ResumeRun', data: {}, metadata };
          default: {
            const unreachable: never = kind;
            return unreachable;
          }
        }
      },
      ctx,
    );
    if (!r.state.exists) throw new NotFoundError('run', runId);
    return { runId, status: r.state.status };
  }

  /**
   * A person approves or rejects a stage that waits for one. The approver is the command's actor
   * (required: an approval nobody signed is refused).
   */
  async decideStage(kind: 'ApproveStage' | 'RejectStage', cmd: CommandEnvelope<{ runId: string; stageId: string; reason: string }>, ctx: CommandContext): Promise<{ runId: string; status: RunStateName }> {
    const { runId, stageId, reason } = cmd.data;
    const by = cmd.actor;
    if (by === undefined) {
      throw new ValidationError(`${kind === 'ApproveStage' ? 'approve' : 'reject'}-stage needs to know who decides: send the command envelope's actor {kind, id}`, { field: 'actor' });
    }
    const r = await this.runs.execute(runId, (metadata): RunCommand => ({ type: kind, data: { stageId, reason, by }, metadata }), { ...ctx, actor: by });
    if (!r.state.exists) throw new NotFoundError('run', runId);
    return { runId, status: r.state.status };
  }

  /** Rebuilds the run's state from its events up to a global position or a stream revision (inclusive). */
  /**
   * The run's audit timeline from the event store: its first event, then every later event of
   * its stream or correlated to it, in global order; at most `maxScanned` events read after the
   * first (default 50,000) and `RUN_AUDIT_MAX_ENTRIES` entries, `truncated` when either stopped it.
   */
  async audit(runId: string, maxScanned = 50_000): Promise<ReplyOf<typeof GetRunAudit>> {
    const own = runStreamId(runId);
    const [first] = await this.store.readStream(own, { maxCount: 1 });
    if (first === undefined) throw new NotFoundError('run', runId);
    const entryOf = (e: RecordedEvent) => {
      const actor = e.metadata.actor;
      return {
        position: formatPosition(e.position),
        occurredAt: e.metadata.occurredAt,
        streamId: e.streamId,
        type: e.type,
        actor: actor ? `${actor.kind}:${actor.id}` : null,
        details: auditDetails(e.data),
        ofRun: e.streamId === own,
      };
    };
    const entries = [entryOf(first)];
    let after = first.position;
    let scanned = 0;
    let truncated = false;
    for (;;) {
      const page = await this.store.readAll({ after, maxCount: Math.min(1000, maxScanned - scanned) });
      for (const e of page) {
        if (e.streamId !== own && e.metadata.correlationId !== runId) continue;
        if (entries.length >= RUN_AUDIT_MAX_ENTRIES) {
          truncated = true;
          break;
        }
        entries.push(entryOf(e));
      }
      scanned += page.length;
      if (truncated || page.length === 0) break;
      after = page[page.length - 1]!.position;
      if (scanned >= maxScanned) {
        truncated = (await this.store.readAll({ after, maxCount: 1 })).length > 0;
        break;
      }
    }
    return { entries, truncated };
  }

  async replay(runId: string, upTo: { at?: string; revision?: number }): Promise<ReplyOf<typeof ReplayRun>> {
    const recorded = await this.store.readStream(runStreamId(runId));
    if (recorded.length === 0) throw new NotFoundError('run', runId);
    const at = upTo.at === undefined ? undefined : parsePosition(upTo.at);
    const upto = recorded.filter((e) => (at === undefined || comparePositions(e.position, at) <= 0) && (upTo.revision === undefined || e.revision <= upTo.revision));
    const last = upto[upto.length - 1];
    if (last === undefined) {
      throw new ValidationError(`run ${runId} has no event at or before ${upTo.at ?? `revision ${upTo.revision}`}; its first event is at ${formatPosition(recorded[0]!.position)} (revision 0)`, { runId });
    }
    const state = foldRun(upto.map(toRunEvent));
    if (!state.exists) throw new NotFoundError('run', runId);
    return {
      runId,
      workflowId: state.workflowId,
      version: state.version,
      status: state.status,
      eventsApplied: upto.length,
      revision: last.revision,
      position: formatPosition(last.position),
      lastEventType: last.type,
      stages: Object.values(state.stages).map((st) => ({
        stageId: st.stageId,
        status: st.awaiting !== null ? 'awaiting_approval' : st.status,
        iteration: st.iteration,
        runs: st.runs,
        outcome: st.outcome,
        rejections: st.rejections,
        awaiting: st.awaiting === null ? null : `${st.awaiting.kind} ${st.awaiting.when} (${st.awaiting.reason}): ${st.awaiting.approvers.join(', ')}`,
        tasks: Object.values(st.tasks).map((t) => ({ key: t.spec.key, taskId: t.spec.taskId, status: t.status, agentId: t.agentId })),
      })),
    };
  }

  /** Routes a work item by type and starts the workflow (run id derived from the item id). */
  async submitWorkItem(
    item: { itemId: string; type: string; title?: string; priority?: TaskPriority; payload: Readonly<Record<string, unknown>> },
    ctx: CommandContext,
  ): Promise<{ itemId: string; workflowId: string | null; runId: string | null }> {
    const rows = await this.db.selectFrom('scheduler.workflow_definitions').select(['workflow_id', 'version', 'item_types']).execute();
    const latest = new Map<string, { version: string; itemTypes: string[] }>();
    for (const r of rows) {
      const cur = latest.get(r.workflow_id);
      if (cur === undefined || compareVersions(r.version, cur.version) >= 0) latest.set(r.workflow_id, { version: r.version, itemTypes: r.item_types });
    }
    const workflowId = routeWorkItem(item.type, [...latest].map(([id, v]) => ({ workflowId: id, itemTypes: v.itemTypes })));
    if (workflowId === null) return { itemId: item.itemId, workflowId: null, runId: null };
    const rawParams = item.payload['params'];
    const params = typeof rawParams === 'object' && rawParams !== null && !Array.isArray(rawParams) ? (rawParams as Record<string, unknown>) : {};
    const trigger = { ...item.payload, itemId: item.itemId, type: item.type, ...(item.title === undefined ? {} : { title: item.title }) };
    const started = await this.startRun(
      { workflowId, params, priority: item.priority ?? 'P1', runId: `wi-${shortDigest(item.itemId)}`, trigger },
      { ...ctx, commandId: `work-item:${item.itemId}:${ctx.commandId}` },
    );
    return { itemId: item.itemId, workflowId: started.workflowId, runId: started.runId };
  }

  async getRun(runId: string): Promise<WorkflowResultView> {
    const { state } = await this.runs.load(runId);
    if (!state.exists) throw new NotFoundError('run', runId);
    const def = await this.definitions.pinned(state.workflowId, state.version, state.hash);
    return toWorkflowResult(def, state);
  }

  async listRuns(filter: { workflowId?: string; state?: RunStateName; limit: number }): Promise<{ runs: RunSummary[] }> {
    let q = this.db.selectFrom('scheduler.runs').selectAll();
    if (filter.workflowId !== undefined) q = q.where('workflow_id', '=', filter.workflowId);
    if (filter.state !== undefined) q = q.where('state', '=', filter.state);
    const rows = await q.orderBy('started_at', 'desc').orderBy('run_id').limit(filter.limit).execute();
    return {
      runs: rows.map((r) => ({
        runId: r.run_id,
        workflowId: r.workflow_id,
        version: r.version,
        state: r.state,
        status: resultStatus(r.state),
        startTime: r.started_at.toISOString(),
        endTime: r.ended_at === null ? null : r.ended_at.toISOString(),
      })),
    };
  }

  async listWorkflows(): Promise<{ workflows: WorkflowSummary[] }> {
    const rows = await this.db.selectFrom('scheduler.workflow_definitions').selectAll().orderBy('workflow_id').orderBy('registered_at').execute();
    const byId = new Map<string, typeof rows>();
    for (const r of rows) byId.set(r.workflow_id, [...(byId.get(r.workflow_id) ?? []), r]);
    const workflows: WorkflowSummary[] = [];
    for (const [workflowId, versions] of byId) {
      const latest = versions.reduce((best, v) => (compareVersions(v.version, best.version) >= 0 ? v : best));
      workflows.push({
        workflowId,
        name: latest.name,
        version: latest.version,
        versions: versions.map((v) => v.version),
        hash: latest.hash,
        trigger: latest.trigger_kind,
        description: latest.description,
        registeredAt: latest.registered_at.toISOString(),
      });
    }
    return { workflows };
  }

  async getWorkflow(workflowId: string, version?: string) {
    const { def, stored } = await this.definitions.load(workflowId, version);
    const versions = (await this.definitions.versions(workflowId)).map((v) => v.version);
    return { workflowId: def.id, name: def.name, version: def.version, hash: def.hash, yaml: stored.yaml, registeredAt: stored.registeredAt, versions, stages: [...def.stageOrder] };
  }
}

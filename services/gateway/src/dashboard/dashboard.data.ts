import {
  GetMetrics,
  GetRun,
  GetWorkflow,
  ListAgents,
  ListConflicts,
  ListEscalations,
  ListEtas,
  ListHandoffs,
  ListRuns,
  ListTasks,
  ReplayRun,
  GetRunAudit,
  type AgentDetailView,
  type ConflictView,
  type EscalationView,
  type EtaView,
  type GetMetricsReply,
  type HandoffView,
  type ReplyOf,
  type RunState,
  type RunSummary,
  type TaskView,
  type WorkflowResultView,
} from '@baton/contracts';
import { parseWorkflow, type WorkflowDefinition } from '@baton/workflow-dsl';
import type { BatonCalls } from '../api/baton-calls';

/** A run's state rebuilt from its events (`replay-run`). */
export type ReplayRunReply = ReplyOf<typeof ReplayRun>;
/** A run's audit timeline (`get-run-audit`, from the event store). */
export type RunAudit = ReplyOf<typeof GetRunAudit>;

/** A part of a page: its data, or why it could not be had (the rest of the page still shows). */
export type Part<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export async function part<T>(load: Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await load };
  } catch (error) {
    return { ok: false, error };
  }
}

/** An approval a person may give: a stage of a running run that waits for one. */
export interface PendingApproval {
  readonly runId: string;
  readonly workflowId: string;
  readonly stageId: string;
  readonly awaiting: string;
}

/** Tasks an agent holds (assigned, accepted or blocked). */
const HELD = ['assigned', 'accepted', 'blocked'] as const;

/**
 * What the dashboard's pages show, read through the gateway's own calls to the services (the
 * same layer the REST API uses). Reads only: every change goes through the API's routes.
 */
export class DashboardData {
  private readonly definitions = new Map<string, WorkflowDefinition>();

  constructor(private readonly calls: BatonCalls) {}

  runs(filter: { workflowId?: string; state?: RunState }): Promise<RunSummary[]> {
    return this.calls.query(ListRuns, { limit: 100, ...filter }).then((r) => r.runs);
  }

  run(runId: string): Promise<WorkflowResultView> {
    return this.calls.query(GetRun, { runId });
  }

  audit(runId: string): Promise<RunAudit> {
    return this.calls.query(GetRunAudit, { runId });
  }

  replay(runId: string, at?: string): Promise<ReplayRunReply> {
    return this.calls.query(ReplayRun, { runId, ...(at === undefined ? {} : { at }) });
  }

  metrics(workflowId?: string): Promise<GetMetricsReply> {
    return this.calls.query(GetMetrics, { limit: 500, ...(workflowId === undefined ? {} : { workflowId }) });
  }

  etas(runId?: string): Promise<EtaView[]> {
    return this.calls.query(ListEtas, runId === undefined ? {} : { runId }).then((r) => r.etas);
  }

  handoffs(runId: string): Promise<HandoffView[]> {
    return this.calls.query(ListHandoffs, { runId, limit: 1000 }).then((r) => r.handoffs);
  }

  tasks(filter: { status?: TaskView['status']; runId?: string; limit?: number }): Promise<TaskView[]> {
    return this.calls.query(ListTasks, { limit: filter.limit ?? 200, ...(filter.status ? { status: filter.status } : {}), ...(filter.runId ? { runId: filter.runId } : {}) }).then((r) => r.tasks);
  }

  agents(): Promise<AgentDetailView[]> {
    return this.calls.query(ListAgents, {}).then((r) => r.agents);
  }

  /** Tasks agents hold now, by agent id. */
  async heldTasks(): Promise<Map<string, TaskView[]>> {
    const lists = await Promise.all(HELD.map((status) => this.tasks({ status, limit: 1000 })));
    const byAgent = new Map<string, TaskView[]>();
    for (const t of lists.flat()) if (t.agentId !== null) byAgent.set(t.agentId, [...(byAgent.get(t.agentId) ?? []), t]);
    return byAgent;
  }

  conflicts(): Promise<ConflictView[]> {
    return this.calls.query(ListConflicts, { limit: 200 }).then((r) => r.conflicts);
  }

  escalations(status?: 'open' | 'resolved'): Promise<EscalationView[]> {
    return this.calls.query(ListEscalations, { limit: 200, ...(status ? { status } : {}) }).then((r) => r.escalations);
  }

  /** Stages of running runs that wait for a person, newest run first. */
  async approvals(): Promise<PendingApproval[]> {
    const running = await this.runs({ state: 'running' });
    const replays = await Promise.all(running.map((r) => this.replay(r.runId).catch(() => undefined)));
    return replays.flatMap((rp, i) =>
      rp === undefined ? [] : rp.stages.filter((s) => s.awaiting !== null).map((s) => ({ runId: running[i]!.runId, workflowId: running[i]!.workflowId, stageId: s.stageId, awaiting: s.awaiting ?? '' })),
    );
  }

  /** A workflow version compiled, cached by content hash (a registered version never changes). */
  async definition(workflowId: string, version: string): Promise<WorkflowDefinition> {
    const wf = await this.calls.query(GetWorkflow, { workflowId, version });
    const cached = this.definitions.get(wf.hash);
    if (cached !== undefined) return cached;
    const parsed = parseWorkflow(wf.yaml, { file: `${wf.workflowId}.yml` });
    if (!parsed.ok) throw new Error(`registered workflow ${wf.workflowId} v${wf.version} does not compile`);
    if (this.definitions.size >= 100) this.definitions.delete(this.definitions.keys().next().value!);
    this.definitions.set(wf.hash, parsed.workflow);
    return parsed.workflow;
  }
}

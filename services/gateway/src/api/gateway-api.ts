import { z } from 'zod';
import {
  ApproveStage,
  BatonError,
  ExecuteWorkflowBody,
  GetAgent,
  GetEscalation,
  GetRun,
  GetRunAudit,
  GetWorkflow,
  GetTask,
  ListAgents,
  ListConflicts,
  ListRuns,
  ListRunsPageQuery,
  ListTasks,
  NotFoundError,
  OrchestratorResolveConflictBody,
  OrchestratorTaskBody,
  RejectStage,
  ResolveConflict,
  ResolveEscalation,
  StartRun,
  SubmitTask,
  ValidationError,
  errorCodeOf,
  pathParamsOf,
  type DataOf,
  type GatewayRoute,
  type MessageDefinition,
  type MeView,
  type TaskPriority,
} from '@baton/contracts';
import { parseWorkflow, type WorkflowDefinition } from '@baton/workflow-dsl';
import { GatewayError } from '../http/problem';
import { isNamedIn, type Principal } from '../auth/principal';
import type { BatonCalls } from './baton-calls';
import type { RunQuota } from '../limits/run-quota';

/** One authenticated, authorised API request, its input still unchecked. */
export interface ApiRequest {
  readonly route: GatewayRoute;
  readonly principal: Principal;
  readonly params: Readonly<Record<string, string>>;
  /** The query string (GET), one value per name. */
  readonly query: Readonly<Record<string, string>>;
  /** The parsed JSON body (POST); undefined when there was none. */
  readonly body: unknown;
  /** The command id of a POST: from `Idempotency-Key` (per principal), else fresh. */
  readonly commandId: string;
}

/** How long `POST /api/orchestrator/tasks` waits for an agent to take the task before answering with none (default). */
export const DEFAULT_ASSIGNMENT_WAIT_MS = 2000;

function issues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

/** Checks input against a schema; the failure is VALIDATION_FAILED (400) naming each issue. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const list = issues(parsed.error);
    throw new ValidationError(`invalid ${what}: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues: list });
  }
  return parsed.data;
}

/** Names of the fields of an object schema that take numbers or booleans (a query string carries text). */
function scalarFieldsOf(schema: z.ZodType): { numbers: Set<string>; booleans: Set<string> } {
  const numbers = new Set<string>();
  const booleans = new Set<string>();
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown> };
  const typesOf = (node: unknown): string[] => {
    if (typeof node !== 'object' || node === null) return [];
    const n = node as { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[]; const?: unknown };
    const own = typeof n.type === 'string' ? [n.type] : typeof n.const === 'number' ? ['number'] : [];
    return [...own, ...(n.anyOf ?? []).flatMap(typesOf), ...(n.oneOf ?? []).flatMap(typesOf)];
  };
  for (const [name, node] of Object.entries(json.properties ?? {})) {
    const types = typesOf(node);
    if (types.includes('number') || types.includes('integer')) numbers.add(name);
    if (types.includes('boolean')) booleans.add(name);
  }
  return { numbers, booleans };
}

const scalarCache = new WeakMap<z.ZodType, { numbers: Set<string>; booleans: Set<string> }>();

/** A query string as message data: numbers and booleans where the schema takes them, else text. */
export function queryData(schema: z.ZodType, query: Readonly<Record<string, string>>): Record<string, unknown> {
  let fields = scalarCache.get(schema);
  if (fields === undefined) {
    fields = scalarFieldsOf(schema);
    scalarCache.set(schema, fields);
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    if (fields.numbers.has(name) && /^-?\d+(\.\d+)?$/.test(value)) out[name] = Number(value);
    else if (fields.booleans.has(name) && (value === 'true' || value === 'false')) out[name] = value === 'true';
    else out[name] = value;
  }
  return out;
}

/**
 * A query string as the data of a query the gateway has no schema for (metrics, notifier):
 * numbers and `true`/`false` as JSON values, the rest as text; the service validates it.
 */
export function untypedQueryData(query: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(query)) {
    out[name] = /^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false : value;
  }
  return out;
}

/** Path parameters and query/body together, refusing a body that repeats a path parameter. */
function inputOf(req: ApiRequest, schema: z.ZodType): Record<string, unknown> {
  if (req.route.method === 'GET') return { ...queryData(schema, req.query), ...req.params };
  const body = req.body ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ValidationError('the request body must be a JSON object');
  for (const name of pathParamsOf(req.route.path)) {
    if (name in body) throw new ValidationError(`"${name}" comes from the path; leave it out of the body`, { field: name });
  }
  return { ...(body as Record<string, unknown>), ...req.params };
}

/** `priority_override` (0 most urgent) as a Baton priority. */
function priorityOf(override: number | undefined, type: TaskPriority): TaskPriority {
  if (override === undefined) return type;
  return override <= 0 ? 'P0' : override === 1 ? 'P1' : 'P2';
}

/**
 * Opaque page cursors of `GET /api/runs`: the start time and id of the last run of the page.
 * `list-runs` orders by start time (newest first), then run id; the next page is what sorts after
 * that key, so runs started (or projected) meanwhile never shift a page.
 */
interface RunKey {
  readonly t: string;
  readonly r: string;
}
const cursorOf = (run: { startTime: string; runId: string }): string => Buffer.from(JSON.stringify({ t: run.startTime, r: run.runId })).toString('base64url');
function keyOf(cursor: string): RunKey {
  try {
    const k = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { t?: unknown; r?: unknown };
    if (typeof k.t === 'string' && typeof k.r === 'string' && !Number.isNaN(Date.parse(k.t))) return { t: k.t, r: k.r };
  } catch {
    // Falls through to the error below.
  }
  throw new ValidationError('cursor is not one this API handed out; start again without it', { field: 'cursor' });
}
const after = (key: RunKey) => (run: { startTime: string; runId: string }): boolean => {
  const d = Date.parse(run.startTime) - Date.parse(key.t);
  return d < 0 || (d === 0 && run.runId > key.r);
};

/** The most runs a listing reaches through cursors (the scheduler answers at most this many at once). */
const MAX_LISTED_RUNS = 1000;

/**
 * What each route does once the caller is known and allowed: forward its command or query, or
 * answer from several (the orchestrator API, agent health), after the identity rules a route
 * carries (who may start a workflow, who may approve a stage, the run quota).
 */
export class GatewayApi {
  private readonly definitions = new Map<string, WorkflowDefinition>();

  constructor(
    private readonly calls: BatonCalls,
    private readonly quota: RunQuota,
    private readonly now: () => Date = () => new Date(),
    private readonly assignmentWaitMs = DEFAULT_ASSIGNMENT_WAIT_MS,
  ) {}

  async handle(req: ApiRequest): Promise<unknown> {
    switch (req.route.operationId) {
      case 'executeWorkflow':
        return this.execute(req);
      case 'getWorkflowStatus':
        return this.calls.query(GetRun, parseInput(GetRun.versions[1]!, { runId: req.params['id'] }, 'run id') as DataOf<typeof GetRun>);
      case 'listRuns':
        return this.listRuns(req);
      case 'getRunAudit':
        return this.runAudit(req);
      case 'getAgentHealth':
        return this.agentHealth(req);
      case 'getAgentMetrics':
        return this.agentMetrics(req);
      case 'getConflict':
        return this.conflict(req.params['conflictId'] ?? '');
      case 'orchestratorSubmitTask':
        return this.orchestratorTask(req);
      case 'orchestratorAgents':
        return this.orchestratorAgents();
      case 'orchestratorResolveConflict':
        return this.orchestratorResolve(req);
      case 'queryMetrics':
        return this.calls.forwardQuery('metrics', req.params['query'] ?? '', untypedQueryData(req.query));
      case 'queryNotifications':
        return this.calls.forwardQuery('notifier', req.params['query'] ?? '', untypedQueryData(req.query));
      case 'me':
        return this.me(req.principal);
      default:
        return this.forward(req);
    }
  }

  /** A route that forwards its message: checked here (400 before anything is sent), then sent. */
  private async forward(req: ApiRequest): Promise<unknown> {
    const def = req.route.message;
    if (def === undefined) throw new BatonError('INTERNAL', `route ${req.route.operationId} has no handler`);
    const schema = def.versions[def.latestVersion]!;
    const data = parseInput(schema, inputOf(req, schema), `${req.route.method} ${req.route.path} input`) as DataOf<MessageDefinition>;
    if (def.kind === 'query') return this.calls.query(def, data);
    if (def.subject === StartRun.subject) return this.startRun(req, data as DataOf<typeof StartRun>);
    if (def.subject === ApproveStage.subject || def.subject === RejectStage.subject) {
      const d = data as DataOf<typeof ApproveStage>;
      await this.authorizeDecision(req.principal, d.runId, d.stageId);
      return this.calls.command(def, data, req.principal, req.commandId, d.runId);
    }
    if (def.subject === ResolveEscalation.subject) {
      // Resolving an escalation that holds a stage approves or rejects that stage, as the resolver.
      const held = await this.calls.query(GetEscalation, { escalationId: (data as DataOf<typeof ResolveEscalation>).escalationId });
      if (held.runId !== null && held.stageId !== null) await this.authorizeDecision(req.principal, held.runId, held.stageId);
    }
    return this.calls.command(def, data, req.principal, req.commandId);
  }

  private execute(req: ApiRequest): Promise<unknown> {
    const body = parseInput(ExecuteWorkflowBody, req.body ?? {}, 'execute body');
    return this.startRun(req, {
      workflowId: body.workflow,
      params: body.params,
      priority: body.priority,
      ...(body.version === undefined ? {} : { version: body.version }),
      ...(body.runId === undefined ? {} : { runId: body.runId }),
    });
  }

  /** Starts a run for the principal: only if the workflow's trigger names them, and within their quota. */
  private async startRun(req: ApiRequest, data: DataOf<typeof StartRun>): Promise<unknown> {
    const def = await this.definition(data.workflowId, data.version);
    if (def.trigger.kind === 'manual' && def.trigger.authorized.length > 0 && !isNamedIn(req.principal, def.trigger.authorized)) {
      throw new BatonError('FORBIDDEN', `${req.principal.id} may not start ${def.id}: its trigger authorizes ${def.trigger.authorized.join(', ')}`, {
        workflowId: def.id,
        authorized: def.trigger.authorized,
      });
    }
    return this.quota.withinQuota(req.principal, req.commandId, () => this.calls.command(StartRun, data, req.principal, req.commandId));
  }

  /**
   * A person may decide on a stage that names who approves it (`requires_approval: [...]`) only if
   * they are named. That the run's starter may not decide is the scheduler's rule (it knows the
   * starter); the gateway makes sure the decider it sees is the authenticated one.
   */
  private async authorizeDecision(principal: Principal, runId: string, stageId: string): Promise<void> {
    const run = await this.calls.query(GetRun, { runId });
    const def = await this.definition(run.workflowId, run.version);
    const stage = def.stages[stageId];
    if (stage === undefined) throw new NotFoundError('stage', stageId);
    if (stage.requiresApproval.length > 0 && !isNamedIn(principal, stage.requiresApproval)) {
      throw new BatonError('FORBIDDEN', `${principal.id} may not decide on stage ${stageId}: it is approved by ${stage.requiresApproval.join(', ')}`, {
        runId,
        stageId,
        approvers: stage.requiresApproval,
      });
    }
  }

  /** A workflow version compiled, cached by content hash (a registered version never changes). */
  private async definition(workflowId: string, version: string | undefined): Promise<WorkflowDefinition> {
    const wf = await this.calls.query(GetWorkflow, { workflowId, ...(version === undefined ? {} : { version }) });
    const cached = this.definitions.get(wf.hash);
    if (cached !== undefined) return cached;
    const parsed = parseWorkflow(wf.yaml, { file: `${wf.workflowId}.yml` });
    if (!parsed.ok) throw new BatonError('INTERNAL', `registered workflow ${wf.workflowId} v${wf.version} does not compile`);
    if (this.definitions.size >= 200) this.definitions.delete(this.definitions.keys().next().value!);
    this.definitions.set(wf.hash, parsed.workflow);
    return parsed.workflow;
  }

  private async listRuns(req: ApiRequest): Promise<unknown> {
    const q = parseInput(ListRunsPageQuery, queryData(ListRunsPageQuery, req.query), 'query');
    const key = q.cursor === undefined ? undefined : keyOf(q.cursor);
    const filter = { ...(q.workflowId ? { workflowId: q.workflowId } : {}), ...(q.state ? { state: q.state } : {}) };
    const { runs } = await this.calls.query(ListRuns, { limit: key === undefined ? Math.min(MAX_LISTED_RUNS, q.limit + 1) : MAX_LISTED_RUNS, ...filter });
    const rest = key === undefined ? runs : runs.filter(after(key));
    const page = rest.slice(0, q.limit);
    const last = page[page.length - 1];
    return { runs: page, nextCursor: rest.length > q.limit && last !== undefined ? cursorOf(last) : null };
  }

  /** The run's audit timeline, read from the event store by the scheduler (`get-run-audit`). */
  private runAudit(req: ApiRequest): Promise<unknown> {
    return this.calls.query(GetRunAudit, parseInput(GetRunAudit.versions[1]!, { runId: req.params['runId'] }, 'run id') as DataOf<typeof GetRunAudit>);
  }

  private async agent(req: ApiRequest) {
    return this.calls.query(GetAgent, parseInput(GetAgent.versions[1]!, { agentId: req.params['agentId'] }, 'agent id') as DataOf<typeof GetAgent>);
  }

  private async agentHealth(req: ApiRequest): Promise<unknown> {
    const a = await this.agent(req);
    const age = a.lastHeartbeatAt === null ? null : Math.max(0, this.now().getTime() - Date.parse(a.lastHeartbeatAt));
    return { agentId: a.agentId, status: a.status, state: a.state, load: a.load, maxConcurrency: a.maxConcurrency, lastHeartbeatAt: a.lastHeartbeatAt, heartbeatAgeMs: age };
  }

  private async agentMetrics(req: ApiRequest): Promise<unknown> {
    const a = await this.agent(req);
    return { agentId: a.agentId, ...a.performance, load: a.load, maxConcurrency: a.maxConcurrency };
  }

  private async conflict(conflictId: string): Promise<unknown> {
    const { conflicts } = await this.calls.query(ListConflicts, { limit: 1000 });
    const found = conflicts.find((c) => c.conflictId === conflictId);
    if (found === undefined) throw new NotFoundError('conflict', conflictId);
    return found;
  }

  private async orchestratorTask(req: ApiRequest): Promise<unknown> {
    const { task, priority_override } = parseInput(OrchestratorTaskBody, req.body ?? {}, 'task body');
    const { taskId } = await this.calls.command(
      SubmitTask,
      {
        ...(task.id === undefined ? {} : { taskId: task.id }),
        action: task.action ?? 'task',
        requirement: { capabilities: task.capabilities ?? [] },
        priority: priorityOf(priority_override, task.type),
        inputs: {
          goal: task.metadata.goal,
          acceptance_criteria: task.metadata.acceptance_criteria,
          risk_level: task.metadata.risk_level,
          estimated_duration: task.metadata.estimated_duration,
          dependencies: task.dependencies,
        },
      },
      req.principal,
      req.commandId,
    );
    const estimated = new Date(this.now().getTime() + task.metadata.estimated_duration * 60_000).toISOString();
    return { assigned_agent: await this.assignedAgent(taskId), estimated_completion: estimated, task_id: taskId };
  }

  /** The agent holding a task, waiting a little for the dispatcher; null when none took it yet. */
  private async assignedAgent(taskId: string): Promise<string | null> {
    const deadline = Date.now() + this.assignmentWaitMs;
    for (;;) {
      try {
        const t = await this.calls.query(GetTask, { taskId });
        if (t.agentId !== null) return t.agentId;
      } catch (err) {
        // The read model may not have the task yet.
        if (errorCodeOf(err) !== 'NOT_FOUND') throw err;
      }
      if (Date.now() >= deadline) return null;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async orchestratorAgents(): Promise<unknown> {
    const [{ agents }, ...held] = await Promise.all([
      this.calls.query(ListAgents, {}),
      ...(['assigned', 'accepted', 'blocked'] as const).map((status) => this.calls.query(ListTasks, { status, limit: 1000 })),
    ]);
    const current = new Map<string, string[]>();
    for (const { tasks } of held) for (const t of tasks) if (t.agentId !== null) current.set(t.agentId, [...(current.get(t.agentId) ?? []), t.taskId]);
    return {
      agents: agents.map((a) => ({
        name: a.agentId,
        status: a.status,
        current_tasks: current.get(a.agentId) ?? [],
        capabilities: a.capabilities,
        last_heartbeat: a.lastHeartbeatAt ?? '',
        performance_metrics: {
          tasks_completed: a.performance.tasksCompleted,
          average_completion_time: a.performance.meanCompletionMs === null ? 0 : a.performance.meanCompletionMs / 60_000,
          error_rate: a.performance.errorRate,
        },
      })),
    };
  }

  private async orchestratorResolve(req: ApiRequest): Promise<unknown> {
    const body = parseInput(OrchestratorResolveConflictBody, req.body ?? {}, 'resolve body');
    try {
      const view = await this.calls.command(
        ResolveConflict,
        {
          conflictId: body.conflict_id,
          resolution: body.resolution,
          reason: body.reason ?? `resolved through the orchestrator API by ${req.principal.id}`,
          ...(body.reassign_to === undefined ? {} : { reassignTo: body.reassign_to }),
        },
        req.principal,
        req.commandId,
      );
      return { resolution_applied: view.status === 'resolved' };
    } catch (err) {
      // Already resolved (by someone else, or earlier): nothing was applied now.
      if (errorCodeOf(err) === 'ILLEGAL_TRANSITION') return { resolution_applied: false };
      throw err;
    }
  }

  private me(p: Principal): MeView {
    return { subject: p.id, kind: p.kind, name: p.name, roles: [...p.roles], groups: [...p.groups] };
  }
}

/** Thrown for a path that exists with another method. */
export function methodNotAllowed(allowed: readonly string[]): GatewayError {
  return new GatewayError('NOT_FOUND', `this path answers ${allowed.join(', ')} only`, { allowed }, { Allow: allowed.join(', ') });
}

import { z } from 'zod';
import { AgentPerformance, AgentStatus, AgentWorkState, GetAgent, ListAgents } from './agent-registry.messages';
import { ConflictResolutionKind, ConflictView, ListConflicts, ResolveConflict } from './conflict.messages';
import { ErrorCodes } from './errors';
import { GetEscalation, ListEscalations, ResolveEscalation } from './escalation.messages';
import type { MessageDefinition } from './messages';
import { GetTask, ListTasks, ReassignTask } from './scheduler.messages';
import { TaskPriority } from './task.events';
import {
  ApproveStage,
  CancelRun,
  RerunRun,
  GetRun,
  GetWorkflow,
  ListRuns,
  ListRunsV1,
  ListWorkflows,
  PauseRun,
  RegisterWorkflow,
  RejectStage,
  ReplayRun,
  ResumeRun,
  RunSummary,
  StartRun,
  SubmitWorkItem,
  ValidateWorkflow,
  WorkflowResultView,
  RunAuditView,
} from './workflow.messages';

/**
 * The REST API of the gateway, declared once: every route's method, path, who may call it and
 * the schemas of what goes in and out. The gateway serves these routes and generates its OpenAPI
 * document from them; the CLI's HTTP transport finds the route of a command or query here. Most
 * routes forward one Baton command or query (`message`): the request's path parameters plus its
 * query string (GET) or JSON body (POST) are that message's `data`, and the reply data is the
 * response body. The rest (`message` absent) are answered by the gateway from one or more queries
 * (the orchestrator API, agent health) and name their own schemas.
 */

/** The people and service accounts roles a principal may hold (from token claims or an API key). */
export const GatewayRole = z.enum(['viewer', 'operator', 'approver', 'admin']);
export type GatewayRole = z.infer<typeof GatewayRole>;

/**
 * What a route needs: `read` any role; `operate` operator or admin (start, cancel, reassign,
 * resolve conflicts, submit work); `approve` approver or admin (approve or reject stages, resolve
 * escalations, which may approve a held stage); `admin` admin only (publish workflow definitions).
 */
export const RouteAccess = z.enum(['read', 'operate', 'approve', 'admin']);
export type RouteAccess = z.infer<typeof RouteAccess>;

/** Which roles satisfy each access class. */
export const ROLES_FOR_ACCESS: Readonly<Record<RouteAccess, readonly GatewayRole[]>> = {
  read: ['viewer', 'operator', 'approver', 'admin'],
  operate: ['operator', 'admin'],
  approve: ['approver', 'admin'],
  admin: ['admin'],
};

/** Rate-limit classes: reads are cheap and frequent, writes append events. */
export const RateClass = z.enum(['read', 'write']);
export type RateClass = z.infer<typeof RateClass>;

/**
 * Codes the HTTP edge adds to Baton's error codes: no or bad credentials, too many requests, too
 * many active runs, and a service nobody answers for.
 */
export const GatewayErrorCodes = [...ErrorCodes, 'UNAUTHENTICATED', 'RATE_LIMITED', 'QUOTA_EXCEEDED', 'SERVICE_UNAVAILABLE'] as const;
export type GatewayErrorCode = (typeof GatewayErrorCodes)[number];

/** An error as the gateway answers it: RFC 9457 problem details (`application/problem+json`) plus Baton's code. */
export const ProblemDetails = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int().min(400).max(599),
  detail: z.string(),
  instance: z.string().optional(),
  code: z.enum(GatewayErrorCodes),
  details: z.unknown().optional(),
});
export type ProblemDetails = z.infer<typeof ProblemDetails>;

/** `Idempotency-Key`: letters, digits and `._:-`, up to 128 characters. */
export const IdempotencyKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'use letters, digits, dot, colon, dash or underscore (1-128 chars)');

// ---------------------------------------------------------------------------------------------
// Shapes the gateway answers itself
// ---------------------------------------------------------------------------------------------

/** `GET /api/me`: who the credentials say the caller is. */
export const MeView = z.object({
  subject: z.string(),
  kind: z.enum(['human', 'service']),
  name: z.string().nullable(),
  roles: z.array(GatewayRole),
  groups: z.array(z.string()),
});
export type MeView = z.infer<typeof MeView>;

/** `GET /api/runs`: `list-runs` plus a cursor for the next page (null on the last one). */
export const ListRunsPageQuery = ListRunsV1.extend({
  /** Opaque: the `nextCursor` of the previous page. */
  cursor: z.string().max(200).optional(),
});
export const ListRunsPage = z.object({ runs: z.array(RunSummary), nextCursor: z.string().nullable() });

/** `POST /api/workflows/execute`: a run of `workflow` (its id) with `params`, as the orchestrator's API reads it. */
export const ExecuteWorkflowBody = z.strictObject({
  workflow: z.string().min(1).max(200),
  params: z.record(z.string(), z.unknown()).default({}),
  priority: TaskPriority.default('P1'),
  version: z.string().min(1).max(100).optional(),
  runId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(),
});
export const ExecuteWorkflowReply = StartRun.reply;

/** `GET /api/agents/{agentId}/health`: status, state, load against capacity, heartbeat age. */
export const AgentHealthView = z.object({
  agentId: z.string(),
  status: AgentStatus,
  state: AgentWorkState,
  load: z.number().int().nonnegative(),
  maxConcurrency: z.number().int(),
  lastHeartbeatAt: z.string().nullable(),
  /** Milliseconds since the last heartbeat, at the gateway's clock; null when none. */
  heartbeatAgeMs: z.number().int().nonnegative().nullable(),
});

/** `GET /api/agents/{agentId}/metrics`: the agent's performance from its task events. */
export const AgentMetricsView = AgentPerformance.extend({ agentId: z.string(), load: z.number().int().nonnegative(), maxConcurrency: z.number().int() });

/** The orchestrator API's Task (its `id` becomes the task id, `type` or `priority_override` its priority). */
export const OrchestratorTask = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(),
  type: TaskPriority,
  priority: z.number().int().min(0).max(1000).optional(),
  status: z.enum(['pending', 'assigned', 'in_progress', 'completed', 'failed', 'blocked']).optional(),
  assigned_agent: z.string().max(128).nullable().optional(),
  dependencies: z.array(z.string().max(128)).max(100).default([]),
  created_at: z.string().max(64).optional(),
  assigned_at: z.string().max(64).nullable().optional(),
  completed_at: z.string().max(64).nullable().optional(),
  metadata: z.strictObject({
    goal: z.string().min(1).max(2000),
    acceptance_criteria: z.array(z.string().max(2000)).max(100).default([]),
    estimated_duration: z.number().positive().max(100_000),
    risk_level: z.enum(['critical', 'standard', 'experimental']),
  }),
  /** Extension: what kind of work (the task's action); default `task`. */
  action: z.string().min(1).max(200).optional(),
  /** Extension: capabilities an agent needs to take it. */
  capabilities: z.array(z.string().min(1).max(100)).max(50).optional(),
});
export const OrchestratorTaskBody = z.strictObject({
  task: OrchestratorTask,
  /** 0 → P0 (most urgent), 1 → P1, 2 or more → P2. */
  priority_override: z.number().int().min(0).max(1000).optional(),
});
/** `assigned_agent` is null while no agent has taken the task yet (it waits in the queue). */
export const OrchestratorTaskReply = z.object({
  assigned_agent: z.string().nullable(),
  estimated_completion: z.string(),
  /** Extension: the task id, to follow it at `/api/tasks/{taskId}`. */
  task_id: z.string(),
});

/** The orchestrator API's AgentStatus. */
export const OrchestratorAgentStatus = z.object({
  name: z.string(),
  status: AgentStatus,
  current_tasks: z.array(z.string()),
  capabilities: z.array(z.string()),
  /** ISO time of the last heartbeat; empty when none was received since registration. */
  last_heartbeat: z.string(),
  performance_metrics: z.object({
    tasks_completed: z.number().int().nonnegative(),
    /** Minutes. */
    average_completion_time: z.number().nonnegative(),
    error_rate: z.number().min(0).max(1),
  }),
});
export const OrchestratorAgentsReply = z.object({ agents: z.array(OrchestratorAgentStatus) });

export const OrchestratorResolveConflictBody = z.strictObject({
  conflict_id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/),
  resolution: ConflictResolutionKind,
  /** Extension: why (kept with the resolution); default names the API. */
  reason: z.string().min(1).max(2000).optional(),
  /** Extension: the agent that takes the held task, with `reassign`. */
  reassign_to: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/).optional(),
});
export const OrchestratorResolveConflictReply = z.object({ resolution_applied: z.boolean() });


/** `GET /healthz`. */
export const HealthzReply = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()) });

/** `GET /api/conflicts/{conflictId}`. */
export const GetConflictReply = ConflictView;

// ---------------------------------------------------------------------------------------------
// The route table
// ---------------------------------------------------------------------------------------------

/** One route of the REST API. `path` uses OpenAPI templates: `/api/runs/{runId}`. */
export interface GatewayRoute {
  readonly operationId: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: RouteAccess;
  readonly rateClass: RateClass;
  /** The command or query it forwards; its data is path params + query string or body. */
  readonly message?: MessageDefinition;
  /** The query string (GET) or body (POST) schema, when the route does not forward `message` as is. */
  readonly input?: z.ZodObject;
  /** The response body, when the route does not answer with `message`'s reply. */
  readonly output?: z.ZodType;
}

const r = (route: Omit<GatewayRoute, 'rateClass'> & { rateClass?: RateClass }): GatewayRoute => ({
  ...route,
  rateClass: route.rateClass ?? (route.method === 'GET' ? 'read' : 'write'),
});

/**
 * Every route, the canonical route of each forwarded message first: the CLI's HTTP transport
 * takes the first route that forwards a message.
 */
export const GATEWAY_ROUTES: readonly GatewayRoute[] = [
  r({ operationId: 'listWorkflows', method: 'GET', path: '/api/workflows', summary: 'List registered workflows (latest version of each)', tag: 'workflows', access: 'read', message: ListWorkflows }),
  r({ operationId: 'registerWorkflow', method: 'POST', path: '/api/workflows', summary: 'Register (publish) a workflow version from its YAML', tag: 'workflows', access: 'admin', message: RegisterWorkflow }),
  r({ operationId: 'validateWorkflow', method: 'POST', path: '/api/workflows/validate', summary: 'Check a workflow without registering it', tag: 'workflows', access: 'read', rateClass: 'read', message: ValidateWorkflow }),
  r({ operationId: 'executeWorkflow', method: 'POST', path: '/api/workflows/execute', summary: 'Start a run of a workflow (the orchestrator API)', tag: 'workflows', access: 'operate', input: ExecuteWorkflowBody, output: ExecuteWorkflowReply }),
  r({ operationId: 'getWorkflowDefinition', method: 'GET', path: '/api/workflows/{workflowId}/definition', summary: 'A workflow definition (latest or `version`) with its YAML', tag: 'workflows', access: 'read', message: GetWorkflow }),
  r({ operationId: 'startRun', method: 'POST', path: '/api/runs', summary: 'Start a run of a workflow', tag: 'runs', access: 'operate', message: StartRun }),
  r({ operationId: 'listRuns', method: 'GET', path: '/api/runs', summary: 'List runs, newest first, with filters and a cursor', tag: 'runs', access: 'read', message: ListRuns, input: ListRunsPageQuery, output: ListRunsPage }),
  r({ operationId: 'getRun', method: 'GET', path: '/api/runs/{runId}', summary: 'A run as a WorkflowResult', tag: 'runs', access: 'read', message: GetRun }),
  r({ operationId: 'getWorkflowStatus', method: 'GET', path: '/api/workflows/{id}', summary: 'Where a run stands (the orchestrator API: `id` is the run id that execute returned)', tag: 'workflows', access: 'read', output: WorkflowResultView }),
  r({ operationId: 'cancelRun', method: 'POST', path: '/api/runs/{runId}/cancel', summary: 'Cancel a run and its open tasks', tag: 'runs', access: 'operate', message: CancelRun }),
  r({ operationId: 'pauseRun', method: 'POST', path: '/api/runs/{runId}/pause', summary: 'Stop a run from starting new stages', tag: 'runs', access: 'operate', message: PauseRun }),
  r({ operationId: 'resumeRun', method: 'POST', path: '/api/runs/{runId}/resume', summary: 'Let a paused run go on', tag: 'runs', access: 'operate', message: ResumeRun }),
  r({ operationId: 'rerunRun', method: 'POST', path: '/api/runs/{runId}/rerun', summary: 'Start a new run of the same workflow version at a stage, reusing the recorded results of the stages before it', tag: 'runs', access: 'operate', message: RerunRun }),
  r({ operationId: 'getRunAudit', method: 'GET', path: '/api/runs/{runId}/audit', summary: "A run's audit timeline: its events and every event correlated to it, with who did each", tag: 'runs', access: 'read', output: RunAuditView }),
  r({ operationId: 'replayRun', method: 'GET', path: '/api/runs/{runId}/replay', summary: "A run's state rebuilt from its events, as of now or of a position", tag: 'runs', access: 'read', message: ReplayRun }),
  r({ operationId: 'approveStage', method: 'POST', path: '/api/runs/{runId}/stages/{stageId}/approve', summary: 'Approve a stage that waits for a person', tag: 'runs', access: 'approve', message: ApproveStage }),
  r({ operationId: 'rejectStage', method: 'POST', path: '/api/runs/{runId}/stages/{stageId}/reject', summary: 'Reject a stage that waits for a person, with the reason', tag: 'runs', access: 'approve', message: RejectStage }),
  r({ operationId: 'listTasks', method: 'GET', path: '/api/tasks', summary: 'List tasks in queue order', tag: 'tasks', access: 'read', message: ListTasks }),
  r({ operationId: 'getTask', method: 'GET', path: '/api/tasks/{taskId}', summary: 'One task', tag: 'tasks', access: 'read', message: GetTask }),
  r({ operationId: 'reassignTask', method: 'POST', path: '/api/tasks/{taskId}/reassign', summary: 'Hand a task to another agent', tag: 'tasks', access: 'operate', message: ReassignTask }),
  r({ operationId: 'listAgents', method: 'GET', path: '/api/agents', summary: 'List agents with status, state, load, heartbeat and performance', tag: 'agents', access: 'read', message: ListAgents }),
  r({ operationId: 'getAgent', method: 'GET', path: '/api/agents/{agentId}', summary: 'One agent', tag: 'agents', access: 'read', message: GetAgent }),
  r({ operationId: 'getAgentHealth', method: 'GET', path: '/api/agents/{agentId}/health', summary: "An agent's status, load and heartbeat age", tag: 'agents', access: 'read', output: AgentHealthView }),
  r({ operationId: 'getAgentMetrics', method: 'GET', path: '/api/agents/{agentId}/metrics', summary: "An agent's performance", tag: 'agents', access: 'read', output: AgentMetricsView }),
  r({ operationId: 'listEscalations', method: 'GET', path: '/api/escalations', summary: 'List escalations', tag: 'escalations', access: 'read', message: ListEscalations }),
  r({ operationId: 'getEscalation', method: 'GET', path: '/api/escalations/{escalationId}', summary: 'One escalation in the escalation format', tag: 'escalations', access: 'read', message: GetEscalation }),
  r({ operationId: 'resolveEscalation', method: 'POST', path: '/api/escalations/{escalationId}/resolve', summary: 'End an escalation with a logged resolution', tag: 'escalations', access: 'approve', message: ResolveEscalation }),
  r({ operationId: 'listConflicts', method: 'GET', path: '/api/conflicts', summary: 'List conflicts between tasks', tag: 'conflicts', access: 'read', message: ListConflicts }),
  r({ operationId: 'getConflict', method: 'GET', path: '/api/conflicts/{conflictId}', summary: 'One conflict', tag: 'conflicts', access: 'read', output: GetConflictReply }),
  r({ operationId: 'resolveConflict', method: 'POST', path: '/api/conflicts/{conflictId}/resolve', summary: 'End a conflict with a logged resolution', tag: 'conflicts', access: 'operate', message: ResolveConflict }),
  r({ operationId: 'submitWorkItem', method: 'POST', path: '/api/work-items', summary: 'Submit a work item; Baton routes it to a workflow', tag: 'work-items', access: 'operate', message: SubmitWorkItem }),
  r({ operationId: 'orchestratorSubmitTask', method: 'POST', path: '/api/orchestrator/tasks', summary: 'Submit a task and learn which agent took it', tag: 'orchestrator', access: 'operate', input: OrchestratorTaskBody, output: OrchestratorTaskReply }),
  r({ operationId: 'orchestratorAgents', method: 'GET', path: '/api/orchestrator/agents', summary: 'Agent status in the orchestrator shape', tag: 'orchestrator', access: 'read', output: OrchestratorAgentsReply }),
  r({ operationId: 'orchestratorResolveConflict', method: 'POST', path: '/api/orchestrator/conflicts/resolve', summary: 'Resolve a conflict', tag: 'orchestrator', access: 'operate', input: OrchestratorResolveConflictBody, output: OrchestratorResolveConflictReply }),
  r({ operationId: 'queryMetrics', method: 'GET', path: '/api/metrics/{query}', summary: 'Forward a query to the metrics service (`baton.qry.metrics.{query}`); query-string fields are its data', tag: 'metrics', access: 'read', output: z.unknown() }),
  r({ operationId: 'queryNotifications', method: 'GET', path: '/api/notifications/{query}', summary: 'Forward a query to the notifier (`baton.qry.notifier.{query}`); query-string fields are its data', tag: 'notifications', access: 'read', output: z.unknown() }),
  r({ operationId: 'me', method: 'GET', path: '/api/me', summary: 'Who the credentials say the caller is', tag: 'identity', access: 'read', output: MeView }),
];

/** The route a command or query is reached by over HTTP (the first that forwards it), or undefined. */
export function gatewayRouteOf(message: MessageDefinition): GatewayRoute | undefined {
  return GATEWAY_ROUTES.find((route) => route.message?.subject === message.subject);
}

/** The `{name}` parameters of a path template, in order. */
export function pathParamsOf(path: string): string[] {
  return [...path.matchAll(/\{([A-Za-z][A-Za-z0-9]*)\}/g)].map((m) => m[1]!);
}

// ---------------------------------------------------------------------------------------------
// The person behind a command
// ---------------------------------------------------------------------------------------------

/**
 * NATS header of a command the gateway sends for an authenticated caller: a compact JWS, signed
 * with the gateway's actor key, whose claims name the actor and bind it to this one command. A
 * service that is given the gateway's public keys takes a person's identity only from it, never
 * from the envelope's `actor`, which any NATS client can fill in.
 */
export const ACTOR_ASSERTION_HEADER = 'Baton-Actor';

/** The claims of an actor assertion (besides `iat`/`exp`, a minute apart). */
export const ActorAssertionClaims = z.object({
  /** The actor's id: a token's `sub` or a service account's id. */
  sub: z.string().min(1).max(200),
  /** The actor's kind: `human` for a person, `service` for a service account. */
  act: z.enum(['human', 'service']),
  /** The command id the assertion was made for: it is good for that command only. */
  cid: z.string().min(1).max(200),
  /** The subject it was sent on. */
  sbj: z.string().min(1).max(200),
});
export type ActorAssertionClaims = z.infer<typeof ActorAssertionClaims>;

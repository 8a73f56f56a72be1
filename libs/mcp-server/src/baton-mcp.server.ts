import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, GetPromptResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { ArtifactInput, BatonError, errorCodeOf } from '@baton/contracts';
import type { AgentSession } from './agent-session';
import {
  BlockedInput,
  blockReason,
  ClaimableTasksOutput,
  EscalationOutput,
  HandoffOutput,
  HeldTaskOutput,
  NextTaskOutput,
  ProgressOutput,
  ReleaseOutput,
  ReleaseReason,
  ReportOutput,
  ReservationOutput,
  TaskContextOutput,
} from './mcp-schemas';
import { describeContext, describeHandoffOutcome, PROMPT_CHECK_HANDOFF, PROMPT_TAKE_NEXT_TASK, takeNextTaskText } from './mcp-text';

/** Name and version the server announces in `initialize`. */
export const MCP_SERVER_INFO = { name: 'baton', version: '0.1.0' } as const;

const TaskId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a task id: letters, digits, dot, dash or underscore (1-128 chars)').describe('The task id (from next_task, claim_task or list_claimable_tasks)');

/** A tool's reply: the structured result (checked against its output schema) and the same as text for clients that read only text. */
export function ok(schema: z.ZodType, value: unknown, text?: string): CallToolResult {
  const structured = schema.parse(value) as Record<string, unknown>;
  return { structuredContent: structured, content: [{ type: 'text', text: text ?? JSON.stringify(structured, null, 2) }] };
}

/**
 * A refusal as the agent should see it: `isError` with the Baton error code first, so the model
 * can branch on it (STALE_LEASE: the task is gone; CONFLICT: someone else took it; …).
 */
export function refused(err: unknown): CallToolResult {
  const code = errorCodeOf(err) ?? 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  const details = err instanceof BatonError ? err.details : undefined;
  const retryable = err instanceof BatonError ? err.retryable : false;
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}\n${JSON.stringify({ error: { code, message, retryable, ...(details === undefined ? {} : { details }) } })}` }] };
}

export async function guarded(run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await run();
  } catch (err) {
    return refused(err);
  }
}

function json(uri: string, value: unknown): ReadResourceResult {
  return { contents: [{ uri, mimeType: 'application/json', text: JSON.stringify(value, null, 2) }] };
}

function single(v: string | string[] | undefined, name: string): string {
  const value = Array.isArray(v) ? v[0] : v;
  if (value === undefined || value === '') throw new BatonError('VALIDATION_FAILED', `the resource URI has no ${name}`);
  return value;
}

/**
 * The Baton MCP server of one agent: tools built around the task lease, resources for a task's
 * context, a run's status and artifacts, and two prompts. Every tool acts as `session.agentId`;
 * no tool takes an agent id.
 *
 * @example
 * const session = await AgentSession.open({ agentId: 'cursor-1', connection: nc, profile: { role: 'developer', capabilities: ['code'] } });
 * await createBatonMcpServer(session).connect(new StdioServerTransport());
 */
export function createBatonMcpServer(session: AgentSession): McpServer {
  const server = new McpServer(MCP_SERVER_INFO, {
    instructions: `You are Baton agent "${session.agentId}". Take work with next_task (or list_claimable_tasks + claim_task), report progress while you work, and finish with submit_handoff; when it is rejected, fix every failure it lists and submit again. Use the take_next_task prompt for the whole loop.`,
  });

  server.registerTool(
    'next_task',
    {
      title: 'Take the next task',
      description:
        'Returns the task to work on next with its whole context (goal, inputs, upstream artifacts, rework feedback, and the handoff checks the work must pass): a task you already hold, else the first waiting task you can take, claimed for you now. task is null when there is nothing to do.',
      inputSchema: {},
      outputSchema: NextTaskOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    () =>
      guarded(async () => {
        const task = await session.nextTask();
        if (task === null) return ok(NextTaskOutput, { task: null, message: 'No task is waiting for you. Try again later.' });
        return ok(NextTaskOutput, { task, message: `You hold task ${task.taskId}.` }, describeContext(task.context, `You hold task ${task.taskId} (lease ${task.leaseEpoch}).`));
      }),
  );

  server.registerTool(
    'list_claimable_tasks',
    {
      title: 'List claimable tasks',
      description: 'Waiting tasks you can claim (your role and capabilities meet their requirement), highest priority first. Claim one with claim_task.',
      inputSchema: { limit: z.number().int().min(1).max(200).default(50).describe('How many tasks at most') },
      outputSchema: ClaimableTasksOutput,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ limit }) =>
      guarded(async () => {
        const tasks = await session.claimableTasks(limit);
        return ok(ClaimableTasksOutput, {
          tasks: tasks.map((t) => ({ taskId: t.taskId, action: t.action, priority: t.priority, runId: t.runId, stageId: t.stageId, requirement: t.requirement, attempt: t.attempt, createdAt: t.createdAt })),
        });
      }),
  );

  server.registerTool(
    'claim_task',
    {
      title: 'Claim a task',
      description:
        'Takes a waiting task: returns its lease and whole context (goal, inputs, upstream artifacts, rework feedback, the handoff checks). If another agent claimed it first you get CONFLICT. Claiming a task you already hold returns it again.',
      inputSchema: { taskId: TaskId },
      outputSchema: HeldTaskOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ taskId }) =>
      guarded(async () => {
        const task = await session.claim(taskId);
        return ok(HeldTaskOutput, task, describeContext(task.context, `You hold task ${task.taskId} (lease ${task.leaseEpoch}).`));
      }),
  );

  server.registerTool(
    'report_progress',
    {
      title: 'Report progress',
      description: 'Reports progress on a task you hold (percent, a short message, tokens used so far). Also tells Baton you are still working it. STALE_LEASE means the task is no longer yours: stop working it.',
      inputSchema: {
        taskId: TaskId,
        percent: z.number().min(0).max(100).describe('How far along, 0-100'),
        message: z.string().max(2000).optional().describe('What you are doing now'),
        tokensUsed: z.number().int().nonnegative().optional().describe('Tokens used on this task so far'),
      },
      outputSchema: ProgressOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ taskId, percent, message, tokensUsed }) => guarded(async () => ok(ProgressOutput, await session.progress(taskId, percent, message, tokensUsed))),
  );

  server.registerTool(
    'submit_handoff',
    {
      title: 'Submit the handoff',
      description:
        "Hands your work over: artifacts (files by name, text as utf8 or binary as base64), context (the keys the spec requires) and outputs (reported values such as coverage). Baton checks it against the task's handoff specs, quality gates and criteria. accepted: the task is complete. Rejected: the task stays yours and verdict.failures lists every rule that failed, with what is missing; fix them all and call submit_handoff again.",
      inputSchema: {
        taskId: TaskId,
        artifacts: z.array(ArtifactInput).max(100).default([]).describe('The artifacts, e.g. {name: "prd.md", content: "# PRD ..."}'),
        context: z.record(z.string(), z.unknown()).optional().describe('Handoff context, e.g. {priority_level: "P1", deadline: "2026-12-20", dependencies: []}'),
        outputs: z.record(z.string(), z.unknown()).optional().describe('Reported values, e.g. {coverage: 85, tests_passing: true}'),
      },
      outputSchema: HandoffOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ taskId, artifacts, context, outputs }) =>
      guarded(async () => {
        const outcome = await session.submitHandoff(taskId, { artifacts, ...(context ? { context } : {}), ...(outputs ? { outputs } : {}) });
        const next = outcome.accepted
          ? 'The task is complete. Call next_task for more work.'
          : outcome.verdict?.status === 'rejected'
            ? 'Rejected: the task is still yours. Fix every failure listed and call submit_handoff again.'
            : `The task is now ${outcome.status}.`;
        return ok(HandoffOutput, { ...outcome, next }, describeHandoffOutcome(outcome, next));
      }),
  );

  server.registerTool(
    'report_blocked',
    {
      title: 'Report blocked or unblocked',
      description: 'Tells Baton a task you hold is blocked by something outside your control (reason), or, with unblocked: true, that you can go on. A long block is escalated by Baton on its own.',
      inputSchema: {
        taskId: TaskId,
        ...BlockedInput,
      },
      outputSchema: ReportOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ taskId, reason, unblocked }) =>
      guarded(async () => {
        if (unblocked) return ok(ReportOutput, await session.unblocked(taskId));
        return ok(ReportOutput, await session.blocked(taskId, blockReason(reason)));
      }),
  );

  server.registerTool(
    'escalate',
    {
      title: 'Escalate',
      description: 'Asks for a decision you cannot take yourself about a task you hold: the issue, the options with their trade-offs and your recommendation. It goes up the escalation ladder (peer, lead, person).',
      inputSchema: {
        taskId: TaskId,
        issue: z.string().min(1).max(2000),
        trigger: z.enum(['manual', 'approval_needed', 'cross_domain', 'policy_decision']).default('manual'),
        options: z.array(z.object({ label: z.string().min(1).max(500), tradeoff: z.string().max(2000).optional() })).max(20).default([]),
        recommendation: z.string().max(2000).optional(),
        blocking: z.string().max(2000).optional().describe('What cannot go on until this is decided'),
      },
      outputSchema: EscalationOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    ({ taskId, ...e }) => guarded(async () => ok(EscalationOutput, await session.escalate(taskId, e))),
  );

  server.registerTool(
    'release_task',
    {
      title: 'Release a task',
      description:
        'Gives a task you hold back (you cannot or should not do it). It returns to the queue for another attempt if it has attempts left (each release uses one), otherwise it fails. Your path reservations for it end.',
      inputSchema: { taskId: TaskId, reason: ReleaseReason },
      outputSchema: ReleaseOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    ({ taskId, reason }) => guarded(async () => ok(ReleaseOutput, await session.release(taskId, reason))),
  );

  server.registerTool(
    'reserve_paths',
    {
      title: 'Reserve paths',
      description:
        'Reserves files or globs (src/api/**, package.json) you are about to change for a task you hold: tasks that declare overlapping files wait (a file_overlap conflict) until you hand over or release the task, or the reservation expires. Uses one of your task slots.',
      inputSchema: {
        taskId: TaskId,
        paths: z.array(z.string().min(1).max(1000)).min(1).max(1000).describe('Paths or globs with *, ** and ?'),
        ttlSeconds: z.number().int().min(10).max(7 * 86_400).optional().describe('How long the reservation lasts at most (default 1 hour)'),
      },
      outputSchema: ReservationOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ taskId, paths, ttlSeconds }) => guarded(async () => ok(ReservationOutput, await session.reservePaths(taskId, paths, ttlSeconds === undefined ? undefined : ttlSeconds * 1000))),
  );

  server.registerResource(
    'task-context',
    new ResourceTemplate('baton://tasks/{taskId}/context', {
      list: async () => ({
        resources: (await session.heldTasks()).map((t) => ({ uri: `baton://tasks/${t.taskId}/context`, name: `task ${t.taskId}`, description: `${t.action} (${t.status})`, mimeType: 'application/json' })),
      }),
    }),
    { title: 'Task context', description: 'A task: goal, inputs, upstream artifacts, rework feedback and the handoff checks. Listed: the tasks you hold.', mimeType: 'application/json' },
    async (uri, { taskId }) => json(uri.href, TaskContextOutput.parse(await session.taskContext(single(taskId, 'task id')))),
  );

  server.registerResource(
    'run-status',
    new ResourceTemplate('baton://runs/{runId}/status', { list: undefined }),
    { title: 'Run status', description: "A workflow run's state, its stages and their outputs.", mimeType: 'application/json' },
    async (uri, { runId }) => json(uri.href, await session.runStatus(single(runId, 'run id'))),
  );

  server.registerResource(
    'artifact',
    new ResourceTemplate('baton://artifacts/{hash}', { list: undefined }),
    { title: 'Artifact', description: 'An artifact handed over earlier, by hash (the upstreamArtifacts of a task context name them).' },
    async (uri, { hash }) => {
      const a = await session.artifact(decodeURIComponent(single(hash, 'hash')));
      return {
        contents: [a.encoding === 'utf8' ? { uri: uri.href, mimeType: a.mediaType, text: a.content } : { uri: uri.href, mimeType: a.mediaType, blob: a.content }],
      };
    },
  );

  server.registerPrompt(
    PROMPT_TAKE_NEXT_TASK,
    { title: 'Take the next task', description: 'Take the next Baton task and work it to an accepted handoff.' },
    (): GetPromptResult => ({ messages: [{ role: 'user', content: { type: 'text', text: takeNextTaskText(session.agentId) } }] }),
  );

  server.registerPrompt(
    PROMPT_CHECK_HANDOFF,
    {
      title: 'Check my work against its handoff spec',
      description: "The checks a task's handoff must pass (specs, gates, criteria) and the failures of the last rejection, to review your work before submit_handoff.",
      argsSchema: { taskId: TaskId },
    },
    async ({ taskId }): Promise<GetPromptResult> => {
      const context = await session.taskContext(taskId);
      return {
        description: `Handoff checks of task ${taskId}`,
        messages: [
          {
            role: 'user',
            content: {
              type: 'text',
              text: `${describeContext(context, `Check your work on task ${taskId} against what its handoff will be checked against, before you call submit_handoff.`)}\n\nGo through every check above. For each one, say whether your work meets it and fix what does not. Only then call submit_handoff with taskId "${taskId}".`,
            },
          },
        ],
      };
    },
  );

  return server;
}

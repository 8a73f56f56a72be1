import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { BatonError } from '@baton/contracts';
import { addNote, claimTask, heldTask, nextTask, releaseTask, requestReview, TaskStore, type HandoffContext, type TaskSummary } from '@baton/mcp-files';
import { guarded, ok, refused } from './baton-mcp.server';
import { BlockedInput, blockReason, ReleaseReason } from './mcp-schemas';
import { serveOnStdio } from './mcp-stdio';

/** Name and version the file-mode server announces in `initialize`. */
export const FILE_MODE_MCP_SERVER_INFO = { name: 'baton-files', version: '0.1.0' } as const;

const TaskId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a task id such as TASK-001').describe('The task id (TASK-001; from next_task)');

const Items = z.array(z.object({ text: z.string(), checked: z.boolean().optional() }));

export const FileTaskOutput = z.object({
  taskId: z.string(),
  title: z.string(),
  status: z.string(),
  priority: z.string(),
  agent: z.string(),
  file: z.string(),
  goal: z.string(),
  acceptanceCriteria: Items,
  definitionOfReady: Items,
  definitionOfDone: Items,
  filesAffected: z.array(z.string()),
  dependencies: z.array(z.string()),
  implementationNotes: z.string(),
  reviewFeedback: z.string(),
  errorContext: z.string(),
});

const NextFileTaskOutput = z.object({ task: FileTaskOutput.nullable(), message: z.string() });
const FileReportOutput = z.object({ taskId: z.string(), status: z.string(), file: z.string() });
const FileHandoffOutput = FileReportOutput.extend({ next: z.string() });

function view(task: TaskSummary, file: string): z.infer<typeof FileTaskOutput> {
  const items = (list: TaskSummary['acceptanceCriteria']) => list.map((i) => ({ text: i.text, ...(i.checked === undefined ? {} : { checked: i.checked }) }));
  return {
    taskId: task.id,
    title: task.title,
    status: task.status,
    priority: task.priority,
    agent: task.agent,
    file,
    goal: task.goal,
    acceptanceCriteria: items(task.acceptanceCriteria),
    definitionOfReady: items(task.definitionOfReady),
    definitionOfDone: items(task.definitionOfDone),
    filesAffected: [...task.filesAffected],
    dependencies: [...task.dependencies],
    implementationNotes: task.implementationNotes,
    reviewFeedback: task.reviewFeedback,
    errorContext: task.errorContext,
  };
}

/** A tool of the engine with no meaning over task files: listed, so the agent learns why, and refused with a code. */
function notInFileMode(tool: string, why: string): () => CallToolResult {
  return () => refused(new BatonError('UNKNOWN_MESSAGE', `${tool} is not available in file mode: ${why}`, { reason: 'NOT_IN_FILE_MODE', tool }));
}

/**
 * The MCP server of one agent over a repository's task files (`.mcp/tasks`, no Baton server):
 * the engine server's tool names where they mean something here. next_task and claim_task move a
 * task from `ready/` to `in-progress/` for this agent; report_progress and report_blocked append
 * notes to the task file; submit_handoff sends it to `review/`; release_task puts it back in
 * `ready/`. escalate and reserve_paths need the engine and answer UNKNOWN_MESSAGE
 * (NOT_IN_FILE_MODE). Every tool acts as `agentId`; no tool takes an agent id.
 *
 * @example
 * const server = createFileModeMcpServer({ agentId: 'claude-1', store: await TaskStore.open('/work/app') });
 */
export function createFileModeMcpServer(options: { agentId: string; store: TaskStore; now?: () => Date }): McpServer {
  const agent = options.agentId;
  const ctx: HandoffContext = { store: options.store, now: options.now ?? (() => new Date()) };
  const rel = (p: string): string => ctx.store.relative(p);
  const server = new McpServer(FILE_MODE_MCP_SERVER_INFO, {
    instructions: `You are agent "${agent}" working the task files of ${ctx.store.root} (.mcp/tasks). Take work with next_task, note progress with report_progress, and finish with submit_handoff, which sends the task to review/. A reviewer's feedback brings it back to ready/ for you.`,
  });

  const held = async (): Promise<{ task: TaskSummary; path: string } | undefined> => {
    const { tasks } = await ctx.store.list();
    const mine = tasks.find((t) => t.state === 'in-progress' && t.task.agent === agent);
    return mine === undefined ? undefined : { task: mine.task, path: mine.path };
  };

  server.registerTool(
    'next_task',
    {
      title: 'Take the next task',
      description:
        'Returns the task to work on next with its whole file (goal, acceptance criteria, Definitions of Ready and Done, files affected, notes, review feedback, error context): a task you already have in progress, else the most urgent ready task you can take (P0 first), claimed for you now. task is null when there is nothing to do.',
      inputSchema: {},
      outputSchema: NextFileTaskOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    () =>
      guarded(async () => {
        const mine = await held();
        if (mine !== undefined) return ok(NextFileTaskOutput, { task: view(mine.task, rel(mine.path)), message: `You have task ${mine.task.id} in progress.` });
        const next = await nextTask(ctx, agent, 'implement');
        if (next === undefined) return ok(NextFileTaskOutput, { task: null, message: 'No task in ready/ that you can take now.' });
        const claimed = await claimTask(ctx, next.task.id, agent);
        return ok(NextFileTaskOutput, { task: view(claimed.task, rel(claimed.path)), message: `You claimed task ${claimed.task.id}.` });
      }),
  );

  server.registerTool(
    'claim_task',
    {
      title: 'Claim a task',
      description: 'Takes a ready task (ready/ → in-progress/, you as its Agent) and returns its file. CONFLICT when another agent claimed it first or a dependency is not done. Claiming a task you already have returns it again.',
      inputSchema: { taskId: TaskId },
      outputSchema: FileTaskOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    ({ taskId }) =>
      guarded(async () => {
        const stored = await ctx.store.get(taskId);
        if (stored.state === 'in-progress' && stored.task.agent === agent) return ok(FileTaskOutput, view(stored.task, rel(stored.path)));
        const claimed = await claimTask(ctx, taskId, agent);
        return ok(FileTaskOutput, view(claimed.task, rel(claimed.path)));
      }),
  );

  server.registerTool(
    'report_progress',
    {
      title: 'Report progress',
      description: 'Notes progress on a task you have in progress: an entry in its Implementation Notes. FORBIDDEN when the task is not yours.',
      inputSchema: {
        taskId: TaskId,
        percent: z.number().min(0).max(100).describe('How far along, 0-100'),
        message: z.string().max(2000).optional().describe('What you are doing now'),
      },
      outputSchema: FileReportOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ taskId, percent, message }) =>
      guarded(async () => {
        const r = await addNote(ctx, taskId, { by: agent, what: `progress ${Math.round(percent)}%`, text: message });
        return ok(FileReportOutput, { taskId, status: r.task.status, file: rel(r.path) });
      }),
  );

  server.registerTool(
    'submit_handoff',
    {
      title: 'Submit for review',
      description: 'Hands your work on a task you have in progress to review (in-progress/ → review/), with what you did and the files you changed in its Implementation Notes. A reviewer completes it or sends it back to ready/ with feedback.',
      inputSchema: {
        taskId: TaskId,
        notes: z.string().min(1).max(20_000).describe('What you did, for the reviewer'),
        files: z.array(z.string().min(1).max(1000)).max(1000).default([]).describe('Paths you changed or wrote, relative to the repository'),
      },
      outputSchema: FileHandoffOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ taskId, notes, files }) =>
      guarded(async () => {
        await heldTask(ctx, taskId, agent, 'send to review');
        const text = files.length === 0 ? notes : `${notes.trim()}\nFiles:\n${files.map((f) => `- ${f}`).join('\n')}`;
        const r = await requestReview(ctx, taskId, { by: agent, notes: text });
        return ok(FileHandoffOutput, { taskId, status: r.task.status, file: rel(r.path), next: 'The task is in review/. Call next_task for more work.' });
      }),
  );

  server.registerTool(
    'report_blocked',
    {
      title: 'Report blocked or unblocked',
      description: 'Notes that a task you have in progress is blocked (reason, in its Error Context) or, with unblocked: true, that you can go on (in its Implementation Notes). The task stays in progress.',
      inputSchema: {
        taskId: TaskId,
        ...BlockedInput,
      },
      outputSchema: FileReportOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
    },
    ({ taskId, reason, unblocked }) =>
      guarded(async () => {
        const r = unblocked ? await addNote(ctx, taskId, { by: agent, what: 'unblocked', text: reason }) : await addNote(ctx, taskId, { by: agent, what: 'blocked', text: blockReason(reason), section: 'Error Context' });
        return ok(FileReportOutput, { taskId, status: r.task.status, file: rel(r.path) });
      }),
  );

  server.registerTool(
    'release_task',
    {
      title: 'Release a task',
      description: 'Gives a task you have in progress back: in-progress/ → ready/, Agent unassigned, your reason in its Implementation Notes, so any agent may take it.',
      inputSchema: { taskId: TaskId, reason: ReleaseReason },
      outputSchema: FileReportOutput,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    },
    ({ taskId, reason }) =>
      guarded(async () => {
        const r = await releaseTask(ctx, taskId, { by: agent, reason });
        return ok(FileReportOutput, { taskId, status: r.task.status, file: rel(r.path) });
      }),
  );

  server.registerTool(
    'escalate',
    { title: 'Escalate (not in file mode)', description: 'Not available in file mode (there is no escalation ladder without a Baton server): use report_blocked, or release_task.', inputSchema: {} },
    notInFileMode('escalate', 'there is no escalation ladder without a Baton server; use report_blocked or release_task'),
  );

  server.registerTool(
    'reserve_paths',
    { title: 'Reserve paths (not in file mode)', description: "Not available in file mode (no server keeps reservations): a task file's Files Affected says what it touches.", inputSchema: {} },
    notInFileMode('reserve_paths', "no server keeps reservations; a task file's Files Affected says what it touches"),
  );

  return server;
}

/**
 * Serves the file-mode MCP server of one agent on stdio (what `baton mcp --agent X --files DIR` runs).
 *
 * @example
 * const srv = await serveFileModeMcpStdio({ agentId: 'claude-1', repo: process.cwd() });
 * await srv.closed;
 */
export async function serveFileModeMcpStdio(options: {
  agentId: string;
  repo: string;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}): Promise<{ readonly root: string; readonly closed: Promise<void>; close(): Promise<void> }> {
  const store = await TaskStore.open(options.repo);
  const server = createFileModeMcpServer({ agentId: options.agentId, store });
  const stdio = await serveOnStdio(server, { stdin: options.stdin, stdout: options.stdout }, () => undefined);
  return { root: store.root, ...stdio };
}

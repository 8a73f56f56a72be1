import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createTask, prepTask, TaskStore, type HandoffContext } from '@baton/mcp-files';
import { createFileModeMcpServer } from './file-mode.server';

// The file-mode MCP server as an agent sees it: the official MCP client over the SDK's in-memory
// transport, a temporary git repository with real task files.

jest.setTimeout(60_000);

const repoRoot = path.resolve(__dirname, '..', '..', '..');

describe('MCP over task files (baton mcp --files)', () => {
  let root: string;
  let ctx: HandoffContext;
  const clients: Client[] = [];

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'baton-mcp-files-'));
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: root });
    let t = Date.parse('2026-12-06T08:00:00Z');
    ctx = { store: await TaskStore.init(root), now: () => new Date((t += 60_000)) };
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
    await rm(root, { recursive: true, force: true });
  });

  async function connectAs(agentId: string): Promise<Client> {
    const server = createFileModeMcpServer({ agentId, store: await TaskStore.open(root), now: ctx.now });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'test', version: '1.0.0' });
    await client.connect(clientSide);
    clients.push(client);
    return client;
  }

  async function readyTask(title: string, priority: string): Promise<string> {
    const { task } = await createTask(ctx, { title, priority });
    await prepTask(ctx, task.id, { goal: `Goal of ${title}`, criteria: [`${title} works`], ready: ['agreed'], done: ['tested'], files: ['src/x.ts'] });
    return task.id;
  }

  const call = (c: Client, name: string, args: Record<string, unknown> = {}) => c.callTool({ name, arguments: args }) as Promise<CallToolResult>;
  const textOf = (r: CallToolResult): string => r.content.map((p) => (p.type === 'text' ? p.text : '')).join('');

  it('next_task claims the most urgent ready task, progress is noted, submit_handoff sends it to review', async () => {
    await readyTask('later', 'P1');
    const urgent = await readyTask('urgent', 'P0');
    const c = await connectAs('claude-1');

    const next = await call(c, 'next_task');
    expect(next.isError).toBeFalsy();
    const task = (next.structuredContent as { task: { taskId: string; status: string; agent: string; goal: string; file: string; acceptanceCriteria: unknown[] } }).task;
    expect(task).toMatchObject({ taskId: urgent, status: 'in-progress', agent: 'claude-1', goal: 'Goal of urgent', file: `.mcp/tasks/in-progress/${urgent}.md` });
    expect(task.acceptanceCriteria).toEqual([{ text: 'urgent works', checked: false }]);
    // Asking again returns the task already held, not a second one.
    expect((await call(c, 'next_task')).structuredContent).toMatchObject({ task: { taskId: urgent }, message: `You have task ${urgent} in progress.` });
    expect((await call(c, 'claim_task', { taskId: urgent })).structuredContent).toMatchObject({ taskId: urgent, status: 'in-progress' });

    expect((await call(c, 'report_progress', { taskId: urgent, percent: 40, message: 'tests written' })).structuredContent).toEqual({ taskId: urgent, status: 'in-progress', file: `.mcp/tasks/in-progress/${urgent}.md` });
    const handoff = await call(c, 'submit_handoff', { taskId: urgent, notes: 'Rate limit added.', files: ['src/x.ts'] });
    expect(handoff.structuredContent).toMatchObject({ taskId: urgent, status: 'review', file: `.mcp/tasks/review/${urgent}.md` });
    const stored = await ctx.store.get(urgent);
    expect(stored.state).toBe('review');
    expect(stored.task.implementationNotes).toContain('claude-1 · progress 40%\ntests written');
    expect(stored.task.implementationNotes).toContain('claude-1 · ready for review\nRate limit added.\nFiles:\n- src/x.ts');
  });

  it('claim_task on a task another agent holds is CONFLICT; writing into it is FORBIDDEN; files are unchanged', async () => {
    const id = await readyTask('one', 'P1');
    const a = await connectAs('claude-1');
    const b = await connectAs('cursor-1');
    expect((await call(a, 'claim_task', { taskId: id })).isError).toBeFalsy();
    const before = (await ctx.store.get(id)).text;

    const claim = await call(b, 'claim_task', { taskId: id });
    expect(claim.isError).toBe(true);
    expect(textOf(claim)).toMatch(/^CONFLICT: task .* was already claimed by claude-1/);
    const submit = await call(b, 'submit_handoff', { taskId: id, notes: 'mine now' });
    expect(textOf(submit)).toMatch(/^FORBIDDEN: cannot send to review task .*: claude-1 works it, not cursor-1/);
    expect((await call(b, 'report_progress', { taskId: id, percent: 10 })).isError).toBe(true);
    expect((await ctx.store.get(id)).text).toBe(before);
  });

  it('report_blocked writes Error Context, release_task puts the task back in ready/ for anyone', async () => {
    const id = await readyTask('blocked', 'P1');
    const a = await connectAs('claude-1');
    await call(a, 'next_task');
    const missingReason = await call(a, 'report_blocked', { taskId: id });
    expect(textOf(missingReason)).toMatch(/^VALIDATION_FAILED: reason is required/);
    expect((await call(a, 'report_blocked', { taskId: id, reason: 'the staging database is down' })).isError).toBeFalsy();
    expect((await call(a, 'release_task', { taskId: id, reason: 'cannot go on without staging' })).structuredContent).toMatchObject({ taskId: id, status: 'ready' });
    const stored = await ctx.store.get(id);
    expect(stored.task.errorContext).toContain('claude-1 · blocked\nthe staging database is down');
    expect(stored.task.implementationNotes).toContain('claude-1 · released\ncannot go on without staging');
    expect(stored.task.agent).toBe('unassigned');
    const b = await connectAs('cursor-1');
    expect((await call(b, 'next_task')).structuredContent).toMatchObject({ task: { taskId: id, agent: 'cursor-1' } });
  });

  it('the compiled `baton mcp --agent X --files DIR` serves the same tools on stdio', async () => {
    // What an MCP client configuration runs; compiled first, as `npm run build` would.
    execFileSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs')], { cwd: repoRoot, stdio: 'pipe' });
    const id = await readyTask('stdio', 'P0');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(repoRoot, 'tools/cli/bin/baton.js'), 'mcp', '--agent', 'codex-1', '--files', root],
      env: { PATH: process.env['PATH'] ?? '' },
      stderr: 'pipe',
    });
    const c = new Client({ name: 'test', version: '1.0.0' });
    await c.connect(transport);
    clients.push(c);
    expect(c.getServerVersion()).toEqual({ name: 'baton-files', version: '0.1.0' });
    expect((await call(c, 'next_task')).structuredContent).toMatchObject({ task: { taskId: id, status: 'in-progress', agent: 'codex-1' } });
    expect((await call(c, 'claim_task', { taskId: id })).structuredContent).toMatchObject({ taskId: id, status: 'in-progress' });
    expect((await call(c, 'submit_handoff', { taskId: id, notes: 'done over stdio' })).structuredContent).toMatchObject({ taskId: id, status: 'review' });
    const stored = await ctx.store.get(id);
    expect(stored.state).toBe('review');
    expect(stored.task.implementationNotes).toContain('codex-1 · ready for review\ndone over stdio');
  });

  it('escalate and reserve_paths answer UNKNOWN_MESSAGE (NOT_IN_FILE_MODE); nothing to take is task null', async () => {
    const c = await connectAs('claude-1');
    const names = (await c.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['claim_task', 'escalate', 'next_task', 'release_task', 'report_blocked', 'report_progress', 'reserve_paths', 'submit_handoff']);
    for (const tool of ['escalate', 'reserve_paths']) {
      const r = await call(c, tool);
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain(`UNKNOWN_MESSAGE: ${tool} is not available in file mode`);
      expect(textOf(r)).toContain('"reason":"NOT_IN_FILE_MODE"');
    }
    expect((await call(c, 'next_task')).structuredContent).toEqual({ task: null, message: 'No task in ready/ that you can take now.' });
  });
});

import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { CommandClient } from '@baton/agent-sdk';
import { CancelTask, GetAgent, GetEscalation, GetRun, GetTask, ListConflicts, RegisterWorkflow, StartRun, SubmitTask, type SubmitTaskData, type TaskView } from '@baton/contracts';
import { sampleArtifacts, sampleContext } from '@baton/handoff-rules';
import { NatsAuthStore } from '@baton/nats-auth';
import { testNatsAuthDir, uniqueId, waitFor } from '@baton/testing';
import { bearerTokens, startMcpHttpServer, type McpHttpServer } from '@baton/mcp-server';
import { E2eStack } from './support/e2e-stack';
import { compiledMain, repoRoot } from './support/stack';

// The MCP server against the real stack: agent-registry, scheduler and handoff-validator as
// compiled processes on one fresh database and a NATS server of this file, and an MCP Client of
// the official SDK, over stdio (the compiled `baton mcp` as a child process) and over Streamable
// HTTP (the standalone server), doing a task's whole lifecycle through the tools.

const HANDOFFS_DIR = path.join(repoRoot, 'examples/handoffs');

/** `NATS_CREDS` of a fresh agent credential when the stack has NATS auth (the keys the harness's credentials come from), else nothing. */
async function agentCreds(agentId: string): Promise<Record<string, string>> {
  const dir = testNatsAuthDir();
  if (dir === undefined) return {};
  return { NATS_CREDS: (await (await NatsAuthStore.open(dir)).issue('agent', agentId)).file };
}

type Structured = Record<string, unknown>;

// Client.callTool's declared result also covers the pre-2024 `toolResult` shape; these servers send CallToolResult.
function structured(result: unknown): Structured {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as Structured;
}

function errorText(result: unknown): string {
  const r = result as CallToolResult;
  expect(r.isError).toBe(true);
  return (r.content[0] as { text: string }).text;
}

describe('Baton MCP server (e2e: real NATS, Postgres and services; official MCP client)', () => {
  const stack = new E2eStack({ database: 'mcp_server' });
  let baton: CommandClient;

  beforeAll(async () => {
    compiledMain('tools/cli');
    await stack.start();
    baton = new CommandClient(stack.nc, { retryForMs: 20_000 });
    await stack.service('agent-registry', { HEARTBEAT_WINDOW_MS: '5000' });
    await stack.service('handoff-validator', { HANDOFFS_DIR });
    await stack.service('escalation');
    await stack.scheduler(uniqueId('mcp-sched'), { HANDOFFS_DIR, SCHEDULER_DISPATCH_POLL_MS: '300' });
  });

  afterAll(() => stack.stop());

  const submit = async (data: Partial<SubmitTaskData> & { action: string }): Promise<string> =>
    (await baton.command(SubmitTask, { requirement: { capabilities: [] }, priority: 'P1', inputs: {}, ...data } as SubmitTaskData, { commandId: uniqueId('submit') })).taskId;
  const task = (taskId: string): Promise<TaskView> => baton.query(GetTask, { taskId });
  const taskWhere = (taskId: string, ok: (t: TaskView) => boolean, what: string): Promise<TaskView> =>
    waitFor(async () => {
      const t = await task(taskId).catch(() => undefined);
      return t !== undefined && ok(t) ? t : undefined;
    }, { timeoutMs: 30_000, intervalMs: 100, what: `task ${taskId} ${what}` });

  it('over stdio (baton mcp --agent): next task with its handoff spec, progress, paths reserved, a rejected handoff with its failures, the fix accepted', async () => {
    const agentId = uniqueId('mcp-stdio');
    const capability = uniqueId('cap');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [path.join(repoRoot, 'tools/cli/bin/baton.js'), 'mcp', '--agent', agentId, '--capability', capability, '--max-concurrency', '2', '--heartbeat-ms', '500'],
      // With NATS auth on, the agent's own credentials: the MCP lifecycle works within an agent's permissions (docs/security.md).
      env: { PATH: process.env['PATH'] ?? '', NATS_URL: stack.natsUrl, NODE_OPTIONS: '', ...(await agentCreds(agentId)) },
      cwd: repoRoot,
      stderr: 'pipe',
    });
    const stderr: string[] = [];
    transport.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    const client = new Client({ name: 'mcp-e2e-stdio', version: '1.0.0' });
    try {
      await client.connect(transport);
      // The agent registered itself with the capability given on the command line, and heartbeats.
      await waitFor(async () => (await baton.query(GetAgent, { agentId })).capabilities.includes(capability), { timeoutMs: 20_000, what: `agent ${agentId} registered` });

      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect([...byName.keys()].sort()).toEqual(
        ['claim_task', 'escalate', 'list_claimable_tasks', 'next_task', 'release_task', 'report_blocked', 'report_progress', 'reserve_paths', 'submit_handoff'].sort(),
      );
      expect(byName.get('list_claimable_tasks')?.annotations).toMatchObject({ readOnlyHint: true });
      expect(byName.get('release_task')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
      expect(byName.get('submit_handoff')?.outputSchema?.properties).toHaveProperty('verdict');
      for (const t of tools) expect(t.inputSchema.properties ?? {}).not.toHaveProperty('agentId');
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(['check_handoff', 'take_next_task']);

      const taskId = await submit({
        action: 'write_prd',
        requirement: { capabilities: [capability] },
        inputs: { title: 'Scheduled report exports', checks: { mode: 'handoff', specIds: ['HO-PM-ARCH'], declaredOutputs: ['prd.md'] } },
      });

      // The scheduler's read models follow the submit within moments; an agent told "nothing yet" asks again.
      type Next = { task: { taskId: string; leaseEpoch: number; context: Structured } | null };
      const next = await waitFor(
        async () => {
          const r = structured(await client.callTool({ name: 'next_task', arguments: {} })) as Next;
          return r.task === null ? undefined : { task: r.task };
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'next_task to return the task' },
      );
      expect(next.task.taskId).toBe(taskId);
      expect(next.task.leaseEpoch).toBeGreaterThanOrEqual(1);
      expect(next.task.context).toMatchObject({ goal: 'write_prd: Scheduled report exports', rework: null, checks: { mode: 'handoff', declaredOutputs: ['prd.md'], unknownSpecIds: [] } });
      expect((next.task.context['checks'] as { specs: { id: string; artifacts: string[]; context: string[] }[] }).specs).toEqual([
        expect.objectContaining({ id: 'HO-PM-ARCH', artifacts: ['prd.md', 'designs/'], context: ['priority_level', 'deadline', 'dependencies'] }),
      ]);

      expect(structured(await client.callTool({ name: 'report_progress', arguments: { taskId, percent: 30, message: 'drafting', tokensUsed: 1200 } }))).toEqual({ taskId, status: 'accepted', leaseEpoch: next.task.leaseEpoch });
      await taskWhere(taskId, (t) => t.percent === 30 && t.tokensUsed === 1200, 'with the progress');

      // Paths reserved for the task hold back a task that declares an overlapping file, one this
      // agent could otherwise be given (the dispatcher looks only at tasks an agent on line can take).
      const reservation = structured(await client.callTool({ name: 'reserve_paths', arguments: { taskId, paths: ['docs/prd/**'] } })) as { reservationId: string };
      const overlapping = await submit({ action: 'edit_prd', requirement: { capabilities: [capability] }, inputs: { files: ['docs/prd/exports.md'] } });
      const conflict = await waitFor(async () => (await baton.query(ListConflicts, { taskId: overlapping, kind: 'file_overlap', limit: 10 })).conflicts[0], { timeoutMs: 20_000, what: 'the file_overlap conflict' });
      expect(conflict.details).toMatchObject({ overlaps: [expect.objectContaining({ taskId: reservation.reservationId })] });

      // A first handoff that breaks the spec: rejected, every failure back to the agent, the task still its.
      const bad = await client.callTool({
        name: 'submit_handoff',
        arguments: { taskId, artifacts: [{ name: 'prd.md', content: '# PRD\n\n## Problem Statement\n\nTBD\n\n## User Stories\n\n- one story\n' }], context: { priority_level: 'P1' } },
      });
      const rejected = structured(bad) as { accepted: boolean; status: string; verdict: { status: string; specIds: string[]; failures: { rule: string; artifact: string | null; message: string }[] } };
      expect(rejected).toMatchObject({ accepted: false, status: 'accepted', verdict: { status: 'rejected', specIds: ['HO-PM-ARCH'] } });
      const rules = rejected.verdict.failures.map((f) => f.rule);
      expect(rules).toEqual(expect.arrayContaining(['no_tbd_markers', 'user_stories: min 3', 'success_metrics: min 2']));
      expect(rejected.verdict.failures.some((f) => f.artifact === null && /deadline/.test(f.rule + f.message))).toBe(true);
      expect(((bad as CallToolResult).content[0] as { text: string }).text).toMatch(/rejected[\s\S]*no_tbd_markers/);
      await taskWhere(taskId, (t) => t.status === 'accepted' && t.agentId === agentId, 'still with the agent after the rejection');

      // The rework feedback is part of the task's context now, and of the check prompt.
      const again = structured(await client.callTool({ name: 'claim_task', arguments: { taskId } })) as { context: { rework: { source: string; failures: { rule: string }[] } } };
      expect(again.context.rework).toMatchObject({ source: 'handoff' });
      expect(again.context.rework.failures.map((f) => f.rule)).toEqual(expect.arrayContaining(['no_tbd_markers']));
      const prompt = await client.getPrompt({ name: 'check_handoff', arguments: { taskId } });
      expect((prompt.messages[0]?.content as { text: string }).text).toMatch(/HO-PM-ARCH[\s\S]*no_tbd_markers/);
      const resource = await client.readResource({ uri: `baton://tasks/${taskId}/context` });
      expect(JSON.parse((resource.contents[0] as { text: string }).text)).toMatchObject({ taskId, checks: { specs: [expect.objectContaining({ id: 'HO-PM-ARCH' })] } });

      // Fixed: accepted, the task completed with the artifact, the reservation ended.
      const good = structured(
        await client.callTool({ name: 'submit_handoff', arguments: { taskId, artifacts: [{ name: 'prd.md', content: sampleArtifacts['prd.md'] }], context: { ...sampleContext } } }),
      );
      expect(good).toMatchObject({ accepted: true, status: 'completed', verdict: { status: 'accepted', failures: [] }, releasedReservations: [reservation.reservationId] });
      const done = await taskWhere(taskId, (t) => t.status === 'completed', 'completed');
      expect(done.outputs).toMatchObject({ artifacts: { 'prd.md': { hash: expect.stringMatching(/^sha256:/) } }, handoff: { status: 'accepted' } });
      await taskWhere(reservation.reservationId, (t) => t.status === 'completed', 'reservation ended');
      await baton.command(CancelTask, { taskId: overlapping, reason: 'test over' });
    } finally {
      await client.close().catch(() => undefined);
      if (stderr.some((l) => /Error/.test(l))) process.stderr.write(stderr.join(''));
    }
  });

  describe('over Streamable HTTP (standalone server, bearer tokens)', () => {
    let http: McpHttpServer;
    const token = uniqueId('token');
    const agentId = uniqueId('mcp-http');
    const capability = uniqueId('cap');
    const runnerToken = uniqueId('token');
    const runnerId = uniqueId('mcp-run');

    beforeAll(async () => {
      http = await startMcpHttpServer({
        port: 0,
        connection: stack.nc,
        authenticate: bearerTokens({ [token]: agentId, [runnerToken]: runnerId }),
        profile: (id) => ({ role: 'developer', capabilities: id === agentId ? [capability] : [], maxConcurrency: 1 }),
        heartbeatIntervalMs: 500,
      });
    });

    afterAll(() => http?.close());

    const connectClient = async (bearer: string): Promise<Client> => {
      // One request per call, each with the bearer token; no MCP session is kept (stateless).
      const client = new Client({ name: 'mcp-e2e-http', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(http.url), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
      return client;
    };

    it('answers 401 without a known bearer token', async () => {
      const init = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } };
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      const none = await fetch(http.url, { method: 'POST', headers, body: JSON.stringify(init) });
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const wrong = await fetch(http.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer not-a-token' }, body: JSON.stringify(init) });
      expect(wrong.status).toBe(401);
      await expect(connectClient('not-a-token')).rejects.toThrow();
    });

    it('works the stages of a workflow run: the next stage sees the artifact handed over upstream, read as a resource, and the run status', async () => {
      const client = await connectClient(runnerToken);
      try {
        const yaml = `name: MCP relay ${runnerId}\nversion: 1.0.0\nsteps:\n  - id: spec\n    agent: ${runnerId}\n    action: write_spec\n    outputs: [spec.md]\n  - id: build\n    agent: ${runnerId}\n    action: build_it\n    inputs: [spec.md]\n    depends_on: [spec]\n`;
        const { workflowId } = await baton.command(RegisterWorkflow, { yaml, file: 'relay.yml' }, { commandId: uniqueId('wf') });
        // The runner's agent exists once its first request registered it; the run's tasks are for it.
        await client.listTools();
        await waitFor(async () => (await baton.query(GetAgent, { agentId: runnerId })).agentId === runnerId, { timeoutMs: 20_000, what: 'the runner agent registered' });
        const { runId } = await baton.command(StartRun, { workflowId, params: {}, priority: 'P1' }, { commandId: uniqueId('run') });
        type Next = { task: { taskId: string; context: { runId: string | null; stageId: string | null; upstreamArtifacts: { stageId: string; name: string; hash: string; uri: string }[] } } | null };
        const nextOf = (stageId: string) =>
          waitFor(
            async () => {
              const r = structured(await client.callTool({ name: 'next_task', arguments: {} })) as Next;
              return r.task?.context.stageId === stageId ? r.task : undefined;
            },
            { timeoutMs: 30_000, intervalMs: 200, what: `the ${stageId} task` },
          );

        const spec = await nextOf('spec');
        expect(spec.context).toMatchObject({ runId, upstreamArtifacts: [] });
        const content = '# Spec\n\nExport CSV files every Monday.\n';
        expect(structured(await client.callTool({ name: 'submit_handoff', arguments: { taskId: spec.taskId, artifacts: [{ name: 'spec.md', content }] } }))).toMatchObject({ accepted: true, status: 'completed' });

        const build = await nextOf('build');
        expect(build.context.upstreamArtifacts).toEqual([expect.objectContaining({ stageId: 'spec', name: 'spec.md', uri: expect.stringMatching(/^baton:\/\/artifacts\/sha256:/) })]);
        const artifact = await client.readResource({ uri: build.context.upstreamArtifacts[0]!.uri });
        expect(artifact.contents[0]).toMatchObject({ mimeType: 'text/markdown', text: content });
        const status = await client.readResource({ uri: `baton://runs/${runId}/status` });
        expect(JSON.parse((status.contents[0] as { text: string }).text)).toMatchObject({ runId, state: 'running', steps: expect.arrayContaining([expect.objectContaining({ stepId: 'spec', status: 'success' })]) });

        expect(structured(await client.callTool({ name: 'submit_handoff', arguments: { taskId: build.taskId, outputs: { built: true } } }))).toMatchObject({ accepted: true, status: 'completed' });
        await waitFor(async () => (await baton.query(GetRun, { runId })).status === 'success', { timeoutMs: 30_000, what: `run ${runId} to succeed` });
      } finally {
        await client.close();
      }
    });

    it('claims, lists what is left, reports progress, gets a rejected handoff with its failures, resubmits the fix and completes; releases the next task', async () => {
      const client = await connectClient(token);
      try {
        const first = await submit({ action: 'implement_feature', requirement: { capabilities: [capability] }, inputs: { goal: 'Add CSV export', checks: { qualityGate: ['coverage >= 80%'] } } });
        const claimed = structured(await client.callTool({ name: 'claim_task', arguments: { taskId: first } })) as { taskId: string; leaseEpoch: number; context: Structured };
        expect(claimed).toMatchObject({ taskId: first, context: { goal: 'implement_feature: Add CSV export', checks: { qualityGate: ['coverage >= 80%'], specs: [] } } });
        await taskWhere(first, (t) => t.agentId === agentId && t.leaseEpoch === claimed.leaseEpoch, 'held by the agent');

        // The agent is at its max concurrency: a second task waits, is listed as claimable, and a claim is refused with a code.
        const second = await submit({ action: 'implement_feature', requirement: { capabilities: [capability] }, inputs: { goal: 'Add PDF export' } });
        await taskWhere(second, (t) => t.status === 'queued', 'queued');
        const listed = structured(await client.callTool({ name: 'list_claimable_tasks', arguments: {} })) as { tasks: { taskId: string }[] };
        expect(listed.tasks.map((t) => t.taskId)).toEqual([second]);
        expect(errorText(await client.callTool({ name: 'claim_task', arguments: { taskId: second } }))).toMatch(/^CONFLICT: .*already holds 1/);

        expect(structured(await client.callTool({ name: 'report_progress', arguments: { taskId: first, percent: 60, message: 'tests written', tokensUsed: 5000 } }))).toMatchObject({ status: 'accepted' });
        expect(structured(await client.callTool({ name: 'report_blocked', arguments: { taskId: first, reason: 'waiting for the staging database' } }))).toEqual({ taskId: first, status: 'blocked' });
        expect(errorText(await client.callTool({ name: 'report_blocked', arguments: { taskId: first } }))).toMatch(/^VALIDATION_FAILED: reason is required/);
        expect(structured(await client.callTool({ name: 'report_blocked', arguments: { taskId: first, unblocked: true } }))).toEqual({ taskId: first, status: 'accepted' });
        const escalation = structured(
          await client.callTool({
            name: 'escalate',
            arguments: { taskId: first, issue: 'Export to S3 too?', trigger: 'approval_needed', options: [{ label: 'CSV only', tradeoff: 'ships this week' }, { label: 'CSV and S3' }], recommendation: 'CSV only' },
          }),
        ) as { escalationId: string };
        expect(await waitFor(() => baton.query(GetEscalation, { escalationId: escalation.escalationId }), { timeoutMs: 20_000, what: 'the escalation' })).toMatchObject({ taskId: first, agentId, issue: 'Export to S3 too?', recommendation: 'CSV only', status: 'open' });

        const rejected = structured(await client.callTool({ name: 'submit_handoff', arguments: { taskId: first, outputs: { coverage: 61 } } })) as { accepted: boolean; verdict: { failures: { source: string; rule: string; message: string }[] } };
        expect(rejected.accepted).toBe(false);
        expect(rejected.verdict.failures).toEqual([expect.objectContaining({ source: 'quality_gate', rule: 'coverage >= 80%' })]);
        await taskWhere(first, (t) => t.status === 'accepted' && t.agentId === agentId, 'still with the agent after the rejection');

        const accepted = structured(await client.callTool({ name: 'submit_handoff', arguments: { taskId: first, outputs: { coverage: 91 } } }));
        expect(accepted).toMatchObject({ accepted: true, status: 'completed', verdict: { status: 'accepted' } });
        await taskWhere(first, (t) => t.status === 'completed', 'completed');

        // The slot is free again: the scheduler gives the waiting task to this agent; releasing it puts it back in the queue.
        const next = await waitFor(
          async () => {
            const r = structured(await client.callTool({ name: 'next_task', arguments: {} })) as { task: { taskId: string } | null };
            return r.task;
          },
          { timeoutMs: 20_000, intervalMs: 200, what: 'the second task for the agent' },
        );
        expect(next.taskId).toBe(second);
        expect(structured(await client.callTool({ name: 'release_task', arguments: { taskId: second, reason: 'no PDF library available' } }))).toMatchObject({ taskId: second, status: 'queued' });
        await taskWhere(second, (t) => t.error?.code === 'RELEASED' && t.error.message === 'no PDF library available', 'released with the reason');
        await baton.command(CancelTask, { taskId: second, reason: 'test over' }, { commandId: uniqueId('cancel') });
      } finally {
        await client.close();
      }
    });
  });
});

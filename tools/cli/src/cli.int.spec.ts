import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { canConnect, freePort, testNatsUrl, waitFor, testNatsAuth } from '@baton/testing';
import {
  ApproveStage,
  GetEscalation,
  ListConflicts,
  ListEscalations,
  parseCommand,
  parseQuery,
  ReassignTask,
  RejectStage,
  ReplayRun,
  ResolveConflict,
  ResolveEscalation,
  type MessageDefinition,
  type WorkflowResultView,
} from '@baton/contracts';
import { conflictView, escalationView, human } from './testing/views';

// The real `baton` binary (node_modules/.bin/baton) as a child process, against a real NATS
// server. "Nobody is listening" must be true whatever else runs on this machine, so the file
// starts its own nats-server (the binary scripts/infra.sh uses) on a free port; without one it
// falls back to the harness NATS.

const root = path.resolve(__dirname, '..', '..', '..');
const BATON = path.join(root, 'node_modules', '.bin', 'baton');
const EXAMPLES = path.join(root, 'examples', 'workflows');
const START_HINT = 'Is Baton running? Start it with: npm start';

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function baton(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const proc = spawn(BATON, [...args], {
      cwd: root,
      // The shebang runs `node` from PATH: put this Node (24, from npm) first.
      env: { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, NODE_OPTIONS: '', NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`baton ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    proc.once('error', reject);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The envelope of a command the CLI sent for `human:<by>`: a fresh UUID command id, schema version 1. */
function humanEnvelope(by: string, data: Record<string, unknown>, correlation: { correlationId?: string } = {}): Record<string, unknown> {
  return { commandId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown, schemaVersion: 1, ...correlation, actor: human(by), data };
}

function natsServerBinary(): string | undefined {
  const candidates = [process.env['BATON_NATS_SERVER'], path.join(process.env['BATON_TOOLS_DIR'] ?? path.join(os.homedir(), '.cache', 'baton', 'bin'), 'nats-server')];
  for (const dir of (process.env['PATH'] ?? '').split(':')) candidates.push(path.join(dir, 'nats-server'));
  return candidates.find((c): c is string => c !== undefined && c !== '' && existsSync(c));
}

function exited(proc: ChildProcess): Promise<void> {
  return proc.exitCode !== null || proc.signalCode !== null ? Promise.resolve() : new Promise((r) => proc.once('exit', () => r()));
}

describe('baton binary (int)', () => {
  let natsUrl: string;
  let server: ChildProcess | undefined;
  let tmp: string;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'baton-cli-'));
    const bin = natsServerBinary();
    if (bin === undefined) {
      process.stderr.write('[cli.int] no nats-server binary found; using the harness NATS (it must have no Baton services attached)\n');
      natsUrl = testNatsUrl();
      return;
    }
    const port = await freePort();
    server = spawn(bin, ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    natsUrl = `nats://127.0.0.1:${port}`;
    await waitFor(() => canConnect(natsUrl, port, 200), { timeoutMs: 15_000, intervalMs: 50, what: `private nats-server on ${natsUrl}` });
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await exited(server);
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('exits 2 and asks whether Baton is running when no service answers', async () => {
    const agents = await baton(['agents', 'list'], { NATS_URL: natsUrl });
    expect(agents.code).toBe(2);
    expect(agents.stdout).toBe('');
    expect(agents.stderr.trim()).toBe(`baton: cannot reach the agent-registry at ${natsUrl} (no responders). ${START_HINT}`);

    const runs = await baton(['workflows', 'list', '--nats', natsUrl]);
    expect(runs.code).toBe(2);
    expect(runs.stderr).toContain(`cannot reach the scheduler at ${natsUrl} (no responders). ${START_HINT}`);

    const json = await baton(['--json', 'tasks', 'list', '--nats', natsUrl]);
    expect(json.code).toBe(2);
    expect(json.stdout).toBe('');
    expect(json.stderr).toContain(START_HINT);
  });

  it('exits 2 for conflicts and task reassignment too when no scheduler answers', async () => {
    const conflicts = await baton(['conflicts', 'list', '--nats', natsUrl]);
    expect(conflicts.code).toBe(2);
    expect(conflicts.stderr.trim()).toBe(`baton: cannot reach the scheduler at ${natsUrl} (no responders). ${START_HINT}`);

    const reassign = await baton(['tasks', 'reassign', 't-1', '--to', 'MCT-BE-002', '--reason', 'x', '--nats', natsUrl]);
    expect(reassign.code).toBe(2);
    expect(reassign.stderr.trim()).toBe(`baton: cannot reach the scheduler at ${natsUrl} (no responders). ${START_HINT}`);
  });

  it('exits 2 and asks whether Baton is running when NATS itself is down', async () => {
    const closed = await freePort();
    const r = await baton(['agents', 'health', '--nats', `nats://127.0.0.1:${closed}`]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`baton: cannot reach NATS at nats://127.0.0.1:${closed} (connection refused). ${START_HINT}`);
  });

  it('validates every example workflow locally (exit 0), with no NATS needed', async () => {
    const files = (await readdir(EXAMPLES)).filter((f) => /\.ya?ml$/.test(f)).sort();
    expect(files.length).toBeGreaterThan(0);
    const r = await baton(['workflows', 'validate', ...files.map((f) => path.join('examples', 'workflows', f))], { NATS_URL: 'nats://127.0.0.1:1' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const f of files) expect(r.stdout).toContain(`ok  examples/workflows/${f}  `);
    expect(r.stdout).toContain('ok  examples/workflows/feature-development.yml  WF-FEAT-001 v1.0.0');

    const dir = await baton(['workflows', 'validate', 'examples/workflows']);
    expect(dir.code).toBe(0);
    expect(dir.stdout.trim().split('\n')).toHaveLength(files.length);
  });

  it('reports a broken workflow as file:line:col on stderr, exit 1', async () => {
    const broken = path.join(tmp, 'broken.yml');
    await writeFile(
      broken,
      ['workflow:', '  name: Broken', '  id: WF-BROKEN', '  stages:', '    - stage: build', '      agent: MCT-BE-001', '      action: implement_backend', '      next: deploy', ''].join('\n'),
    );
    const syntax = path.join(tmp, 'syntax.yml');
    await writeFile(syntax, 'workflow:\n  name: [unclosed\n');

    const r = await baton(['workflows', 'validate', broken, 'examples/workflows/bug-fix.yml', syntax]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${broken}:8:13: stage "build": next refers to unknown stage "deploy"`);
    expect(r.stderr).toMatch(new RegExp(`${syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: YAML syntax error`));
    expect(r.stderr).toContain('baton: 2 of 3 workflow files invalid');
    expect(r.stdout).toContain('ok  examples/workflows/bug-fix.yml');
  });

  describe('against a scheduler stand-in on the wire', () => {
    let nc: NatsConnection;
    const registered: { yaml: string; file: string }[] = [];
    let polls = 0;

    function reply(msg: Msg, body: unknown): void {
      msg.respond(JSON.stringify(body));
    }

    function run(state: 'running' | 'success', steps: WorkflowResultView['steps']): WorkflowResultView {
      return {
        workflowId: 'WF-FEAT-001',
        runId: 'run-int-1',
        version: '1.0.0',
        status: state,
        state,
        startTime: new Date().toISOString(),
        ...(state === 'success' ? { endTime: new Date().toISOString(), duration: 1500 } : {}),
        steps,
        metrics: { totalSteps: steps.length, successfulSteps: steps.filter((s) => s.status === 'success').length, failedSteps: 0, skippedSteps: 0 },
        params: {},
        priority: 'P1',
      };
    }

    beforeAll(async () => {
      nc = await connect({ servers: natsUrl, ...testNatsAuth() });
      nc.subscribe('baton.cmd.scheduler.register-workflow', {
        callback: (_e, msg) => {
          const body = msg.json<{ data: { yaml: string; file: string } }>();
          registered.push(body.data);
          if (body.data.yaml.includes('CONFLICTING')) {
            reply(msg, { ok: false, error: { code: 'CONFLICT', message: 'workflow WF-X version 1.0.0 is already registered with different content; bump "version" to publish a change' } });
          } else reply(msg, { ok: true, data: { workflowId: 'WF-FEAT-001', version: '1.0.0', hash: 'h', created: true } });
        },
      });
      nc.subscribe('baton.cmd.scheduler.validate-workflow', {
        callback: (_e, msg) => {
          const { data } = msg.json<{ data: { yaml: string; file: string } }>();
          const bad = data.yaml.includes('CONFLICTING');
          const text = `${data.file}:1:1: rejected by the scheduler`;
          reply(msg, {
            ok: true,
            data: bad
              ? { ok: false, errors: [{ file: data.file, line: 1, column: 1, message: 'rejected by the scheduler', text }], workflowId: null, version: null, hash: null }
              : { ok: true, errors: [], workflowId: 'WF-FEAT-001', version: '1.0.0', hash: 'h' },
          });
        },
      });
      nc.subscribe('baton.cmd.scheduler.start-run', { callback: (_e, msg) => reply(msg, { ok: true, data: { runId: 'run-int-1', workflowId: 'WF-FEAT-001', version: '1.0.0' } }) });
      nc.subscribe('baton.qry.scheduler.get-run', {
        callback: (_e, msg) => {
          polls += 1;
          const step = (id: string, status: 'running' | 'success' | 'pending') => ({ stepId: id, agent: 'MCT-CPO-001', status, output: null, runs: status === 'success' ? 1 : 0, outcome: null, taskIds: [] });
          const data =
            polls === 1
              ? run('running', [step('initiation', 'running'), step('requirements', 'pending')])
              : polls === 2
                ? run('running', [step('initiation', 'success'), step('requirements', 'running')])
                : run('success', [step('initiation', 'success'), step('requirements', 'success')]);
          reply(msg, { ok: true, data });
        },
      });
      await nc.flush();
    });

    afterAll(async () => {
      await nc?.close();
    });

    it('registers a workflow file, starts it and follows it to success (exit 0)', async () => {
      const r = await baton(['workflows', 'execute', 'examples/workflows/feature-development.yml', '--wait', '--nats', natsUrl]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(registered.at(-1)?.file).toBe('examples/workflows/feature-development.yml');
      expect(registered.at(-1)?.yaml).toContain('WF-FEAT-001');
      expect(r.stdout).toContain('Registered WF-FEAT-001 v1.0.0 from examples/workflows/feature-development.yml');
      for (const line of ['stage initiation started', 'stage initiation succeeded', 'stage requirements started', 'stage requirements succeeded', 'run run-int-1 ended: success']) {
        expect(r.stdout).toContain(line);
      }
    });

    it('validates with the scheduler on --remote', async () => {
      const file = path.join(tmp, 'remote-bad.yml');
      await writeFile(file, '# CONFLICTING\nworkflow: {}\n');
      const r = await baton(['workflows', 'validate', '--remote', 'examples/workflows/feature-development.yml', file, '--nats', natsUrl]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('ok  examples/workflows/feature-development.yml  WF-FEAT-001 v1.0.0');
      expect(r.stderr).toContain(`${file}:1:1: rejected by the scheduler`);
    });

    it('prints an error reply as CODE: message with exit 1', async () => {
      const file = path.join(tmp, 'conflicting.yml');
      await writeFile(file, '# CONFLICTING\nworkflow:\n  name: X\n  id: WF-X\n  version: "1.0.0"\n  stages:\n    - stage: a\n      agent: MCT-BE-001\n      action: implement_backend\n');
      const r = await baton(['workflows', 'register', file, '--nats', natsUrl]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}: CONFLICT: workflow WF-X version 1.0.0 is already registered with different content`);
      expect(r.stdout).toContain('failed (see below)');
    });
  });
  describe('approve, reject, replay, escalations, conflicts and task reassignment against plain nats.js responders on the wire (stand-ins for the scheduler and escalation services)', () => {
    let nc: NatsConnection;
    /** Raw request bodies by subject, as the services would receive them. */
    const received = new Map<string, unknown[]>();
    const escalation = escalationView({
      escalationId: 'esc-int-1',
      issue: 'review rejected 3 times',
      options: [{ label: 'Grant an exception', tradeoff: 'ships the gap' }],
      recommendation: 'Grant an exception',
      blocking: 'deploy of run run-int-2',
      runId: 'run-int-2',
      agentId: null,
      raisedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    });
    const conflict = conflictView({
      conflictId: 'dep.t-int-2.0',
      taskIds: ['t-int-2', 't-int-1'],
      runId: 'run-int-2',
      description: 'dependency t-int-1 failed, so task t-int-2 cannot start',
      detectedAt: new Date().toISOString(),
      details: { dependsOn: ['t-int-1'] },
    });

    const answered = (data: unknown) => ({ ok: true, data });
    const refusedWith = (code: string, message: string) => ({ ok: false, error: { code, message } });

    /**
     * A stand-in for the service that serves `def`: records the raw request body, validates it
     * with the contract's own parser (`parseCommand` or `parseQuery`), as the services do, and
     * answers with what `answer` makes of the parsed request.
     */
    function standIn<D extends MessageDefinition, R>(def: D, parse: (def: D, raw: Uint8Array) => R, answer: (request: R) => unknown): void {
      nc.subscribe(def.subject, {
        callback: (_e, msg) => {
          const list = received.get(msg.subject) ?? [];
          list.push(JSON.parse(new TextDecoder().decode(msg.data)) as unknown);
          received.set(msg.subject, list);
          msg.respond(JSON.stringify(answer(parse(def, msg.data))));
        },
      });
    }

    beforeAll(async () => {
      nc = await connect({ servers: natsUrl, ...testNatsAuth() });
      standIn(ApproveStage, parseCommand, (cmd) => answered({ runId: cmd.data.runId, status: 'running' }));
      standIn(RejectStage, parseCommand, (cmd) =>
        cmd.data.stageId === 'done' ? refusedWith('ILLEGAL_TRANSITION', `stage done of run ${cmd.data.runId} is not waiting for approval`) : answered({ runId: cmd.data.runId, status: 'running' }),
      );
      standIn(ReplayRun, parseQuery, (q) =>
        answered({
          runId: q.data.runId,
          workflowId: 'WF-FEAT-001',
          version: '1.0.0',
          status: 'running',
          eventsApplied: 3,
          revision: 2,
          position: q.data.at ?? '900/1',
          lastEventType: 'StageApprovalRequested',
          stages: [{ stageId: 'review', status: 'awaiting_approval', iteration: 1, runs: 1, outcome: null, rejections: 0, awaiting: 'human', tasks: [{ key: 'review', taskId: 't-r', status: 'completed', agentId: 'MCT-QA-001' }] }],
        }),
      );
      standIn(ListEscalations, parseQuery, () => answered({ escalations: [escalation] }));
      standIn(GetEscalation, parseQuery, () => answered(escalation));
      standIn(ResolveEscalation, parseCommand, (cmd) =>
        answered({ ...escalation, status: 'resolved', resolution: cmd.data.resolution, resolvedBy: cmd.actor ?? null, resolutionReason: cmd.data.reason, resolvedAt: new Date().toISOString() }),
      );
      standIn(ListConflicts, parseQuery, () => answered({ conflicts: [conflict] }));
      standIn(ResolveConflict, parseCommand, (cmd) =>
        cmd.data.conflictId !== conflict.conflictId
          ? refusedWith('NOT_FOUND', `conflict ${cmd.data.conflictId} was not found`)
          : answered({
              ...conflict,
              status: 'resolved',
              needsDecision: false,
              resolution: cmd.data.resolution,
              resolvedBy: cmd.actor ?? null,
              reason: cmd.data.reason,
              reassignTo: cmd.data.reassignTo ?? null,
              resolvedAt: new Date().toISOString(),
            }),
      );
      standIn(ReassignTask, parseCommand, (cmd) =>
        cmd.data.toAgentId === 'MCT-OFFLINE'
          ? refusedWith('FORBIDDEN', `agent ${cmd.data.toAgentId} is offline`)
          : answered({ taskId: cmd.data.taskId, status: 'assigned', leaseEpoch: 2, revision: 5 }),
      );
      await nc.flush();
    });

    afterAll(async () => {
      await nc?.close();
    });

    it('approve sends the command envelope with the human actor (--as) and the run as correlation id', async () => {
      const r = await baton(['approve', 'run-int-2', 'review', '--reason', 'risk accepted', '--as', 'alice', '--nats', natsUrl], { BATON_USER: 'bob' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('approved stage review of run run-int-2 (run is running)');
      const [body] = received.get(ApproveStage.subject) ?? [];
      expect(body).toEqual(humanEnvelope('alice', { runId: 'run-int-2', stageId: 'review', reason: 'risk accepted' }, { correlationId: 'run-int-2' }));
    });

    it('reject takes the actor from $BATON_USER, and prints an error reply as CODE: message with exit 1', async () => {
      const ok = await baton(['reject', 'run-int-2', 'review', '--reason', 'no rollback plan', '--nats', natsUrl], { BATON_USER: 'bob' });
      expect(ok.code).toBe(0);
      expect(ok.stdout.trim()).toBe('rejected stage review of run run-int-2 (run is running)');
      expect(received.get(RejectStage.subject)?.[0]).toMatchObject({ actor: human('bob'), data: { runId: 'run-int-2', stageId: 'review', reason: 'no rollback plan' } });

      const refused = await baton(['reject', 'run-int-2', 'done', '--reason', 'x', '--nats', natsUrl]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe('baton: ILLEGAL_TRANSITION: stage done of run run-int-2 is not waiting for approval');

      const usage = await baton(['reject', 'run-int-2', 'review', '--nats', natsUrl]);
      expect(usage.code).toBe(1);
      expect(usage.stderr).toContain("required option '--reason <text>' not specified");
      expect(received.get(RejectStage.subject)).toHaveLength(2);
    });

    it('replay sends the position and prints the state then', async () => {
      const r = await baton(['replay', 'run-int-2', '--at', '812/44', '--nats', natsUrl]);
      expect(r.code).toBe(0);
      expect(received.get(ReplayRun.subject)?.[0]).toEqual({ schemaVersion: 1, data: { runId: 'run-int-2', at: '812/44' } });
      expect(r.stdout).toContain('Run run-int-2 of WF-FEAT-001 v1.0.0: running\nas of event 2 (StageApprovalRequested) at 812/44, 3 events applied');
      expect(r.stdout).toMatch(/│ review\s+│ awaiting_approval │ 1\s+│ 1\s+│/);
    });

    it('escalations list, show and resolve talk to the escalation service; resolve carries the actor', async () => {
      const list = await baton(['escalations', 'list', '--status', 'open', '--level', '3', '--nats', natsUrl]);
      expect(list.code).toBe(0);
      expect(received.get(ListEscalations.subject)?.[0]).toEqual({ schemaVersion: 1, data: { status: 'open', level: 3, limit: 100 } });
      expect(list.stdout).toMatch(/│ esc-int-1 │ L3\s+│ human:oncall │ repeated_rejections │ open\s+│ run-int-2\/review\/- │ review rejected 3 times │ \d+[sm] ago │/);

      const show = await baton(['escalations', 'show', 'esc-int-1', '--nats', natsUrl]);
      expect(show.code).toBe(0);
      expect(show.stdout).toContain('Issue:          review rejected 3 times\nWorkflow Stage: WF-FEAT-001 / review\nOptions:\n  1. Grant an exception\n     trade-off: ships the gap');

      const resolve = await baton(['--json', 'escalations', 'resolve', 'esc-int-1', '--resolution', 'exception_granted', '--reason', 'ship it', '--nats', natsUrl], { BATON_USER: '', USER: 'carol' });
      expect(resolve.code).toBe(0);
      expect(received.get(ResolveEscalation.subject)?.[0]).toEqual(humanEnvelope('carol', { escalationId: 'esc-int-1', resolution: 'exception_granted', reason: 'ship it' }));
      expect(JSON.parse(resolve.stdout)).toMatchObject({ escalationId: 'esc-int-1', status: 'resolved', resolution: 'exception_granted', resolvedBy: human('carol') });
    });

    it('conflicts list sends the filters and prints the table, or the reply with --json', async () => {
      const list = await baton(['conflicts', 'list', '--status', 'open', '--kind', 'dependency_clash', '--run', 'run-int-2', '--task', 't-int-2', '--nats', natsUrl]);
      expect(list.stderr).toBe('');
      expect(list.code).toBe(0);
      expect(received.get(ListConflicts.subject)?.[0]).toEqual({ schemaVersion: 1, data: { status: 'open', runId: 'run-int-2', kind: 'dependency_clash', taskId: 't-int-2', limit: 100 } });
      expect(list.stdout).toMatch(/│ dep\.t-int-2\.0 │ dependency_clash │ open\s+│ needs decision │ t-int-2, t-int-1 │ run-int-2 │ \d+[sm] ago\s+│ dependency t-int-1 failed, so task t-int-2 cannot start │/);

      const json = await baton(['--json', 'conflicts', 'list', '--nats', natsUrl]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ conflicts: [conflict] });
    });

    it('conflicts resolve carries the human actor, the resolution, the reason and the agent a reassign goes to', async () => {
      const resolve = await baton(['conflicts', 'resolve', 'dep.t-int-2.0', '--resolution', 'reassign', '--reassign-to', 'MCT-BE-002', '--reason', 'BE-002 has the context', '--as', 'alice', '--nats', natsUrl], {
        BATON_USER: 'bob',
      });
      expect(resolve.stderr).toBe('');
      expect(resolve.code).toBe(0);
      expect(resolve.stdout.trim()).toBe('conflict dep.t-int-2.0 (dependency_clash) resolved: reassign to MCT-BE-002 by human:alice');
      expect(received.get(ResolveConflict.subject)?.[0]).toEqual(humanEnvelope('alice', { conflictId: 'dep.t-int-2.0', resolution: 'reassign', reason: 'BE-002 has the context', reassignTo: 'MCT-BE-002' }));

      const queue = await baton(['conflicts', 'resolve', 'dep.t-int-2.0', '--resolution', 'queue', '--reason', 'wait for the retry', '--nats', natsUrl], { BATON_USER: '', USER: 'carol' });
      expect(queue.code).toBe(0);
      expect(queue.stdout.trim()).toBe('conflict dep.t-int-2.0 (dependency_clash) resolved: queue by human:carol');
      expect(received.get(ResolveConflict.subject)?.[1]).toMatchObject({ actor: human('carol'), data: { conflictId: 'dep.t-int-2.0', resolution: 'queue', reason: 'wait for the retry' } });
      expect((received.get(ResolveConflict.subject)?.[1] as { data: object }).data).not.toHaveProperty('reassignTo');
    });

    it('conflicts resolve prints an error reply with exit 1, and refuses reassign without --reassign-to before sending', async () => {
      const missing = await baton(['conflicts', 'resolve', 'nope', '--resolution', 'escalate', '--reason', 'x', '--nats', natsUrl]);
      expect(missing.code).toBe(1);
      expect(missing.stderr.trim()).toBe('baton: NOT_FOUND: conflict nope was not found');

      const usage = await baton(['conflicts', 'resolve', 'dep.t-int-2.0', '--resolution', 'reassign', '--reason', 'x', '--nats', natsUrl]);
      expect(usage.code).toBe(1);
      expect(usage.stderr.trim()).toBe('baton: --resolution reassign needs --reassign-to <agentId>');
      expect(received.get(ResolveConflict.subject)).toHaveLength(3);
    });

    it('tasks reassign sends the task, the agent and the reason with the human actor, and prints a refusal with exit 1', async () => {
      const r = await baton(['tasks', 'reassign', 't-int-2', '--to', 'MCT-BE-002', '--reason', 'BE-001 is overloaded', '--nats', natsUrl], { BATON_USER: 'dave' });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe('task t-int-2 reassigned to MCT-BE-002 (assigned, lease epoch 2)');
      expect(received.get(ReassignTask.subject)?.[0]).toEqual(humanEnvelope('dave', { taskId: 't-int-2', toAgentId: 'MCT-BE-002', reason: 'BE-001 is overloaded' }));

      const json = await baton(['--json', 'tasks', 'reassign', 't-int-2', '--to', 'MCT-BE-003', '--reason', 'x', '--as', 'erin', '--nats', natsUrl]);
      expect(json.code).toBe(0);
      expect(JSON.parse(json.stdout)).toEqual({ taskId: 't-int-2', status: 'assigned', leaseEpoch: 2, revision: 5 });
      expect(received.get(ReassignTask.subject)?.[1]).toMatchObject({ actor: human('erin') });

      const refused = await baton(['tasks', 'reassign', 't-int-2', '--to', 'MCT-OFFLINE', '--reason', 'x', '--nats', natsUrl]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe('baton: FORBIDDEN: agent MCT-OFFLINE is offline');
    });
  });
});

import { BatonError, UnavailableError } from '@baton/contracts';
import { runCli } from './cli';
import { NatsUnreachableError } from './rpc';
import { expectRefusal, failingStderr, fakeClient, fakeDeps, humanCommandCall } from './testing/fake-client';
import { agentView, runView, stepView, taskView } from './testing/views';

describe('baton command layer', () => {
  it('lists agents through the registry with the given filters, as a table', async () => {
    const client = fakeClient({ 'list-agents': () => ({ agents: [agentView()] }) });
    const deps = fakeDeps(client);
    expect(await runCli(['agents', 'list', '--status', 'busy', '--role', 'backend_dev'], deps)).toBe(0);
    expect(client.calls).toEqual([{ kind: 'query', name: 'list-agents', data: { status: 'busy', role: 'backend_dev' } }]);
    expect(deps.io.out.join('\n')).toContain('MCT-BE-001');
    expect(deps.io.err).toEqual([]);
    expect(deps.connectedTo).toEqual(['nats://127.0.0.1:4222']);
  });

  it('prints one JSON document with --json', async () => {
    const client = fakeClient({ 'list-agents': () => ({ agents: [agentView()] }) });
    const deps = fakeDeps(client);
    expect(await runCli(['--json', 'agents', 'list'], deps)).toBe(0);
    expect(deps.io.out).toHaveLength(1);
    expect(JSON.parse(deps.io.out[0]!)).toEqual({ agents: [agentView()] });
  });

  it('takes the NATS URL from --nats, else NATS_URL', async () => {
    const client = fakeClient({ 'list-tasks': () => ({ tasks: [] }) });
    const fromEnv = fakeDeps(client, { env: { NATS_URL: 'nats://nats.internal:4222' } });
    await runCli(['tasks', 'list'], fromEnv);
    expect(fromEnv.connectedTo).toEqual(['nats://nats.internal:4222']);
    const fromFlag = fakeDeps(client, { env: { NATS_URL: 'nats://nats.internal:4222' } });
    await runCli(['tasks', 'list', '--nats', 'nats://10.1.1.1:4222'], fromFlag);
    expect(fromFlag.connectedTo).toEqual(['nats://10.1.1.1:4222']);
  });

  it('filters tasks by status, run and agent', async () => {
    const client = fakeClient({ 'list-tasks': () => ({ tasks: [taskView()] }) });
    const deps = fakeDeps(client);
    expect(await runCli(['tasks', 'list', '--status', 'accepted', '--run', 'run-1', '--agent', 'MCT-PM-001', '--limit', '5'], deps)).toBe(0);
    expect(client.calls[0]?.data).toEqual({ status: 'accepted', runId: 'run-1', agentId: 'MCT-PM-001', limit: 5 });
    expect(deps.io.out.join('\n')).toContain('write_prd');
  });

  it('shows one agent’s health with get-agent, all agents’ with list-agents', async () => {
    const client = fakeClient({ 'get-agent': () => agentView(), 'list-agents': () => ({ agents: [agentView()] }) });
    const one = fakeDeps(client);
    expect(await runCli(['agents', 'health', 'MCT-BE-001'], one)).toBe(0);
    expect(one.io.out.join('\n')).toContain('Last heartbeat');
    const all = fakeDeps(client);
    expect(await runCli(['agents', 'health'], all)).toBe(0);
    expect(all.io.out.join('\n')).toContain('ERROR RATE');
    expect(client.calls.map((c) => c.name)).toEqual(['get-agent', 'list-agents']);
  });

  it('starts a run with params and priority, and says how to follow it', async () => {
    const client = fakeClient({ 'start-run': () => ({ runId: 'run-7', workflowId: 'WF-FEAT-001', version: '1.0.0' }) });
    const deps = fakeDeps(client);
    expect(await runCli(['workflows', 'execute', 'WF-FEAT-001', '--param', 'env=prod', '-p', 'replicas=3', '--priority', 'p0'], deps)).toBe(0);
    expect(client.calls).toEqual([humanCommandCall('start-run', { workflowId: 'WF-FEAT-001', params: { env: 'prod', replicas: 3 }, priority: 'P0' }, 'human')]);
    expect(deps.io.out).toEqual(['Started run run-7 of WF-FEAT-001 v1.0.0. Follow it with: baton workflows status run-7']);
  });

  it('follows a run with --wait until it succeeds, naming every stage, exit 0', async () => {
    const polls = [
      'not-yet',
      runView([stepView('initiation', 'running'), stepView('requirements', 'pending')]),
      runView([stepView('initiation', 'success'), stepView('requirements', 'running')]),
      runView([stepView('initiation', 'success'), stepView('requirements', 'success')], { status: 'success', state: 'success', duration: 1200, endTime: '2026-11-22T10:00:01.200Z' }),
    ];
    const client = fakeClient({
      'start-run': () => ({ runId: 'run-1', workflowId: 'WF-FEAT-001', version: '1.0.0' }),
      'get-run': () => {
        const next = polls.shift();
        if (next === 'not-yet') throw new BatonError('NOT_FOUND', 'run run-1 was not found');
        return next;
      },
    });
    const deps = fakeDeps(client);
    expect(await runCli(['workflows', 'execute', 'WF-FEAT-001', '--wait'], deps)).toBe(0);
    const out = deps.io.out.join('\n');
    expect(out).toContain('stage initiation started');
    expect(out).toContain('stage initiation succeeded');
    expect(out).toContain('stage requirements started');
    expect(out).toContain('stage requirements succeeded');
    expect(deps.io.out.at(-1)).toMatch(/run run-1 ended: success in 1\.2 s/);
    expect(polls).toEqual([]);
  });

  it('exits 1 when the followed run fails, and prints only the result with --json', async () => {
    const client = fakeClient({
      'start-run': () => ({ runId: 'run-1', workflowId: 'WF-FEAT-001', version: '1.0.0' }),
      'get-run': () => runView([stepView('initiation', 'failure', { error: 'boom' })], { status: 'failure', state: 'failure', error: 'stage initiation failed' }),
    });
    const human = fakeDeps(client);
    expect(await runCli(['workflows', 'execute', 'WF-FEAT-001', '--wait'], human)).toBe(1);
    expect(human.io.out.at(-1)).toContain('ended: failure');
    const json = fakeDeps(client);
    expect(await runCli(['--json', 'workflows', 'execute', 'WF-FEAT-001', '--wait'], json)).toBe(1);
    expect(json.io.out).toHaveLength(1);
    expect(JSON.parse(json.io.out[0]!)).toMatchObject({ runId: 'run-1', state: 'failure' });
  });

  it('gives up following at the --timeout, exit 1, naming the status command', async () => {
    const client = fakeClient({
      'start-run': () => ({ runId: 'run-1', workflowId: 'WF-FEAT-001', version: '1.0.0' }),
      'get-run': () => runView([stepView('initiation', 'running')]),
    });
    const deps = fakeDeps(client);
    expect(await runCli(['workflows', 'execute', 'WF-FEAT-001', '--wait', '--timeout', '2'], deps)).toBe(1);
    expect(deps.io.err).toEqual(['baton: run run-1 is still running after 2.0 s; follow it with: baton workflows status run-1']);
  });

  it('shows a run’s status as the WorkflowResult', async () => {
    const client = fakeClient({ 'get-run': () => runView([stepView('initiation', 'success')], { status: 'success', state: 'success', duration: 500 }) });
    const deps = fakeDeps(client);
    expect(await runCli(['workflows', 'status', 'run-1'], deps)).toBe(0);
    expect(deps.io.out.join('\n')).toContain('Steps: 1 total, 1 succeeded, 0 failed, 0 skipped');
  });

  it('lists workflows and runs, and controls runs', async () => {
    const client = fakeClient({
      'list-workflows': () => ({ workflows: [] }),
      'list-runs': () => ({ runs: [] }),
      'pause-run': (d) => ({ runId: (d as { runId: string }).runId, status: 'paused' }),
      'cancel-run': (d) => ({ runId: (d as { runId: string }).runId, status: 'cancelled' }),
    });
    const deps = fakeDeps(client);
    expect(await runCli(['workflows', 'list'], deps)).toBe(0);
    expect(await runCli(['runs', 'list', '--state', 'running', '--workflow', 'WF-FEAT-001'], deps)).toBe(0);
    expect(await runCli(['runs', 'pause', 'run-1'], deps)).toBe(0);
    expect(await runCli(['runs', 'cancel', 'run-1', '--reason', 'obsolete'], deps)).toBe(0);
    expect(client.calls.map((c) => [c.name, c.data])).toEqual([
      ['list-workflows', {}],
      ['list-runs', { limit: 100, workflowId: 'WF-FEAT-001', state: 'running' }],
      ['pause-run', { runId: 'run-1' }],
      ['cancel-run', { runId: 'run-1', reason: 'obsolete' }],
    ]);
    expect(deps.io.out.slice(-2)).toEqual(['run run-1: paused', 'run run-1: cancelled']);
  });

  it('submits a work item with a generated id and says where it went', async () => {
    const client = fakeClient({ 'submit-work-item': (d) => ({ itemId: (d as { itemId: string }).itemId, workflowId: 'WF-BUG-001', runId: 'run-wi' }) });
    const deps = fakeDeps(client);
    expect(await runCli(['work-items', 'submit', '--type', 'bug', '--title', 'Login fails', '--priority', 'P0', '-d', 'component=backend'], deps)).toBe(0);
    expect(client.calls[0]?.data).toEqual({ itemId: 'wi-id-1', type: 'bug', title: 'Login fails', priority: 'P0', payload: { component: 'backend' } });
    expect(deps.io.out[0]).toBe('Work item wi-id-1 routed to WF-BUG-001: run run-wi. Follow it with: baton workflows status run-wi');
  });

  it('exits 2 with the start hint when nobody answers, 2 when NATS is down', async () => {
    const unavailable = fakeClient({
      'list-workflows': () => {
        throw new UnavailableError('no service is answering on baton.qry.scheduler.list-workflows', { subject: 'baton.qry.scheduler.list-workflows' });
      },
    });
    const a = fakeDeps(unavailable);
    expect(await runCli(['workflows', 'list'], a)).toBe(2);
    expect(a.io.err).toEqual(['baton: cannot reach the scheduler at nats://127.0.0.1:4222 (no responders). Is Baton running? Start it with: npm start']);

    const b = fakeDeps(unavailable, { connect: (url) => Promise.reject(new NatsUnreachableError(url, 'connection refused')) });
    expect(await runCli(['agents', 'list', '--nats', 'nats://127.0.0.1:4999'], b)).toBe(2);
    expect(b.io.err).toEqual(['baton: cannot reach NATS at nats://127.0.0.1:4999 (connection refused). Is Baton running? Start it with: npm start']);
    expect(b.io.out).toEqual([]);
  });

  it('prints an error reply as CODE: message, exit 1', async () => {
    await expectRefusal(['workflows', 'status', 'nope'], 'get-run', 'NOT_FOUND', 'run nope was not found');
  });

  it('rejects bad usage with exit 1 before connecting', async () => {
    const client = fakeClient({});
    const deps = fakeDeps(client);
    expect(await failingStderr(['agents', 'list', '--status', 'sleepy'], deps)).toContain("argument 'sleepy' is invalid. expected one of available, busy, error, offline");
    expect(await failingStderr(['work-items', 'submit', '--title', 'x'], deps)).toContain("required option '--type <type>' not specified");
    expect(await runCli(['nonsense'], deps)).toBe(1);
    expect(deps.connectedTo).toEqual([]);
  });

  it('prints help with exit 0', async () => {
    const deps = fakeDeps(fakeClient({}));
    expect(await runCli(['workflows', '--help'], deps)).toBe(0);
    expect(deps.io.out.join('\n')).toContain('execute|run [options] <workflow>');
  });
});

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CommandClient, errorCodeOf } from '@baton/agent-sdk';
import { CancelTask, GetArtifact, GetTask, PutArtifact, ReassignTask, SubmitTask, type TaskView } from '@baton/contracts';
import { testNatsAuthDir, uniqueId, waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import { compiledMain, repoRoot, runBaton, SimAgentsProcess } from './support/stack';

// `baton agent run` as a person runs it: the compiled CLI as a process, a shell script standing
// in for the coding agent, and the agent-registry, handoff-validator and scheduler as processes
// on a database and a NATS server of this file. The runner's --json lines are read like
// sim-agents' (SimAgentsProcess: a process printing one JSON object per line).

/** The live (not zombie) processes of a process group, from /proc: a PID 1 that does not reap leaves zombies that `kill -0` still sees. */
function liveMembers(pgid: number): string[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(pgrp) === pgid && state !== 'Z' ? [`${pid} (${state})`] : [];
      } catch {
        return [];
      }
    });
}

function killZero(pgid: number): 'alive' | 'gone' {
  try {
    process.kill(-pgid, 0);
    return 'alive';
  } catch {
    return 'gone';
  }
}

describe('baton agent run: a command-line agent as a Baton agent (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_agent_runner' });
  let client: CommandClient;
  let tmp: string;

  beforeAll(async () => {
    await stack.start();
    client = new CommandClient(stack.nc, { retryForMs: 20_000 });
    tmp = await stack.tempDir('baton-e2e-runner-');
    await stack.service('agent-registry', { HEARTBEAT_WINDOW_MS: '10000' });
    await stack.service('handoff-validator');
    await stack.scheduler(uniqueId('e2e-runner'), { SCHEDULER_DISPATCH_POLL_MS: '300' });
  });

  afterAll(() => stack.stop());

  /** Writes `script` and starts `baton agent run` with it as the agent's command; resolves once the agent waits for tasks. */
  async function startRunner(name: string, script: string, extra: readonly string[]): Promise<{ runner: SimAgentsProcess; agentId: string; capability: string; workdir: string }> {
    const agentId = uniqueId(`runner-${name}`).replace(/[^A-Za-z0-9_-]/g, '_');
    const capability = uniqueId('code');
    const workdir = path.join(tmp, name);
    const scriptFile = path.join(tmp, `${name}.sh`);
    await writeFile(scriptFile, script);
    // With auth on, the runner connects with the agent's own credentials, as a person would run it.
    const authDir = testNatsAuthDir();
    const credsEnv: Record<string, string> = {};
    if (authDir !== undefined) {
      const credsFile = path.join(tmp, `${agentId}.creds`);
      const issued = await runBaton(['agents', 'credentials', agentId, '--out', credsFile], { BATON_NATS_AUTH_DIR: authDir, NATS_URL: stack.natsUrl });
      expect(issued).toMatchObject({ code: 0 });
      credsEnv['NATS_CREDS'] = credsFile;
    }
    const args = ['--json', '--nats', stack.natsUrl, 'agent', 'run', '--id', agentId, '--capability', capability, '--workdir', workdir];
    const argv = [...args, '--progress-interval', '300', '--heartbeat-interval', '500', '--kill-grace', '1000', ...extra, '--', 'sh', scriptFile, '{task_md}', '{workdir}', '{task_id}'];
    compiledMain('tools/cli');
    const proc = spawn(process.execPath, [path.join(repoRoot, 'tools/cli/bin/baton.js'), ...argv], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', ...credsEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const runner = stack.track(new SimAgentsProcess(name, proc), { stop: (r) => r.stop(20_000), together: 'runners' });
    await runner.waitForLine((l) => l.type === 'runner.ready', 'ready', 60_000);
    return { runner, agentId, capability, workdir };
  }

  function taskIn(taskId: string, statuses: readonly TaskView['status'][]): Promise<TaskView> {
    return waitFor(
      async () => {
        const task = await client.query(GetTask, { taskId });
        return statuses.includes(task.status) ? task : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `task ${taskId} ${statuses.join('/')}` },
    );
  }

  async function artifactText(ref: unknown): Promise<string> {
    const got = await client.query(GetArtifact, { hash: (ref as { hash: string }).hash });
    return got.encoding === 'base64' ? Buffer.from(got.content, 'base64').toString('utf8') : got.content;
  }

  it('a script standing in for a coding agent reads task.md and the upstream artifact, writes the declared outputs, and the task completes with them as artifacts', async () => {
    const script = [
      'set -eu',
      'task_md="$1"; workdir="$2"; task_id="$3"',
      'test "$(pwd)" = "$workdir"',
      'grep -q "^# Task $task_id: implement_search" "$task_md"',
      'goal=$(sed -n "/^## Goal/{n;n;p;}" "$task_md")',
      'echo "read the brief of $task_id"',
      'mkdir -p notes',
      'printf "# Result\\n\\nDone: %s\\n" "$goal" > result.md',
      'cp "$(dirname "$task_md")/upstream/design/api_spec.yaml" notes/spec-seen.yaml',
      'printf "%s" "$BATON_TASK_ID" > notes/env.txt',
      'echo "all written"',
    ].join('\n');
    const { runner, agentId, capability, workdir } = await startRunner('complete', script, ['--output', 'result.md', '--output', 'notes/spec-seen.yaml', '--output', './notes/env.txt']);
    const spec = 'openapi: 3.1.0\ninfo: { title: search }\n';
    const specRef = await client.command(PutArtifact, { name: 'api_spec.yaml', content: spec, encoding: 'utf8' });

    const { taskId } = await client.command(SubmitTask, {
      action: 'implement_search',
      requirement: { capabilities: [capability] },
      priority: 'P1',
      inputs: { title: 'Add full-text search', upstream: { design: { artifacts: { 'api_spec.yaml': specRef } } } },
    });
    const done = await taskIn(taskId, ['completed', 'failed']);
    expect(done).toMatchObject({ status: 'completed', agentId, error: null });
    const outputs = done.outputs as { exitCode: number; artifacts: Record<string, unknown> };
    expect(outputs.exitCode).toBe(0);
    expect(Object.keys(outputs.artifacts).sort()).toEqual(['notes/env.txt', 'notes/spec-seen.yaml', 'result.md']);
    expect(await artifactText(outputs.artifacts['result.md'])).toBe('# Result\n\nDone: Add full-text search\n');
    expect(await artifactText(outputs.artifacts['notes/spec-seen.yaml'])).toBe(spec);
    expect(await artifactText(outputs.artifacts['notes/env.txt'])).toBe(taskId);

    // What was written for the command, and what it wrote, stay in the task's context directory.
    const brief = await readFile(path.join(workdir, '.baton-task', taskId, 'task.md'), 'utf8');
    expect(brief).toContain('- `result.md`\n- `notes/spec-seen.yaml`\n- `./notes/env.txt`');
    expect(await readFile(path.join(workdir, '.baton-task', taskId, 'stdout.log'), 'utf8')).toBe(`read the brief of ${taskId}\nall written\n`);
    expect(runner.events.filter((e) => e.taskId === taskId).map((e) => e.type)).toEqual(
      expect.arrayContaining(['task.received', 'command.started', 'task.progress', 'command.exited', 'task.completed']),
    );
  });

  it('a rejected handoff runs the command again with the failures in task.md, and the fixed result completes the task', async () => {
    const script = [
      'set -eu',
      'task_md="$1"',
      'if grep -q "^## Rework: what to fix" "$task_md"; then coverage=91; else coverage=50; fi',
      'printf \'{"outputs": {"coverage": %s}, "context": {"round": "%s"}}\' "$coverage" "$coverage" > result.json',
      'echo "reported coverage $coverage"',
    ].join('\n');
    const { runner, capability, workdir } = await startRunner('rework', script, ['--result-file', 'result.json']);
    const { taskId } = await client.command(SubmitTask, {
      action: 'implement',
      requirement: { capabilities: [capability] },
      priority: 'P1',
      inputs: { goal: 'Cover the search module', checks: { qualityGate: ['coverage >= 80%'] } },
    });
    const done = await taskIn(taskId, ['completed', 'failed']);
    expect(done.status).toBe('completed');
    expect(done.outputs).toMatchObject({ coverage: 91, exitCode: 0, context: { round: '91' }, handoff: { status: 'accepted' } });
    const rejected = await runner.waitForLine((l) => l.type === 'task.handoff_rejected' && l.taskId === taskId, 'the first handoff rejected');
    expect(JSON.stringify(rejected['failures'])).toContain('coverage >= 80%');
    // The brief of the second round says what to fix, and what the checks are.
    const brief = await readFile(path.join(workdir, '.baton-task', taskId, 'task.md'), 'utf8');
    expect(brief).toContain('## Rework: what to fix');
    expect(brief).toContain('rule: `coverage >= 80%`');
    expect(brief).toContain('- quality gate: coverage >= 80%');
    expect(brief).toContain('write a JSON object to `result.json`');
  });

  it('a failing script fails the task with its exit code and the end of its stderr', async () => {
    const script = ['for i in $(seq 1 300); do echo "compiler noise line $i" >&2; done', 'echo "error: tests failed in search.spec.ts" >&2', 'exit 3'].join('\n');
    const { capability } = await startRunner('fail', script, ['--output', 'result.md']);
    const { taskId } = await client.command(SubmitTask, { action: 'implement', requirement: { capabilities: [capability] }, priority: 'P1', inputs: {} });
    const failed = await taskIn(taskId, ['failed', 'completed']);
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('EXIT_3');
    expect(failed.error?.message).toMatch(/^sh exited with code 3; end of stderr:\n/);
    expect(failed.error?.message).toContain('compiler noise line 300\nerror: tests failed in search.spec.ts');
    // The tail, not the whole stream.
    expect(failed.error?.message).not.toContain('compiler noise line 1\n');
  });

  it('cancelling the task kills the whole process group of the command: the script and what it started', async () => {
    const script = ['echo $$ > "$2/pgid-$3"', 'sleep 600 &', 'sh -c "sleep 600; echo never" &', 'echo started', 'wait'].join('\n');
    const { runner, workdir, capability } = await startRunner('cancel', script, []);
    const { taskId } = await client.command(SubmitTask, { action: 'implement', requirement: { capabilities: [capability] }, priority: 'P1', inputs: {} });
    const started = await runner.waitForLine((l) => l.type === 'command.started' && l.taskId === taskId, 'command started');
    const pgid = Number(await waitFor(() => readFile(path.join(workdir, `pgid-${taskId}`), 'utf8').catch(() => undefined), { timeoutMs: 30_000, intervalMs: 50, what: 'the pgid file' }));
    expect(pgid).toBe(started['pgid']);
    await waitFor(() => liveMembers(pgid).length >= 4 || undefined, { timeoutMs: 10_000, intervalMs: 50, what: 'the script, its two sleeps and the inner shell' });
    expect(killZero(pgid)).toBe('alive');

    await client.command(CancelTask, { taskId, reason: 'no longer needed' });
    expect(await taskIn(taskId, ['cancelled'])).toMatchObject({ status: 'cancelled' });
    await runner.waitForLine((l) => l.type === 'command.killed' && l.taskId === taskId, 'process group killed');
    await waitFor(() => liveMembers(pgid).length === 0 || undefined, { timeoutMs: 15_000, intervalMs: 50, what: `process group ${pgid} gone` });
    // `kill -0 -<pgid>` sees the group gone too, unless only unreaped zombies are left (PID 1 here may not reap).
    if (killZero(pgid) === 'alive') expect(liveMembers(pgid)).toEqual([]);
    await runner.waitForLine((l) => l.type === 'task.rejected' && l.taskId === taskId, 'the SDK drops the assignment');
    runner.assertRunning();
  });
  it('reassigning the task to another agent kills the process group (the lease is lost), and the other agent completes it', async () => {
    const script = ['echo $$ > "$2/pgid-$3"', 'sleep 600 &', 'wait'].join('\n');
    const { runner, workdir, capability } = await startRunner('reassign', script, []);
    const otherId = uniqueId('other').replace(/[^A-Za-z0-9_-]/g, '_');
    const other = await stack.agent({ agentId: otherId, heartbeatIntervalMs: 500 });
    await other.register({ role: 'coder', capabilities: [] });
    await other.start(() => ({ finishedBy: otherId }));

    const { taskId } = await client.command(SubmitTask, { action: 'implement', requirement: { capabilities: [capability] }, priority: 'P1', inputs: {} });
    await runner.waitForLine((l) => l.type === 'command.started' && l.taskId === taskId, 'command started');
    const pgid = Number(await waitFor(() => readFile(path.join(workdir, `pgid-${taskId}`), 'utf8').catch(() => undefined), { timeoutMs: 30_000, intervalMs: 50, what: 'the pgid file' }));
    expect(liveMembers(pgid).length).toBeGreaterThan(0);

    // The scheduler learns of the other agent from the registry's events: until then it refuses (FORBIDDEN).
    await waitFor(
      () =>
        client.command(ReassignTask, { taskId, toAgentId: otherId, reason: 'the other agent is free' }).then(
          () => true,
          (err: unknown) => (errorCodeOf(err) === 'FORBIDDEN' ? undefined : Promise.reject(err)),
        ),
      { timeoutMs: 20_000, intervalMs: 200, what: 'the reassignment' },
    );
    await runner.waitForLine((l) => l.type === 'task.lost' && l.taskId === taskId, 'the lease lost');
    await waitFor(() => liveMembers(pgid).length === 0 || undefined, { timeoutMs: 15_000, intervalMs: 50, what: `process group ${pgid} gone` });
    expect(await taskIn(taskId, ['completed'])).toMatchObject({ agentId: otherId, outputs: { finishedBy: otherId } });
  });
});

import { runCli } from '../cli';
import { failingStderr, fakeClient, fakeDeps } from '../testing/fake-client';

// What `baton agent run` refuses before it connects anywhere. The runner at work is in
// e2e/agent-runner.e2e.spec.ts (real services, a script as the agent).

describe('baton agent run: usage', () => {
  it('stops at an unknown placeholder, naming it and the known ones, without connecting', async () => {
    const deps = fakeDeps(fakeClient({}));
    expect(await runCli(['agent', 'run', '--id', 'coder-1', '--', 'claude', '-p', 'Read {task_mdd}', '--cwd', '{workdir}'], deps)).toBe(1);
    expect(deps.io.err).toEqual(['baton: unknown placeholder {task_mdd}; known: {workdir} {task_dir} {task_md} {task_json} {task_id} {action} {agent_id} {attempt} {run_id} {stage_id}']);
    expect(deps.connectedTo).toEqual([]);
  });

  it('needs an agent id and a command', async () => {
    const noId = fakeDeps(fakeClient({}));
    expect(await failingStderr(['agent', 'run', '--', 'sh', 'agent.sh'], noId)).toContain("required option '--id <agentId>' not specified");
    const noCommand = fakeDeps(fakeClient({}));
    expect(await failingStderr(['agent', 'run', '--id', 'coder-1'], noCommand)).toContain("missing required argument 'command'");
  });
});

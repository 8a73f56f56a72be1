import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@baton/testing';
import { collectOutputs } from './outputs';
import { GroupCommand, liveGroupMembers } from './process-group';

// Real processes on this machine: a command in its own process group, its output, and the end of
// the whole group. (No NATS or Postgres: this is the part of the runner that talks to the OS.)

describe('a command in its own process group (real processes)', () => {
  let dir: string;
  const started: GroupCommand[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'baton-group-'));
  });

  afterAll(async () => {
    await Promise.allSettled(started.map((c) => (c.groupAlive ? c.killGroup(100) : undefined)));
    await rm(dir, { recursive: true, force: true });
  });

  async function run(script: string, onStdoutLine?: (line: string) => void): Promise<GroupCommand> {
    const n = started.length;
    const cmd = await GroupCommand.start('sh', ['-c', script], {
      cwd: dir,
      env: { PATH: process.env['PATH'] },
      stdoutLog: path.join(dir, `out-${n}.log`),
      stderrLog: path.join(dir, `err-${n}.log`),
      stderrTailBytes: 200,
      ...(onStdoutLine ? { onStdoutLine } : {}),
    });
    started.push(cmd);
    return cmd;
  }

  it('reports the exit code, each stdout line as it comes, the end of stderr, and keeps both streams in full', async () => {
    const lines: string[] = [];
    const cmd = await run('echo one; printf "two\\rthree\\n"; for i in $(seq 1 100); do echo "err $i" >&2; done; exit 7', (l) => lines.push(l));
    expect(await cmd.exited).toEqual({ code: 7, signal: null });
    await cmd.close();
    expect(lines).toEqual(['one', 'three']);
    expect(cmd.stderrTail.length).toBeLessThanOrEqual(200);
    expect(cmd.stderrTail.endsWith('err 99\nerr 100\n')).toBe(true);
    expect((await readFile(path.join(dir, 'err-0.log'), 'utf8')).split('\n')[0]).toBe('err 1');
    expect(await readFile(path.join(dir, 'out-0.log'), 'utf8')).toBe('one\ntwo\rthree\n');
  });

  it('is the leader of its own group, and killing the group ends what it started, SIGKILL for what ignores SIGTERM', async () => {
    const cmd = await run('sleep 600 & sh -c \'trap "" TERM; while :; do sleep 1; done\' & wait');
    expect(cmd.pgid).not.toBe(process.pid);
    await waitFor(() => liveGroupMembers(cmd.pgid).length >= 4 || undefined, { timeoutMs: 10_000, intervalMs: 20, what: 'the shell, its sleep and the stubborn loop' });
    await cmd.killGroup(300);
    expect(liveGroupMembers(cmd.pgid)).toEqual([]);
    expect(cmd.groupAlive).toBe(false);
    expect((await cmd.exited).signal).toBe('SIGTERM');
  });

  it('what the command leaves running after it exits is still in the group, so the runner can end it', async () => {
    const cmd = await run('sleep 600 & echo started');
    expect((await cmd.exited).code).toBe(0);
    expect(cmd.groupAlive).toBe(true);
    await cmd.killGroup(500);
    expect(cmd.groupAlive).toBe(false);
  });

  it('refuses to start a program that does not exist', async () => {
    await expect(GroupCommand.start(path.join(dir, 'no-such-agent'), [], { cwd: dir, env: {}, stdoutLog: path.join(dir, 'x.log'), stderrLog: path.join(dir, 'y.log') })).rejects.toThrow(/ENOENT/);
  });
});

describe('declared outputs as artifacts (real files)', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'baton-outputs-'));
    await mkdir(path.join(dir, 'notes'));
    await writeFile(path.join(dir, 'result.md'), '# done ✓\n');
    await writeFile(path.join(dir, 'shot.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0xfe]));
    await writeFile(path.join(dir, 'big.txt'), 'x'.repeat(101));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads text as UTF-8 and anything else as base64, under the name as declared', async () => {
    const { artifacts, problems } = await collectOutputs(dir, ['./result.md', 'shot.png', path.join(dir, 'result.md')], 100);
    expect(problems).toEqual([]);
    expect(artifacts[0]).toEqual({ name: 'result.md', content: '# done ✓\n', encoding: 'utf8' });
    expect(artifacts[1]).toEqual({ name: 'shot.png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0x00, 0xfe]).toString('base64'), encoding: 'base64' });
    expect(artifacts[2]?.content).toBe('# done ✓\n');
  });

  it('names each output that is missing, not a file, or too large', async () => {
    const { artifacts, problems } = await collectOutputs(dir, ['missing.md', 'notes', 'big.txt'], 100);
    expect(artifacts).toEqual([]);
    expect(problems).toEqual(['missing.md was not written', 'notes is not a file', 'big.txt is 101 bytes; an artifact may have at most 100']);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../cli';
import { fakeClient, fakeDeps } from '../testing/fake-client';

// `baton files …` is the file mode inside the Baton CLI: the same commands, Baton's output
// conventions (--json, `baton: CODE: message`), and no connection to NATS unless it syncs.

describe('baton files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'baton-cli-files-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('runs the file-mode commands in --dir without connecting to Baton', async () => {
    const deps = fakeDeps(fakeClient({}), { env: { BATON_AGENT: 'cursor' } });
    expect(await runCli(['files', '--dir', dir, 'init'], deps)).toBe(0);
    expect(await runCli(['files', '--dir', dir, 'create', 'Add', 'a', 'limit', '--priority', 'P0'], deps)).toBe(0);
    expect(deps.io.out.pop()).toBe('TASK-001');
    expect(await runCli(['files', '--dir', dir, 'prep', 'TASK-001', '--goal', 'g', '--criteria', 'c', '--files', 'a.ts'], deps)).toBe(0);
    expect(await runCli(['--json', 'files', '--dir', dir, 'claim'], deps)).toBe(0);
    expect(JSON.parse(deps.io.out.pop()!)).toMatchObject({ task: { id: 'TASK-001', agent: 'cursor', status: 'in-progress', lastUpdated: '2026-11-22T10:00:00Z' } });
    expect(deps.connectedTo).toEqual([]);
  });

  it('prints a refusal the way every baton command does', async () => {
    const deps = fakeDeps(fakeClient({}));
    expect(await runCli(['files', '--dir', dir, 'status'], deps)).toBe(1);
    expect(deps.io.err).toEqual([`baton: NOT_FOUND: no .mcp/tasks directory in ${dir} or above; create one with: baton-files init`]);
  });
});

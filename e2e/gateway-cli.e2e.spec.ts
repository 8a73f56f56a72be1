import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import { approvalWorkflow } from './support/gateway';
import { runBaton, type CliResult } from './support/stack';

// `baton login` against the gateway's built-in issuer (as `npm start` runs it), then the CLI
// over HTTP as the logged-in person: the same commands as over NATS, with identity from the token.

const WORKFLOW = approvalWorkflow({ name: 'CLI over the gateway', id: 'WF-GW-CLI', stage: 'deploy', action: 'deploy_production', approvers: 'Human' });

describe('the CLI through the gateway (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_gateway_cli', connection: false });
  let dir: string;
  let gatewayUrl: string;

  /** `baton` as a person whose login is kept in their own credentials file; no --nats, no NATS_URL. */
  const as = (person: string, args: readonly string[], extra: Record<string, string> = {}): Promise<CliResult> =>
    runBaton(args, { BATON_CREDENTIALS_FILE: path.join(dir, `${person}.json`), NATS_URL: '', ...extra });

  beforeAll(async () => {
    await stack.start();
    dir = await stack.tempDir('baton-gw-cli-');
    await stack.service('agent-registry');
    const gateway = await stack.gateway({ BATON_DEV_ISSUER: 'true', BATON_DEV_ISSUER_DIR: path.join(dir, 'issuer'), BATON_ACTOR_KEY_DIR: path.join(dir, 'gateway') });
    gatewayUrl = gateway.url;
    await stack.service('scheduler', { BATON_ACTOR_KEYS_FILE: path.join(dir, 'gateway', 'actor-keys.json') });
    await writeFile(path.join(dir, 'wf.yml'), WORKFLOW);
  });

  afterAll(() => stack.stop());

  it('logs in with the local password, keeps the token private, and refuses a wrong password', async () => {
    const passwordFile = path.join(dir, 'issuer', 'dev-password');
    const bad = path.join(dir, 'bad-password');
    await writeFile(bad, 'not-it\n');
    const refused = await as('admin', ['--gateway', gatewayUrl, 'login', '--user', 'admin', '--password-file', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('login refused: wrong user name or password');
    for (const user of ['admin', 'operator', 'approver', 'viewer']) {
      const r = await as(user, ['--gateway', gatewayUrl, 'login', '--user', user, '--password-file', passwordFile]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toContain(`Logged in to ${gatewayUrl} as ${user} (roles: ${user})`);
    }
    expect((await stat(path.join(dir, 'admin.json'))).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path.join(dir, 'admin.json'), 'utf8'))).toMatchObject({ gateway: gatewayUrl, subject: 'admin', token: expect.any(String) });
  });

  it('runs the usual commands over HTTP as the logged-in person, with their roles', async () => {
    const reg = await as('admin', ['workflows', 'register', path.join(dir, 'wf.yml')]);
    expect(reg.code).toBe(0);
    expect(reg.stdout).toContain('WF-GW-CLI');
    const denied = await as('operator', ['workflows', 'register', path.join(dir, 'wf.yml')]);
    expect(denied.stderr).toContain('FORBIDDEN');

    const started = await as('operator', ['workflows', 'execute', 'WF-GW-CLI', '--json']);
    expect(started.code).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    await waitFor(
      async () => {
        const r = await as('viewer', ['replay', runId, '--json']);
        return r.code === 0 && (JSON.parse(r.stdout) as { stages: { status: string }[] }).stages[0]?.status === 'awaiting_approval' ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 300, what: 'the run waiting for approval' },
    );
    const list = await as('viewer', ['runs', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toMatchObject({ runs: [expect.objectContaining({ runId, workflowId: 'WF-GW-CLI' })] });

    const viewer = await as('viewer', ['approve', runId, 'deploy', '--reason', 'looks fine']);
    expect(viewer.code).toBe(1);
    expect(viewer.stderr).toMatch(/FORBIDDEN: viewer \(roles: viewer\) may not approveStage/);
    // --as names nobody over HTTP: the approver is who the token says.
    const approved = await as('approver', ['approve', runId, 'deploy', '--reason', 'plan reviewed', '--as', 'operator']);
    expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: '' });
    const events = (await stack.db.pool.query<{ type: string; metadata: { actor?: unknown } }>("SELECT type, metadata FROM baton_es.events WHERE stream_id = $1 AND type IN ('RunStarted', 'StageApproved') ORDER BY revision", [`run-${runId}`])).rows;
    expect(events.map((e) => [e.type, e.metadata.actor])).toEqual([
      ['RunStarted', { kind: 'human', id: 'operator' }],
      ['StageApproved', { kind: 'human', id: 'approver' }],
    ]);
  });

  it('says to log in when there is no token, and that the gateway is down when it is', async () => {
    const anonymous = await runBaton(['--gateway', gatewayUrl, 'agents', 'list'], { BATON_CREDENTIALS_FILE: path.join(dir, 'nobody.json') });
    expect(anonymous.code).toBe(1);
    expect(anonymous.stderr).toContain(`UNAUTHENTICATED: send credentials: Authorization: Bearer <token>, or X-API-Key: <key>. Log in with: baton login --gateway ${gatewayUrl}`);
    const down = await as('viewer', ['--gateway', `http://127.0.0.1:${await freePort()}`, 'agents', 'list']);
    expect(down.code).toBe(2);
    expect(down.stderr).toContain('cannot reach the gateway');
  });
});

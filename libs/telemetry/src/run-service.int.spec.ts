import path from 'node:path';
import { startJsonLinesProcess, waitFor } from '@baton/testing';

const FIXTURE = path.join(__dirname, 'testing', 'run-service.process.ts');

interface LogLine {
  readonly level: number | string;
  readonly msg: string;
  readonly service?: string;
  readonly port?: number;
  readonly signal?: string;
}

/** The fixture service in its own process, its stdout parsed as JSON lines (a line that is not JSON fails the test). */
function startFixture(env: Record<string, string>) {
  const child = startJsonLinesProcess<LogLine>(FIXTURE, { env: { HTTP_PORT: '0', LOG_LEVEL: 'info', ...env } });
  const logs = child.lines;
  const logged = (msg: string) =>
    waitFor(() => logs.find((l) => l.msg === msg), { timeoutMs: 30_000, what: `"${msg}" in the log (stderr: ${child.stderr().slice(-500)})` });
  return { proc: child.proc, logs, exitCode: child.exited, logged };
}

jest.setTimeout(60_000);

describe('runService: the one runtime every service boots on (real processes and signals)', () => {
  it('logs JSON, answers SIGHUP through its hook, turns readiness 503 while closing on SIGTERM, and exits 0', async () => {
    const fixture = startFixture({ FIXTURE_CLOSE_MS: '1500' });
    const { port } = await fixture.logged('listening');
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);

    fixture.proc.kill('SIGHUP');
    await fixture.logged('reloaded');

    fixture.proc.kill('SIGTERM');
    await fixture.logged('shutting down');
    await waitFor(async () => (await fetch(`${base}/health/ready`)).status === 503, { timeoutMs: 1500, what: 'readiness 503 while closing' });
    expect(await fixture.exitCode).toBe(0);
    expect(fixture.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['listening', 'reloaded', 'shutting down', 'stopped']));
    expect(fixture.logs.every((l) => l.service === 'run-service-fixture')).toBe(true);
  });

  it('logs a failing signal handler and keeps running', async () => {
    const fixture = startFixture({ FIXTURE_SIGHUP_FAILS: '1' });
    await fixture.logged('listening');
    fixture.proc.kill('SIGHUP');
    await fixture.logged('SIGHUP handler failed');
    fixture.proc.kill('SIGINT');
    expect(await fixture.exitCode).toBe(0);
  });

  it('exits 1 when closing outlasts SHUTDOWN_TIMEOUT_MS', async () => {
    const fixture = startFixture({ FIXTURE_CLOSE_MS: '20000', SHUTDOWN_TIMEOUT_MS: '200' });
    await fixture.logged('listening');
    fixture.proc.kill('SIGTERM');
    expect(await fixture.exitCode).toBe(1);
    expect(fixture.logs.map((l) => l.msg)).toContain('shutdown timed out; exiting');
  });

  it('exits 1 with a fatal log line naming the variable when the environment is bad', async () => {
    const fixture = startFixture({ HTTP_PORT: 'eighty' });
    expect(await fixture.exitCode).toBe(1);
    expect(fixture.logs).toEqual([expect.objectContaining({ level: 'fatal', msg: expect.stringMatching(/^start-up failed: HTTP_PORT is invalid/) })]);
  });
});

import { assertUniqueCheckNames, checkReadiness, type ReadinessCheck } from './readiness';

const pass = (name: string): ReadinessCheck => ({ name, check: async () => undefined });
const fail = (name: string, message: string): ReadinessCheck => ({
  name,
  check: async () => {
    throw new Error(message);
  },
});

describe('checkReadiness', () => {
  it('is ready with no checks', async () => {
    expect(await checkReadiness([])).toEqual({ ready: true, checks: [], failing: [] });
  });

  it('is ready when every check passes', async () => {
    const report = await checkReadiness([pass('nats'), pass('postgres')]);
    expect(report.ready).toBe(true);
    expect(report.failing).toEqual([]);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['nats', true],
      ['postgres', true],
    ]);
  });

  it('names every failing check, in the order given, with the reason', async () => {
    const report = await checkReadiness([fail('nats', 'connection refused'), pass('postgres'), fail('kurrentdb', 'boom')]);
    expect(report.ready).toBe(false);
    expect(report.failing).toEqual(['nats', 'kurrentdb']);
    expect(report.checks.find((c) => c.name === 'nats')?.error).toBe('connection refused');
  });

  it('counts a synchronous throw and a non-Error rejection as failures', async () => {
    const syncThrow: ReadinessCheck = {
      name: 'sync',
      check: () => {
        throw new Error('sync failure');
      },
    };
    const rejectsString: ReadinessCheck = { name: 'string', check: () => Promise.reject('nope') };
    const report = await checkReadiness([syncThrow, rejectsString, { name: 'sync-ok', check: () => undefined }]);
    expect(report.failing).toEqual(['sync', 'string']);
    expect(report.checks.map((c) => c.error)).toEqual(['sync failure', 'nope', undefined]);
  });

  it('fails a check that does not settle within the timeout, without waiting for it', async () => {
    const hang: ReadinessCheck = { name: 'hang', check: () => new Promise<void>(() => undefined) };
    const started = Date.now();
    const report = await checkReadiness([hang, pass('ok')], { timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(report.failing).toEqual(['hang']);
    expect(report.checks[0]?.error).toBe('timed out after 50 ms');
  });

  it('runs checks concurrently', async () => {
    const slow = (name: string): ReadinessCheck => ({ name, check: () => new Promise((r) => setTimeout(r, 100)) });
    const started = Date.now();
    const report = await checkReadiness([slow('a'), slow('b'), slow('c')], { timeoutMs: 1000 });
    expect(report.ready).toBe(true);
    expect(Date.now() - started).toBeLessThan(280);
  });

  it('measures durations with the given clock', async () => {
    let t = 0;
    const report = await checkReadiness([{ name: 'a', check: () => void (t += 5) }], { now: () => t });
    expect(report.checks[0]?.durationMs).toBe(5);
  });
});

describe('assertUniqueCheckNames', () => {
  it('rejects duplicate and empty names', () => {
    expect(() => assertUniqueCheckNames([pass('nats'), pass('nats')])).toThrow('two readiness checks are named "nats"');
    expect(() => assertUniqueCheckNames([pass(' ')])).toThrow('a readiness check has an empty name');
    expect(() => assertUniqueCheckNames([pass('nats'), pass('postgres')])).not.toThrow();
  });
});

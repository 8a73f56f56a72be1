import type { MessagingLogger } from './messaging.logger';
import { Poller } from './poller';

function recordingLogger(): MessagingLogger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, log: () => undefined, warn: () => undefined, error: (m: string) => void errors.push(m) };
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Poller', () => {
  it('runs rounds one after another, never two at once, and stop() waits for the round in hand', async () => {
    let active = 0;
    let overlapped = false;
    let rounds = 0;
    const poller = new Poller({ name: 'test', intervalMs: 1, firstDelayMs: 0, logger: recordingLogger() }, async () => {
      active += 1;
      overlapped ||= active > 1;
      await new Promise((r) => setTimeout(r, 5));
      void poller.tick(); // joins this round
      rounds += 1;
      active -= 1;
    });
    poller.start();
    await until(() => rounds >= 3);
    await poller.stop();
    const after = rounds;
    expect(active).toBe(0);
    await new Promise((r) => setTimeout(r, 30));
    expect(rounds).toBe(after);
    expect(overlapped).toBe(false);
  });

  it('logs a failed round and tries again on the next', async () => {
    const logger = recordingLogger();
    let calls = 0;
    const poller = new Poller({ name: 'flaky poll', intervalMs: 1, logger }, async () => {
      calls += 1;
      if (calls === 1) throw new Error('database away');
    });
    poller.start();
    await until(() => calls >= 2);
    await poller.stop();
    expect(logger.errors[0]).toBe('flaky poll failed: database away');
  });

  it('runs a round on tick() without being started', async () => {
    let calls = 0;
    const poller = new Poller({ name: 'manual', intervalMs: 60_000, logger: recordingLogger() }, async () => {
      calls += 1;
    });
    await poller.tick();
    expect(calls).toBe(1);
  });
});

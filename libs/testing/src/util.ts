import { randomBytes } from 'node:crypto';
import net from 'node:net';

/** A unique, subject- and stream-safe id for one test: `prefix-1a2b3c4d`. */
export function uniqueId(prefix = 't'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

/**
 * What `fn` throws, for assertions on the error itself (its class, code and details at once);
 * undefined when it returns.
 *
 * @example
 * const err = thrownBy(() => envHttpHost({ HTTP_HOST: 'a..b' }));
 * expect(err).toBeInstanceOf(EnvError);
 */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

/**
 * Waits until `check` returns a truthy value (or stops throwing), polling; never a fixed sleep.
 * Throws with the last error or value when the deadline passes.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A TCP port free on 127.0.0.1 right now (the OS picks it), for a process a test starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

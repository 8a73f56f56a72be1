import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** Whether a listener can bind `port` on 127.0.0.1 right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** Where {@link freePort} starts picking: above the local servers' ports (scripts/infra.sh's are all below). */
export const FREE_PORT_FLOOR = 20_000;

let ephemeralLow: number | undefined;

/**
 * The lowest port the OS gives outgoing connections (Linux `ip_local_port_range`; 32768 where
 * it cannot be read). A listener bound there later can find its port taken by a connection
 * opened meanwhile: a listener cannot bind a port an outgoing connection holds.
 */
export function ephemeralPortLow(): number {
  if (ephemeralLow === undefined) {
    let low = 32768;
    try {
      low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
    } catch {
      // Not Linux: macOS and Windows start their ranges at 49152 (IANA), above this default.
    }
    ephemeralLow = low;
  }
  return ephemeralLow;
}

/**
 * A TCP port free on 127.0.0.1 right now, for a process a test starts. Picked at random between
 * {@link FREE_PORT_FLOOR} and {@link ephemeralPortLow}: the process binds it seconds later (a
 * service's start-up), and a port from the OS's own choice (`listen(0)`, the ephemeral range)
 * could meanwhile be taken by any outgoing connection (health probes, pools), which failed a
 * start with EADDRINUSE. Where that range leaves too little room below it, the OS picks.
 */
export async function freePort(): Promise<number> {
  const room = ephemeralPortLow() - FREE_PORT_FLOOR;
  if (room >= 1000) {
    for (let i = 0; i < 100; i++) {
      const port = FREE_PORT_FLOOR + Math.floor(Math.random() * room);
      if (await portFree(port)) return port;
    }
  }
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

import net from 'node:net';
import type { ReadinessCheck } from './readiness';

/**
 * A readiness check that passes when a TCP connection to the URL's host and port opens.
 * It proves the server is reachable, not that the protocol handshake works; replace it with
 * a client-level check (NATS flush, `select 1`) once the service holds a real connection.
 *
 * @example
 * tcpReadinessCheck('nats', 'nats://127.0.0.1:4222', 4222)
 */
export function tcpReadinessCheck(name: string, url: string, defaultPort: number, timeoutMs = 1000): ReadinessCheck {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  return {
    name,
    check: () =>
      new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host, port });
        socket.setTimeout(timeoutMs, () => {
          socket.destroy();
          reject(new Error(`no TCP answer from ${host}:${port} within ${timeoutMs} ms`));
        });
        socket.once('connect', () => {
          socket.end();
          resolve();
        });
        socket.once('error', (err) => {
          socket.destroy();
          reject(new Error(`cannot connect to ${host}:${port}: ${err.message}`));
        });
      }),
  };
}

import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { canConnect, env } from './infra';
import { freePort, waitFor } from './util';

/** A nats-server of one test file (JetStream on, storage in a temp dir removed on stop). */
export interface TestNatsServer {
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
}

function usable(candidate: string): boolean {
  if (!existsSync(candidate)) return false;
  try {
    // 2.10 or later: the version with the multi-filter consumers the services use.
    const m = /v?(\d+)\.(\d+)\./.exec(execFileSync(candidate, ['--version'], { encoding: 'utf8', timeout: 5000 }));
    return m !== null && (Number(m[1]) > 2 || (Number(m[1]) === 2 && Number(m[2]) >= 10));
  } catch {
    return false;
  }
}

/** The nats-server binary: `BATON_NATS_SERVER`, the one scripts/infra.sh installs, else PATH. Throws naming how to get one. */
export function natsServerBinary(): string {
  const onPath = (process.env['PATH'] ?? '').split(path.delimiter).map((d) => path.join(d, 'nats-server'));
  const candidates = [env('BATON_NATS_SERVER'), path.join(env('BATON_TOOLS_DIR') ?? path.join(os.homedir(), '.cache', 'baton', 'bin'), 'nats-server'), ...onPath];
  const found = candidates.find((c): c is string => c !== undefined && usable(c));
  if (!found) throw new Error('no nats-server 2.10+ found: run `bash scripts/infra.sh up` once (it installs one under ~/.cache/baton/bin) or set BATON_NATS_SERVER');
  return found;
}

/**
 * Starts a nats-server with JetStream on a free loopback port; `config(dir)` returns extra
 * configuration (e.g. the decentralized-auth fragment of `@baton/nats-auth`), given the server's
 * temp dir. Ready once a TCP connection succeeds (`ready` may check more, e.g. with credentials).
 *
 * @example
 * const nats = await startTestNatsServer({ config: (dir) => store.serverConfig({ resolverDir: `${dir}/jwt` }) });
 */
export async function startTestNatsServer(options: { config?: (dir: string) => string; ready?: (url: string) => Promise<boolean> } = {}): Promise<TestNatsServer> {
  const binary = natsServerBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'baton-test-nats-'));
  const port = await freePort();
  const conf = path.join(dir, 'nats.conf');
  await writeFile(conf, [`listen: "127.0.0.1:${port}"`, `jetstream: { store_dir: ${JSON.stringify(path.join(dir, 'js'))} }`, options.config?.(dir) ?? ''].join('\n'));
  const proc = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
  const url = `nats://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}: ${stderr}`);
        return options.ready ? options.ready(url) : canConnect(url, port);
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `nats-server on ${url}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, dir, stop };
}

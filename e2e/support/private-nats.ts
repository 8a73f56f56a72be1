// A NATS server (with JetStream) of this test file alone. Services answer commands in queue
// groups shared by every replica on a server; on a NATS that other test runs use at the same
// time, their schedulers and registries (with other databases) would answer ours. The e2e tier
// is about whole processes, so each file that starts services gets a server of its own when a
// `nats-server` binary is at hand (the one scripts/infra.sh installs), else the shared one.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { NatsAuthStore } from '@baton/nats-auth';
import { env, freePort, natsServerBinary, testNatsAuth, testNatsAuthDir, testNatsUrl, waitFor } from '@baton/testing';
import { RunningProcess } from './stack';

export interface E2eNats {
  readonly url: string;
  /** `private` (a server of this file) or `shared` (the harness's). */
  readonly kind: 'private' | 'shared';
  stop(): Promise<void>;
}

/** The binary libs/testing finds (BATON_NATS_SERVER, the one scripts/infra.sh installs, PATH), or none. */
function findNatsServer(): string | undefined {
  try {
    return natsServerBinary();
  } catch {
    return undefined;
  }
}

/**
 * Starts a private nats-server with JetStream on a free port (storage in a temp dir, removed on
 * stop). Falls back to the harness's shared server when no usable binary is found or
 * `BATON_E2E_SHARED_NATS=1`.
 */
export async function startE2eNats(): Promise<E2eNats> {
  const binary = env('BATON_E2E_SHARED_NATS') === '1' ? undefined : findNatsServer();
  if (!binary) {
    process.stderr.write('[e2e] using the shared NATS server: concurrent runs of other services on it may answer this file\'s commands\n');
    return { url: testNatsUrl(), kind: 'shared', stop: async () => undefined };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'baton-e2e-nats-'));
  const port = await freePort();
  const args = ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir];
  // Auth on like the shared server (docs/security.md): the same operator and accounts, so the harness's and services' credentials work here too.
  const authDir = testNatsAuthDir();
  if (env('TEST_NATS_AUTH') === '1' && authDir !== undefined) {
    const conf = path.join(dir, 'auth.conf');
    await writeFile(conf, (await NatsAuthStore.open(authDir)).serverConfig({ resolverDir: path.join(dir, 'jwt') }));
    args.unshift('-c', conf);
  }
  const proc = new RunningProcess('nats-server', spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  const url = `nats://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    await proc.stop(5000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => {
        proc.assertRunning();
        const nc = await connect({ servers: url, ...testNatsAuth(), reconnect: false, timeout: 1000 });
        try {
          await (await jetstreamManager(nc)).getAccountInfo();
          return true;
        } finally {
          await nc.close();
        }
      },
      { timeoutMs: 20_000, intervalMs: 100, what: `private nats-server on ${url}` },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, kind: 'private', stop };
}

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** Where the harness finds the servers. Resolved once per run by the global setup. */
export interface TestInfra {
  readonly databaseUrl: string;
  readonly natsUrl: string;
  /** How they were found: given by URL, attached to local servers, or started. */
  readonly source: 'env' | 'local' | 'infra-script' | 'testcontainers';
}

const DEFAULT_DATABASE_URL = 'postgres://baton:baton@127.0.0.1:5432/baton';
const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** Reads an env var; blank means unset. */
export function env(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function hostPort(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname || '127.0.0.1', port: u.port ? Number(u.port) : defaultPort };
}

/** True when something accepts TCP connections at the URL's host and port. */
export function canConnect(url: string, defaultPort: number, timeoutMs = 1000): Promise<boolean> {
  const { host, port } = hostPort(url, defaultPort);
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'scripts', 'infra.sh'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find scripts/infra.sh above ' + __dirname);
    dir = up;
  }
  return dir;
}

function dockerAvailable(): boolean {
  if (env('DOCKER_HOST')) return true;
  return existsSync('/var/run/docker.sock');
}

async function bothUp(databaseUrl: string, natsUrl: string): Promise<{ pg: boolean; nats: boolean }> {
  const [pg, nats] = await Promise.all([canConnect(databaseUrl, 5432), canConnect(natsUrl, 4222)]);
  return { pg, nats };
}

/**
 * Preflight: finds a real Postgres and a real NATS (with JetStream), in this order:
 * `TEST_DATABASE_URL`/`TEST_NATS_URL` (or `DATABASE_URL`/`NATS_URL`); local servers on the
 * default ports; Testcontainers when a container engine is present; otherwise
 * `scripts/infra.sh up` (installs and starts local servers). Throws an error naming what is missing and how to fix it.
 */
export async function resolveInfra(): Promise<TestInfra> {
  const givenDb = env('TEST_DATABASE_URL') ?? env('DATABASE_URL');
  const givenNats = env('TEST_NATS_URL') ?? env('NATS_URL');
  const databaseUrl = givenDb ?? DEFAULT_DATABASE_URL;
  const natsUrl = givenNats ?? DEFAULT_NATS_URL;
  let up = await bothUp(databaseUrl, natsUrl);
  if (up.pg && up.nats) return { databaseUrl, natsUrl, source: givenDb || givenNats ? 'env' : 'local' };

  if (!givenDb && !givenNats && env('BATON_TEST_NO_START') === undefined) {
    // A container engine is present: start throw-away servers with Testcontainers, unless
    // BATON_TEST_NO_CONTAINERS is set (then fall through to the local infra script).
    if (dockerAvailable() && env('BATON_TEST_NO_CONTAINERS') === undefined) {
      process.stderr.write('[testing] container engine found; starting Postgres and NATS with Testcontainers\n');
      return startContainers();
    }
    process.stderr.write('[testing] Postgres or NATS not answering; running scripts/infra.sh up\n');
    try {
      execFileSync('bash', [path.join(repoRoot(), 'scripts', 'infra.sh'), 'up'], { stdio: ['ignore', 'inherit', 'inherit'] });
    } catch (err) {
      throw new Error(`scripts/infra.sh up failed (${(err as Error).message}); run it by hand to see why`, { cause: err });
    }
    up = await bothUp(databaseUrl, natsUrl);
    if (up.pg && up.nats) return { databaseUrl, natsUrl, source: 'infra-script' };
  }
  const missing: string[] = [];
  if (!up.pg) missing.push(`PostgreSQL at ${redact(databaseUrl)} (start it with: npm run infra:up, or set TEST_DATABASE_URL)`);
  if (!up.nats) missing.push(`NATS at ${natsUrl} (start it with: npm run infra:up, or set TEST_NATS_URL)`);
  throw new Error(`integration tests need real servers; not reachable:\n  - ${missing.join('\n  - ')}`);
}

async function startContainers(): Promise<TestInfra> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { NatsContainer } = await import('@testcontainers/nats');
  const pg = await new PostgreSqlContainer('postgres:15-alpine').withUsername('baton').withPassword('baton').withDatabase('baton').start();
  const nats = await new NatsContainer('nats:2.12-alpine').withJetStream().start();
  return {
    databaseUrl: pg.getConnectionUri(),
    natsUrl: `nats://${nats.getHost()}:${nats.getMappedPort(4222)}`,
    source: 'testcontainers',
  };
}

/** Hides the password in a connection URL for messages. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

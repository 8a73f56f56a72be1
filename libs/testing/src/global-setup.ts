import { existsSync } from 'node:fs';
import path from 'node:path';
import { env, resolveInfra, redact } from './infra';
import { natsRequiresAuth } from './nats-auth';

/**
 * The harness's credentials: `TEST_NATS_CREDS`, else `harness-tests.creds` of the stack's keys
 * (`BATON_NATS_AUTH_DIR`, default .baton/nats-auth, as scripts/infra.sh issues them), if present.
 */
function harnessCreds(): string | undefined {
  const given = env('TEST_NATS_CREDS');
  if (given !== undefined) return given;
  const dir = env('BATON_NATS_AUTH_DIR') ?? path.resolve(__dirname, '../../../.baton/nats-auth');
  const file = path.join(dir, 'creds', 'harness-tests.creds');
  return existsSync(file) ? file : undefined;
}

/** Jest globalSetup for the int and e2e tiers: resolves real servers once per run. */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveInfra();
  process.env.TEST_DATABASE_URL = infra.databaseUrl;
  process.env.TEST_NATS_URL = infra.natsUrl;
  const creds = harnessCreds();
  const auth = await natsRequiresAuth(infra.natsUrl);
  if (auth && creds === undefined) throw new Error(`NATS at ${infra.natsUrl} refuses anonymous clients: set TEST_NATS_CREDS to the harness's .creds (scripts/infra.sh env prints it)`);
  if (creds !== undefined) {
    process.env.TEST_NATS_CREDS = creds;
    // In-process services and the processes tests start connect with NATS_CREDS unless a test sets theirs.
    process.env.NATS_CREDS ??= creds;
  }
  // Servers a test file starts itself follow the shared one: auth on when it is on.
  process.env.TEST_NATS_AUTH = auth ? '1' : '0';
  process.stderr.write(`\n[testing] Postgres ${redact(infra.databaseUrl)}, NATS ${infra.natsUrl} (${infra.source}${auth ? ', auth on' : ''})\n`);
}

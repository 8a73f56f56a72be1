import { resolveInfra, redact } from './infra';

/** Jest globalSetup for the int and e2e tiers: resolves real servers once per run. */
export default async function globalSetup(): Promise<void> {
  const infra = await resolveInfra();
  process.env.TEST_DATABASE_URL = infra.databaseUrl;
  process.env.TEST_NATS_URL = infra.natsUrl;
  process.stderr.write(`\n[testing] Postgres ${redact(infra.databaseUrl)}, NATS ${infra.natsUrl} (${infra.source})\n`);
}

import { envUrl, type EnvSource } from '../env';
import type { ReadinessCheck } from './readiness';
import { tcpReadinessCheck } from './tcp-readiness.check';

/** Where `scripts/infra.sh` puts NATS locally; the default of `NATS_URL`. */
export const LOCAL_NATS_URL = 'nats://127.0.0.1:4222';
/** Where `scripts/infra.sh` puts Postgres locally; the default of `DATABASE_URL`. */
export const LOCAL_DATABASE_URL = 'postgres://baton:baton@127.0.0.1:5432/baton';

/** Which shared servers a service needs before it is ready. */
export interface InfraNeeds {
  readonly nats?: boolean;
  readonly postgres?: boolean;
}

/** Connection settings read by {@link readInfraEnv}, plus reachability checks for them. */
export interface InfraEnv {
  /** `NATS_URL` (nats:// or tls://), when NATS is needed. */
  readonly natsUrl?: string;
  /** `DATABASE_URL` (postgres:// or postgresql://), when Postgres is needed. */
  readonly databaseUrl?: string;
  /** TCP reachability checks named `nats` and `postgres`, for the readiness endpoint. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/**
 * Reads `NATS_URL` and `DATABASE_URL` for the servers a service needs (defaults: the local
 * servers of `scripts/infra.sh`) and builds TCP readiness checks for them. A composition root
 * that holds real clients should pass client-level checks to the health module instead.
 *
 * @example
 * const infra = readInfraEnv({ nats: true, postgres: true });
 * HealthModule.forRoot({ checks: infra.readinessChecks });
 */
export function readInfraEnv(needs: InfraNeeds, source?: EnvSource): InfraEnv {
  const opts = source ? { source } : {};
  const checks: ReadinessCheck[] = [];
  let natsUrl: string | undefined;
  let databaseUrl: string | undefined;
  if (needs.nats) {
    natsUrl = envUrl('NATS_URL', LOCAL_NATS_URL, { ...opts, protocols: ['nats', 'tls'] });
    checks.push(tcpReadinessCheck('nats', natsUrl, 4222));
  }
  if (needs.postgres) {
    databaseUrl = envUrl('DATABASE_URL', LOCAL_DATABASE_URL, { ...opts, protocols: ['postgres', 'postgresql'] });
    checks.push(tcpReadinessCheck('postgres', databaseUrl, 5432));
  }
  return { ...(natsUrl ? { natsUrl } : {}), ...(databaseUrl ? { databaseUrl } : {}), readinessChecks: checks };
}

import type { ReadinessCheck } from '@baton/telemetry';
import { sql, type Kysely } from 'kysely';
import type { ProjectionRunner } from './projection-runner';

/**
 * Readiness check `postgres`: the database answers `SELECT 1` (bounded by the health module's
 * per-check timeout).
 *
 * @example
 * HealthModule.forRoot({ checks: [postgresReadiness(db)] })
 */
export function postgresReadiness<DB>(db: Kysely<DB>): ReadinessCheck {
  return { name: 'postgres', check: async () => void (await sql`SELECT 1`.execute(db)) };
}

/**
 * Readiness check `projection:<name>`: the projection is running and caught up with the store
 * (its last error, if any, is part of the failure message, which goes to the logs).
 *
 * @example
 * projectionReadiness('agents', runner) // fails with "agents projection is catching up"
 */
export function projectionReadiness<DB>(name: string, runner: ProjectionRunner<DB>): ReadinessCheck {
  return {
    name: `projection:${name}`,
    check: () => {
      if (runner.isLive) return;
      const last = runner.lastError;
      const state = runner.state === 'running' ? 'catching up' : runner.state;
      throw new Error(`${name} projection is ${state}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    },
  };
}

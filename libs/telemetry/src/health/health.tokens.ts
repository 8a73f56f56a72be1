import type { ReadinessCheck } from './readiness';

/** Injection token for the resolved {@link HealthModuleOptions}. */
export const HEALTH_OPTIONS = Symbol('baton.health.options');

/** What {@link HealthModule} needs. */
export interface HealthModuleOptions {
  /** Dependencies that must answer before `/health/ready` says 200. */
  readonly checks?: readonly ReadinessCheck[];
  /** Per-check timeout in ms (default 2000). */
  readonly timeoutMs?: number;
}

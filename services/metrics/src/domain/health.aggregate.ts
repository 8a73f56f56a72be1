import { contractAggregate } from '@baton/aggregate';
import { HealthEventSchemas, type HealthEvent } from '@baton/contracts';
import { decide, evolve, initialHealthState, type HealthCommand, type HealthState } from './health.decider';

/**
 * The health aggregate: one `health-<check>.<subject>` stream per check and subject; the runner's
 * id is `<check>.<subject>`.
 */
export const healthAggregate = contractAggregate<HealthState, HealthCommand, HealthEvent>('health', HealthEventSchemas, {
  streamId: (id) => `health-${id}`,
  initialState: initialHealthState,
  evolve,
  decide,
});

/** Stored health events read through the contract's schemas (every type at version 1 so far). */
export const readHealthEvent = healthAggregate.read;

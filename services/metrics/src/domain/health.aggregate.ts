import { eventReader, type AggregateSpec } from '@baton/aggregate';
import { HealthEventSchemas, type HealthEvent } from '@baton/contracts';
import { decide, evolve, initialHealthState, type HealthCommand, type HealthState } from './health.decider';

/** Stored health events read through the contract's schemas (every type at version 1 so far). */
export const readHealthEvent = eventReader<HealthEvent>('health', HealthEventSchemas);

/**
 * The health aggregate: one `health-<check>.<subject>` stream per check and subject; the runner's
 * id is `<check>.<subject>`.
 */
export const healthAggregate: AggregateSpec<HealthState, HealthCommand, HealthEvent> = {
  name: 'health',
  streamId: (id) => `health-${id}`,
  read: readHealthEvent,
  initialState: initialHealthState,
  evolve,
  decide,
};

import { decideByType, unhandled, type CommandMetadata } from '@baton/aggregate';
import type { HealthEvent } from '@baton/contracts';
import type { HealthReading } from './health.rules';

/** A check's reading for one subject, recorded every interval. */
export type HealthCommand = { readonly type: 'RecordHealthReading'; readonly data: HealthReading; readonly metadata: CommandMetadata };

/** Whether the check of a `health-<check>.<subject>` stream is in breach now. */
export interface HealthState {
  readonly breached: boolean;
}

export const initialHealthState: HealthState = { breached: false };

/**
 * A breach is recorded once, when a reading first leaves the threshold, with the actions it asks
 * for; the recovery once, when a reading is back within it. Readings that change nothing append
 * nothing, so a check that stays in breach does not alert every minute.
 */
export const decide = decideByType<HealthCommand, HealthState, HealthEvent>('health', {
  RecordHealthReading: (command, state) => {
    const { healthy, actions, ...reading } = command.data;
    if (!healthy && !state.breached) return [{ type: 'HealthCheckBreached', data: { ...reading, actions: [...actions], breachedAt: command.metadata.now } }];
    if (healthy && state.breached) return [{ type: 'HealthCheckRecovered', data: { ...reading, recoveredAt: command.metadata.now } }];
    return [];
  },
});

export function evolve(state: HealthState, event: HealthEvent): HealthState {
  switch (event.type) {
    case 'HealthCheckBreached':
      return { breached: true };
    case 'HealthCheckRecovered':
      return { breached: false };
    default:
      return unhandled('health', 'event', event);
  }
}

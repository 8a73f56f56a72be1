import type { CommandRunner } from '@baton/aggregate';
import type { DataOf, HealthEvent, RaiseEscalation } from '@baton/contracts';
import type { HealthCommand, HealthState } from '../domain';

/** The health aggregate's command runner. */
export type HealthCommands = CommandRunner<HealthState, HealthCommand, HealthEvent>;

/** The escalation service, as the health checker asks it to investigate a breach. */
export interface Escalations {
  raise(data: DataOf<typeof RaiseEscalation>, commandId: string): Promise<{ readonly escalationId: string }>;
}

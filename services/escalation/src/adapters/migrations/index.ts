import type { Migration } from '@baton/read-models';
import * as createEscalation from './2026_12_01_0001_create_escalation';

/** Every migration of schema `baton_escalation`, by name (imported statically; no directory scanning). */
export const escalationMigrations: Readonly<Record<string, Migration>> = {
  '2026_12_01_0001_create_escalation': createEscalation,
};

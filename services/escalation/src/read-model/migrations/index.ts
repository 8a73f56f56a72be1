import type { Migration } from '@baton/read-models';
import * as createEscalation from './2026_11_22_0001_create_escalation';
import * as taskHandoffSla from './2026_11_22_0002_task_handoff_sla';

/** Every migration of schema `baton_escalation`, by name (imported statically; no directory scanning). */
export const escalationMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_22_0001_create_escalation': createEscalation,
  '2026_11_22_0002_task_handoff_sla': taskHandoffSla,
};

import type { Migration } from '@baton/read-models';
import * as createTaskEngine from './2026_11_22_0001_create_task_engine';
import * as createWorkflowRuns from './2026_11_22_0002_create_workflow_runs';
import * as createConflicts from './2026_11_22_0003_create_conflicts';
import * as runSlaTimers from './2026_12_06_0004_run_sla_timers';
import * as queueLanes from './2026_12_06_0005_queue_lanes';

/** Every migration of schema `scheduler`, by name (imported statically; no directory scanning). */
export const schedulerMigrations: Readonly<Record<string, Migration>> = {
  '2026_11_22_0001_create_task_engine': createTaskEngine,
  '2026_11_22_0002_create_workflow_runs': createWorkflowRuns,
  '2026_11_22_0003_create_conflicts': createConflicts,
  '2026_12_06_0004_run_sla_timers': runSlaTimers,
  '2026_12_06_0005_queue_lanes': queueLanes,
};

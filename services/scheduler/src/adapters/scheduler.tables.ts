/**
 * The read model's tables live in `src/read-model/`; this re-export only keeps the lease's
 * import working until its owner points it there (postgres-lease.ts is being changed elsewhere).
 */
export type { SchedulerDatabase } from '../read-model/scheduler.tables';

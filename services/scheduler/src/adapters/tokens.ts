/** Nest injection tokens of the scheduler's adapters. */
export const TASK_SERVICE = Symbol.for('baton.scheduler.TaskService');
export const RUN_SERVICE = Symbol.for('baton.scheduler.RunService');

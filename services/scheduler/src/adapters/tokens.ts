/** Nest injection tokens of the scheduler's adapters. */
export const TASK_SERVICE = Symbol.for('baton.scheduler.TaskService');

export * from './task.commands';
export * from './task.events';
export * from './task.state';
export * from './task.errors';
export * from './task.decider';
export * from './task-queue';
export * from './retry-backoff';

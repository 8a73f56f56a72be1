export * from './errors';
export * from './subjects';
export * from './envelope';
export * from './messages';
export * from './agent-registry.messages';
export * from './task.events';
export * from './scheduler.messages';
export * from './workflow.messages';

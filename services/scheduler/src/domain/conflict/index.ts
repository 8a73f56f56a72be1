export * from './paths';
export * from './conflict.commands';
export * from './conflict.events';
export * from './conflict.state';
export * from './conflict.errors';
export * from './conflict.decider';
export * from './conflict.rules';

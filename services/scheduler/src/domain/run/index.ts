export * from './run.events';
export * from './run.state';
export * from './run.decider';
export * from './run.aggregate';

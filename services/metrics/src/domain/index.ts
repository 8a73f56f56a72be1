export * from './figures';
export * from './eta';
export * from './health.rules';
export * from './health.decider';
export * from './health.aggregate';

export * from './agent.commands';
export * from './agent.events';
export * from './agent.state';
export * from './agent.errors';
export * from './agent.decider';

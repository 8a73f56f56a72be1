export * from './agent.commands';
export * from './agent.events';
export * from './agent.state';
export * from './agent.errors';
export * from './agent.state-machine';
export * from './agent.status';
export * from './agent.decider';
export * from './agent.aggregate';

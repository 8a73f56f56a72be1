export * from './handoff.commands';
export * from './handoff.events';
export * from './handoff.state';
export * from './handoff.errors';
export * from './handoff.request';
export * from './handoff.decider';
export * from './handoff.aggregate';

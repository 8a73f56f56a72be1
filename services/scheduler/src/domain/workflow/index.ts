export * from './workflow.aggregate';

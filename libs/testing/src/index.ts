export * from './infra';
export * from './database';
export * from './util';
export * from './jetstream';
export * from './nats-server';
export * from './nats-auth';
export * from './http-stand-in';
export * from './json-lines-process';

// The credentials-from-environment logic lives with the rest of Baton's NATS identity.
export { NATS_AUTH_ENV, natsAuthFromEnv } from '@baton/nats-auth';

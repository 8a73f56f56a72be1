/**
 * Baton's NATS identities (decentralized auth, docs/security.md): the operator and accounts, the
 * server configuration with a full resolver, credentials per agent, reader, service and admin with
 * permissions generated from the contracts, and revocation pushed to running servers.
 *
 * @example
 * const store = await NatsAuthStore.open(natsAuthDir());
 * const issued = await store.issue('agent', 'be-1');
 * await store.revoke('agent', 'be-1');
 * await pushAccount(store, 'nats://127.0.0.1:4222');
 */
export * from './permissions';
export * from './nats-auth.store';
export * from './account-push';
export * from './connect-options';

import { readFile } from 'node:fs/promises';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import { BatonError } from '@baton/contracts';
import type { NatsAuthStore } from './nats-auth.store';

/** What a server answered to an account update. */
export interface AccountPushResult {
  readonly server: string;
  readonly message: string;
}

/**
 * Sends the store's current Baton account JWT to the running servers (`$SYS.REQ.ACCOUNT.<key>.CLAIMS.UPDATE`,
 * as the system account's user): the full resolver stores it and applies it at once, so a
 * revoked user's live connections are closed and its next connection is refused, with no
 * restart. UNAVAILABLE when no server answers; a server's refusal is FORBIDDEN with its message.
 */
export async function pushAccount(store: NatsAuthStore, servers: string, options: { timeoutMs?: number } = {}): Promise<AccountPushResult> {
  const creds = await readFile(store.systemCredsFile);
  let nc;
  try {
    nc = await connect({ servers: servers.split(',').map((s) => s.trim()), authenticator: credsAuthenticator(creds), name: 'baton-nats-auth', reconnect: false, timeout: options.timeoutMs ?? 5000 });
  } catch (err) {
    throw new BatonError('UNAVAILABLE', `cannot connect to NATS at ${servers} as the system account: ${(err as Error).message}`, undefined, true, { cause: err });
  }
  try {
    const reply = await nc.request(`$SYS.REQ.ACCOUNT.${store.accountPublicKey}.CLAIMS.UPDATE`, store.accountToken, { timeout: options.timeoutMs ?? 5000 });
    const body = JSON.parse(new TextDecoder().decode(reply.data)) as { server?: { name?: string }; data?: { message?: string }; error?: { description?: string; code?: number } };
    if (body.error) throw new BatonError('FORBIDDEN', `the server refused the account update: ${body.error.description ?? JSON.stringify(body.error)}`, body.error);
    return { server: body.server?.name ?? servers, message: body.data?.message ?? 'updated' };
  } catch (err) {
    if (err instanceof BatonError) throw err;
    throw new BatonError('UNAVAILABLE', `no answer to the account update from ${servers}: ${(err as Error).message}`, undefined, true, { cause: err });
  } finally {
    await nc.close();
  }
}

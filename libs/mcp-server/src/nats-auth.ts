import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { BatonError } from '@baton/contracts';

/** The NATS credentials variables {@link natsAuthFromEnv} reads, in the order it prefers them. */
export const NATS_AUTH_ENV = ['NATS_CREDS', 'NATS_TOKEN', 'NATS_USER', 'NATS_PASSWORD'] as const;

function set(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * NATS connection options carrying the agent's credentials from the environment: `NATS_CREDS`
 * (path of a `.creds` file: user JWT and NKey seed, decentralized auth), else `NATS_TOKEN`, else
 * `NATS_USER` + `NATS_PASSWORD`; none: no credentials (a server with auth off). A creds file that
 * cannot be read is VALIDATION_FAILED naming the variable. `readCreds` reads the file (the real
 * file system unless a caller passes its own).
 */
export function natsAuthFromEnv(env: Readonly<Record<string, string | undefined>>, readCreds: (path: string) => Uint8Array = readFileSync): Pick<ConnectionOptions, 'authenticator' | 'token' | 'user' | 'pass'> {
  const creds = set(env, 'NATS_CREDS');
  if (creds !== undefined) {
    let content: Uint8Array;
    try {
      content = readCreds(creds);
    } catch (err) {
      throw new BatonError('VALIDATION_FAILED', `NATS_CREDS: cannot read ${creds}: ${(err as Error).message}`, { variable: 'NATS_CREDS' });
    }
    return { authenticator: credsAuthenticator(content) };
  }
  const token = set(env, 'NATS_TOKEN');
  if (token !== undefined) return { token };
  const user = set(env, 'NATS_USER');
  const pass = set(env, 'NATS_PASSWORD');
  if (user !== undefined || pass !== undefined) {
    if (user === undefined || pass === undefined) throw new BatonError('VALIDATION_FAILED', 'NATS_USER and NATS_PASSWORD go together: set both or neither', { variable: user === undefined ? 'NATS_USER' : 'NATS_PASSWORD' });
    return { user, pass };
  }
  return {};
}

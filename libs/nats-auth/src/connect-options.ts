import { readFileSync } from 'node:fs';
import { credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { BatonError } from '@baton/contracts';

/** The NATS credentials variables {@link natsAuthFromEnv} reads, in the order it prefers them. */
export const NATS_AUTH_ENV = ['NATS_CREDS', 'NATS_TOKEN', 'NATS_USER', 'NATS_PASSWORD'] as const;

/** The part of NATS connection options that carries credentials. */
export type NatsAuthOptions = Pick<ConnectionOptions, 'authenticator' | 'token' | 'user' | 'pass'>;

function set(env: Readonly<Record<string, string | undefined>>, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

/**
 * Connection options for a `.creds` file (user JWT and NKey seed). A file that cannot be read is
 * VALIDATION_FAILED naming `variable` (default `NATS_CREDS`). A server with auth off ignores them.
 *
 * @example
 * const nc = await connect({ servers, ...natsCredsOptions('/etc/baton/agent-be-1.creds') });
 */
export function natsCredsOptions(file: string, variable = 'NATS_CREDS', readCreds: (path: string) => Uint8Array = readFileSync): NatsAuthOptions {
  let content: Uint8Array;
  try {
    content = readCreds(file);
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `${variable}: cannot read ${file}: ${(err as Error).message}`, { variable });
  }
  return { authenticator: credsAuthenticator(content) };
}

/**
 * NATS connection options carrying credentials from the environment: `NATS_CREDS` (path of a
 * `.creds` file, decentralized auth), else `NATS_TOKEN`, else `NATS_USER` + `NATS_PASSWORD`; none:
 * no credentials (a server with auth off). `readCreds` reads the file (the real file system unless
 * a caller passes its own).
 */
export function natsAuthFromEnv(env: Readonly<Record<string, string | undefined>>, readCreds: (path: string) => Uint8Array = readFileSync): NatsAuthOptions {
  const creds = set(env, 'NATS_CREDS');
  if (creds !== undefined) return natsCredsOptions(creds, 'NATS_CREDS', readCreds);
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

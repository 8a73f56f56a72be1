import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { connect, credsAuthenticator, type ConnectionOptions } from '@nats-io/transport-node';
import { env } from './infra';

/** The test harness's credentials file (`TEST_NATS_CREDS`, set by the global setup when one exists), or undefined. */
export function testNatsCredsFile(): string | undefined {
  return env('TEST_NATS_CREDS');
}

/**
 * Credentials options for a test's own NATS connection: the harness's `.creds` (allowed
 * everything) when the stack has auth on, else none. A server with auth off ignores them.
 *
 * @example
 * nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
 */
export function testNatsAuth(): Pick<ConnectionOptions, 'authenticator'> {
  const file = testNatsCredsFile();
  return file === undefined ? {} : { authenticator: credsAuthenticator(readFileSync(file)) };
}

/**
 * The `.creds` file of a Baton service (`service-<name>.creds` beside the harness's), for a
 * service process a test starts (`NATS_CREDS`); undefined when the stack has no credentials.
 */
export function testServiceCredsFile(service: string): string | undefined {
  const harness = testNatsCredsFile();
  if (harness === undefined) return undefined;
  const file = path.join(path.dirname(harness), `service-${service}.creds`);
  return existsSync(file) ? file : undefined;
}

/** The keys directory of the harness's credentials (its parent's parent: `<dir>/creds/harness-tests.creds`). */
export function testNatsAuthDir(): string | undefined {
  const harness = testNatsCredsFile();
  return harness === undefined ? undefined : path.dirname(path.dirname(harness));
}

/**
 * Whether the server at `url` refuses anonymous clients (decentralized auth on), as the global
 * setup tells private test servers to follow the shared one.
 */
export async function natsRequiresAuth(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, reconnect: false, timeout: 3000 });
    await nc.close();
    return false;
  } catch (err) {
    if (/authoriz|authenticat/i.test((err as Error).message)) return true;
    throw err;
  }
}

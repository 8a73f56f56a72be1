import { natsAuthFromEnv } from '@baton/nats-auth';
import { connect } from '@nats-io/transport-node';
import type { DataOf, MessageDefinition, ReplyOf } from '@baton/contracts';
import { BatonClient, type CommandOptions, type QueryOptions } from '@baton/messaging';

/** Default NATS server when neither `--nats` nor `NATS_URL` is given. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';

/** What the commands need from Baton: typed commands and queries. `BatonClient` is one. */
export interface RpcClient {
  command<D extends MessageDefinition>(def: D, data: DataOf<D>, options: CommandOptions): Promise<ReplyOf<D>>;
  query<D extends MessageDefinition>(def: D, data: DataOf<D>, options?: QueryOptions): Promise<ReplyOf<D>>;
}

/** An open client plus how to close it. */
export interface RpcSession {
  readonly client: RpcClient;
  close(): Promise<void>;
}

/** Opens a session on a NATS server; throws {@link NatsUnreachableError} when there is none. */
export type Connector = (natsUrl: string, options: { readonly timeoutMs: number }) => Promise<RpcSession>;

/** No NATS server answered at the URL. The CLI reports it as "is Baton running?" (exit 2). */
export class NatsUnreachableError extends Error {
  constructor(
    readonly natsUrl: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to NATS at ${natsUrl}: ${reason}`, options);
    this.name = 'NatsUnreachableError';
  }
}

/** A short reason for a failed connect: "connection refused", "timed out", or the error text. */
export function connectFailureReason(err: unknown): string {
  const chain: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e);
  const text = chain.map((e) => `${(e as { code?: unknown }).code ?? ''} ${(e as { message?: unknown }).message ?? ''}`).join(' ');
  if (/ECONNREFUSED|CONNECTION_REFUSED|connection refused/i.test(text)) return 'connection refused';
  if (/ENOTFOUND|EAI_AGAIN/i.test(text)) return 'host not found';
  if (/timeout|timed out/i.test(text)) return 'timed out';
  const first = chain[0] as { message?: unknown } | undefined;
  return typeof first?.message === 'string' && first.message !== '' ? first.message : String(err);
}

/**
 * Connects to NATS once, without retries (a CLI should fail fast), and wraps the connection in
 * a {@link BatonClient}.
 */
export const connectBaton: Connector = async (natsUrl, { timeoutMs }) => {
  const servers = natsUrl.split(',').map((s) => s.trim()).filter((s) => s !== '');
  let nc;
  try {
    // NATS_CREDS: the operator's (admin) credentials, docs/security.md.
    nc = await connect({ servers, name: 'baton-cli', timeout: 3000, reconnect: false, maxReconnectAttempts: 0, ...natsAuthFromEnv(process.env) });
  } catch (err) {
    throw new NatsUnreachableError(natsUrl, connectFailureReason(err), { cause: err });
  }
  const client = new BatonClient(nc, { timeoutMs });
  return {
    client,
    async close() {
      if (!nc.isClosed()) await nc.close();
    },
  };
};

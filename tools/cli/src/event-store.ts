import type { EventStore } from '@baton/event-store';
import { connectFailureReason } from './rpc';

/** Default `DATABASE_URL`: where `scripts/infra.sh` puts Postgres. */
export const DEFAULT_DATABASE_URL = 'postgres://baton:baton@127.0.0.1:5432/baton';

/** An open event store plus how to close it (and what it is, for messages). */
export interface EventStoreSession {
  readonly store: EventStore;
  /** Where it is, password hidden: `postgres://baton:***@127.0.0.1:5432/baton`, `kurrentdb://…`. */
  readonly target: string;
  close(): Promise<void>;
}

export interface EventStoreOpenOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--database-url`; overrides `DATABASE_URL`. */
  readonly databaseUrl?: string | undefined;
}

/** Opens the event store Baton writes to; throws {@link EventStoreUnreachableError} when it cannot. */
export type EventStoreOpener = (options: EventStoreOpenOptions) => Promise<EventStoreSession>;

/** The event store could not be opened or read. The CLI reports it as "is Baton running?" (exit 2). */
export class EventStoreUnreachableError extends Error {
  constructor(
    readonly target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the event store at ${target}: ${reason}`, options);
    this.name = 'EventStoreUnreachableError';
  }
}

/** Hides the password of a connection URL. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function nonBlank(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * The store the services use, chosen like they choose it (`BATON_EVENT_STORE`, `EVENTSTORE_URL`
 * for KurrentDB, else Postgres at `DATABASE_URL`). Read-only use: the CLI never appends.
 * A bad `BATON_EVENT_STORE`/`EVENTSTORE_URL` throws their VALIDATION_FAILED error (exit 1).
 */
export const openEventStoreFromEnv: EventStoreOpener = async ({ env, databaseUrl }) => {
  // Loaded here, not at the top: the store clients (pg, KurrentDB's gRPC) take most of a second
  // to load, and only `baton audit` needs them.
  const [{ eventStoreSelectionFromEnv, openEventStore }, { Pool }] = await Promise.all([import('@baton/event-store'), import('pg')]);
  const selection = eventStoreSelectionFromEnv(env);
  const url = databaseUrl ?? nonBlank(env['DATABASE_URL']) ?? DEFAULT_DATABASE_URL;
  const target = selection.kind === 'kurrentdb' ? redactUrl(selection.kurrentUrl ?? '') : redactUrl(url);
  // The pool connects lazily: the KurrentDB adapter never touches it.
  const pool = new Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined);
  let store: EventStore;
  try {
    store = await openEventStore(selection, { pool });
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new EventStoreUnreachableError(target, connectFailureReason(err), { cause: err });
  }
  return {
    store,
    target,
    async close() {
      await store.close().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
};

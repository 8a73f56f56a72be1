import type { Pool } from 'pg';
import { BatonError } from '@baton/contracts';
import type { EventStore } from './port';
import { createPostgresEventStore } from './postgres/postgres-event-store';

/** Which adapter a service uses: `postgres` (the local default) or `kurrentdb` (EventStoreDB/KurrentDB). */
export type EventStoreKind = 'postgres' | 'kurrentdb';

export interface EventStoreSelection {
  readonly kind: EventStoreKind;
  /** KurrentDB connection string; required when `kind` is `kurrentdb`. */
  readonly kurrentUrl?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function value(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * Reads the adapter choice from the environment: `BATON_EVENT_STORE` (`postgres`, the default,
 * or `kurrentdb`) and, for KurrentDB, `EVENTSTORE_URL` (or `KURRENTDB_URL`). Blank means unset;
 * a bad value throws a VALIDATION_FAILED error naming the variable.
 *
 * @example
 * const selection = eventStoreSelectionFromEnv(process.env);
 */
export function eventStoreSelectionFromEnv(env: Env): EventStoreSelection {
  const kind = value(env, 'BATON_EVENT_STORE') ?? 'postgres';
  if (kind !== 'postgres' && kind !== 'kurrentdb') {
    throw new BatonError('VALIDATION_FAILED', `BATON_EVENT_STORE: must be "postgres" or "kurrentdb", got "${kind}"`, { variable: 'BATON_EVENT_STORE' });
  }
  if (kind === 'postgres') return { kind };
  const url = value(env, 'EVENTSTORE_URL') ?? value(env, 'KURRENTDB_URL');
  if (!url) {
    throw new BatonError('VALIDATION_FAILED', 'EVENTSTORE_URL: is required when BATON_EVENT_STORE=kurrentdb (e.g. kurrentdb://127.0.0.1:2113?tls=false)', {
      variable: 'EVENTSTORE_URL',
    });
  }
  if (!/^(kurrentdb|kurrent|esdb|eventstoredb)(\+discover)?:\/\//.test(url)) {
    throw new BatonError('VALIDATION_FAILED', 'EVENTSTORE_URL: must be a kurrentdb:// (or esdb://) connection string', { variable: 'EVENTSTORE_URL' });
  }
  return { kind, kurrentUrl: url };
}

/**
 * Opens the event store a service was configured with. The Postgres adapter shares the
 * service's pool (and migrates its schema); the KurrentDB adapter owns its own client.
 *
 * @example
 * const store = await openEventStore(eventStoreSelectionFromEnv(process.env), { pool });
 */
export async function openEventStore(selection: EventStoreSelection, deps: { readonly pool: Pool }): Promise<EventStore> {
  if (selection.kind === 'kurrentdb') {
    if (!selection.kurrentUrl) throw new BatonError('VALIDATION_FAILED', 'a KurrentDB connection string is required');
    // Loaded only when asked for: the KurrentDB client costs every process about 37 MB of memory.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load, on purpose
    const { createKurrentEventStore } = require('./kurrent/kurrent-event-store') as typeof import('./kurrent/kurrent-event-store');
    return createKurrentEventStore({ connectionString: selection.kurrentUrl });
  }
  return createPostgresEventStore({ pool: deps.pool });
}

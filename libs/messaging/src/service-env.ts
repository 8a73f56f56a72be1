import { eventStoreSelectionFromEnv, type EventStoreSelection } from '@baton/event-store';
import { envString, envUrl, LOCAL_DATABASE_URL, LOCAL_NATS_URL, readHttpServerEnv, type EnvSource, type HttpServerEnv } from '@baton/telemetry';

/** What every event-sourced service reads from its environment besides its own settings. */
export interface ServiceEnv extends HttpServerEnv {
  /** `DATABASE_URL`: PostgreSQL holding the event store and the service's schema. */
  readonly databaseUrl: string;
  /** `NATS_URL`. */
  readonly natsUrl: string;
  /** Which event store adapter (`BATON_EVENT_STORE`, `EVENTSTORE_URL`); Postgres when unset. */
  readonly eventStore?: EventStoreSelection;
}

/**
 * Reads `DATABASE_URL`, `NATS_URL`, `HTTP_PORT` (default `defaultHttpPort`), `HTTP_HOST` and the
 * event store selection with the telemetry env getters (blank means unset; a bad value throws an
 * error naming the variable). Unset URLs default to the local servers, unless `required`.
 *
 * @example
 * return { ...readServiceEnv(3106, source), pollIntervalMs: envInt('NOTIFIER_POLL_MS', 500, { source }) };
 */
export function readServiceEnv(defaultHttpPort: number, source: EnvSource, options: { readonly required?: boolean } = {}): ServiceEnv {
  const opts = { source };
  return {
    databaseUrl: envUrl('DATABASE_URL', options.required ? undefined : LOCAL_DATABASE_URL, { ...opts, protocols: ['postgres', 'postgresql'] }),
    natsUrl: envString('NATS_URL', options.required ? undefined : LOCAL_NATS_URL, opts),
    ...readHttpServerEnv(defaultHttpPort, source),
    eventStore: eventStoreSelectionFromEnv(source),
  };
}

import { BatonError } from '@baton/contracts';
import type { z } from 'zod';

/** An event as stored, before it is read into the domain's shape. */
export interface StoredEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/** A stored event read into the aggregate's union type (the upcasting step, run before `evolve`). */
export type EventReader<E> = (stored: StoredEvent) => E;

/** `upcasters[type][v]` turns the data of version v of `type` into version v + 1. */
export type Upcasters = Readonly<Record<string, Readonly<Record<number, (data: unknown) => unknown>>>>;

/** An event of the aggregate this code cannot read: an unknown type, or a version from the future. */
export class UnknownEventError extends BatonError {
  constructor(aggregate: string, type: string, schemaVersion: number) {
    super('UNKNOWN_SCHEMA_VERSION', `${aggregate} event ${type} version ${schemaVersion} is not known to this service`, { aggregate, type, schemaVersion });
    this.name = 'UnknownEventError';
  }
}

/**
 * The one event reader: known types come from the contract's schemas (one per event type, at
 * the latest version), older versions are upcast step by step, and stored data that does not
 * match its schema is an INTERNAL error naming the event.
 *
 * An event object is read once per reader: a service's consumers of one feed (a projection, the
 * run manager, the dispatcher) are handed the same stored objects, and each read was a schema
 * parse of its own. What a reader returns is shared by every caller that reads the same object,
 * so it must not be changed (domain code treats events as values).
 *
 * @example
 * export const toAgentEvent = eventReader<AgentEvent>('agent', AgentEventSchemas);
 */
export function eventReader<E extends { readonly type: string; readonly data: unknown }>(
  aggregate: string,
  schemas: Readonly<Record<string, z.ZodType>>,
  options: { readonly latestVersion?: Readonly<Record<string, number>>; readonly upcasters?: Upcasters } = {},
): EventReader<E> {
  const read = new WeakMap<StoredEvent, E>();
  return (stored) => {
    const known = read.get(stored);
    if (known !== undefined) return known;
    const schema = Object.hasOwn(schemas, stored.type) ? schemas[stored.type] : undefined;
    const latest = options.latestVersion?.[stored.type] ?? 1;
    if (schema === undefined || !Number.isInteger(stored.schemaVersion) || stored.schemaVersion < 1 || stored.schemaVersion > latest) {
      throw new UnknownEventError(aggregate, stored.type, stored.schemaVersion);
    }
    let data = stored.data;
    for (let v = stored.schemaVersion; v < latest; v++) {
      const up = options.upcasters?.[stored.type]?.[v];
      if (up === undefined) throw new UnknownEventError(aggregate, stored.type, v);
      data = up(data);
    }
    const parsed = schema.safeParse(data);
    if (!parsed.success) {
      throw new BatonError('INTERNAL', `stored ${aggregate} event ${stored.type} v${stored.schemaVersion} does not match its schema`, { issues: parsed.error.issues });
    }
    const event = { type: stored.type, data: parsed.data } as E;
    read.set(stored, event);
    return event;
  };
}

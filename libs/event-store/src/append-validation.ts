import { ValidationError, type EventMetadata, type NewEvent } from '@baton/contracts';
import type { AppendOptions, EventFilter, ExpectedRevision, ReadStreamOptions } from './port';
import { uuidV7 } from './uuid-v7';

/** An event after port validation: id assigned and lower-cased, schema version defaulted. */
export interface PreparedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface PreparedAppend {
  readonly streamId: string;
  readonly events: readonly PreparedEvent[];
  readonly expected: ExpectedRevision;
  readonly commandId: string | undefined;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_STREAM_ID = 500;
const MAX_TYPE = 200;

/** True for a canonical 8-4-4-4-12 hex UUID. */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Checks that a value is plain JSON that survives a round trip unchanged through both
 * stores: null, booleans, finite numbers, strings without NUL (Postgres jsonb rejects
 * `\u0000`), arrays and plain objects, no cycles. Returns the path of the first offending
 * value, or undefined when the value is fine.
 */
export function findNonJson(value: unknown, path = '$', seen: Set<object> = new Set()): string | undefined {
  // Almost every value is fine: check it without building a path per property (a
  // measurable part of an append), and name the offending path only when there is one.
  return isPlainJson(value, []) ? undefined : locateNonJson(value, path, seen);
}

function isPlainJson(value: unknown, ancestors: object[]): boolean {
  if (value === null || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value === 'string') return !value.includes('\u0000');
  if (typeof value !== 'object' || ancestors.includes(value)) return false;
  ancestors.push(value);
  let ok = true;
  if (Array.isArray(value)) {
    for (let i = 0; ok && i < value.length; i++) ok = isPlainJson(value[i], ancestors);
  } else {
    const proto = Object.getPrototypeOf(value);
    ok = proto === Object.prototype || proto === null;
    for (const k in value) {
      if (!ok) break;
      ok = !k.includes('\u0000') && isPlainJson((value as Record<string, unknown>)[k], ancestors);
    }
  }
  ancestors.pop();
  return ok;
}

function locateNonJson(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (value === null || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : `${path} (non-finite number)`;
  if (typeof value === 'string') return value.includes('\u0000') ? `${path} (NUL character)` : undefined;
  if (typeof value !== 'object') return `${path} (${typeof value})`;
  if (seen.has(value)) return `${path} (cycle)`;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const bad = locateNonJson(value[i], `${path}[${i}]`, seen);
        if (bad) return bad;
      }
      return undefined;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path} (${(value as object).constructor?.name ?? 'object'} instance)`;
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\u0000')) return `${path} (NUL in key)`;
      const bad = locateNonJson(v, `${path}.${k}`, seen);
      if (bad) return bad;
    }
    return undefined;
  } finally {
    seen.delete(value);
  }
}

/**
 * Validates an expected revision: `'any' | 'no_stream' | 'stream_exists'` or an integer ≥ 0.
 * Throws ValidationError otherwise.
 */
export function parseExpectedRevision(value: unknown): ExpectedRevision {
  if (value === undefined) return 'any';
  if (value === 'any' || value === 'no_stream' || value === 'stream_exists') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  throw new ValidationError(`invalid expected revision ${JSON.stringify(value)}: use 'any', 'no_stream', 'stream_exists' or an integer >= 0`, {
    field: 'expectedRevision',
  });
}

/** The text form of an expected revision used by the Postgres append function and in errors. */
export function expectedRevisionText(expected: ExpectedRevision): string {
  return typeof expected === 'number' ? String(expected) : expected;
}

/** Text form of a stream's actual revision in WrongExpectedVersion errors: `no_stream` or the number. */
export function actualRevisionText(revision: number | undefined): string {
  return revision === undefined || revision < 0 ? 'no_stream' : String(revision);
}

/** True when a stream at `current` (-1 when it does not exist) satisfies `expected`. */
export function satisfiesExpected(expected: ExpectedRevision, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current < 0;
    case 'stream_exists':
      return current >= 0;
    default:
      return current === expected;
  }
}

/** Validates a stream id at the port. Throws ValidationError. */
export function validateStreamId(streamId: unknown): string {
  if (typeof streamId !== 'string' || streamId.trim() === '' || streamId.length > MAX_STREAM_ID || streamId.startsWith('$')) {
    throw new ValidationError(`invalid stream id ${JSON.stringify(streamId)}: a non-empty string of at most ${MAX_STREAM_ID} characters, not starting with $`, {
      field: 'streamId',
    });
  }
  return streamId;
}

/**
 * Validates an append at the port, before anything is written: stream id, at least one
 * event, each with a type, plain-JSON data and metadata carrying `occurredAt`, optional
 * UUID event ids (unique within the batch), schema version, expected revision, command id.
 * Assigns missing event ids (time-ordered UUID v7). Throws ValidationError naming the first problem.
 */
export function prepareAppend(streamId: unknown, events: unknown, options: AppendOptions | undefined): PreparedAppend {
  const sid = validateStreamId(streamId);
  if (!Array.isArray(events) || events.length === 0) {
    throw new ValidationError('append needs a non-empty array of events', { field: 'events' });
  }
  const expected = parseExpectedRevision(options?.expectedRevision);
  const commandId = options?.commandId;
  if (commandId !== undefined && (typeof commandId !== 'string' || commandId.trim() === '' || commandId.length > 200)) {
    throw new ValidationError('invalid command id: a non-empty string of at most 200 characters', { field: 'commandId' });
  }
  const ids = new Set<string>();
  const prepared = (events as unknown[]).map((raw, i): PreparedEvent => {
    const at = `events[${i}]`;
    if (typeof raw !== 'object' || raw === null) throw new ValidationError(`${at} is not an object`, { field: at });
    const e = raw as Partial<NewEvent>;
    if (typeof e.type !== 'string' || e.type.trim() === '' || e.type.length > MAX_TYPE) {
      throw new ValidationError(`${at}.type must be a non-empty string of at most ${MAX_TYPE} characters`, { field: `${at}.type` });
    }
    const schemaVersion = e.schemaVersion ?? 1;
    if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) {
      throw new ValidationError(`${at}.schemaVersion must be an integer >= 1`, { field: `${at}.schemaVersion` });
    }
    if (e.data === undefined) throw new ValidationError(`${at}.data is missing`, { field: `${at}.data` });
    const badData = findNonJson(e.data, `${at}.data`);
    if (badData) throw new ValidationError(`${at}.data is not JSON-serializable at ${badData}`, { field: `${at}.data` });
    const md = e.metadata;
    if (typeof md !== 'object' || md === null || Array.isArray(md)) {
      throw new ValidationError(`${at}.metadata must be an object`, { field: `${at}.metadata` });
    }
    if (typeof md.occurredAt !== 'string' || Number.isNaN(Date.parse(md.occurredAt))) {
      throw new ValidationError(`${at}.metadata.occurredAt must be an ISO-8601 time`, { field: `${at}.metadata.occurredAt` });
    }
    const badMeta = findNonJson(md, `${at}.metadata`);
    if (badMeta) throw new ValidationError(`${at}.metadata is not JSON-serializable at ${badMeta}`, { field: `${at}.metadata` });
    let eventId: string;
    if (e.eventId === undefined) eventId = uuidV7();
    else if (isUuid(e.eventId)) eventId = e.eventId.toLowerCase();
    else throw new ValidationError(`${at}.eventId must be a UUID`, { field: `${at}.eventId` });
    if (ids.has(eventId)) throw new ValidationError(`${at}.eventId ${eventId} appears twice in the batch`, { field: `${at}.eventId` });
    ids.add(eventId);
    return { eventId, type: e.type, schemaVersion, data: e.data, metadata: md };
  });
  return { streamId: sid, events: prepared, expected, commandId };
}

/** Validates an event filter; empty lists are rejected because they would match nothing by accident. */
export function validateFilter(filter: EventFilter | undefined): EventFilter | undefined {
  if (!filter) return undefined;
  for (const key of ['categories', 'eventTypes'] as const) {
    const list = filter[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0 || list.some((v) => typeof v !== 'string' || v === '')) {
      throw new ValidationError(`filter.${key} must be a non-empty array of non-empty strings`, { field: `filter.${key}` });
    }
  }
  return filter;
}

/** Validates maxCount / batch sizes: a positive integer, or undefined. */
export function validateCount(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ValidationError(`${field} must be a positive integer`, { field });
  }
  return value;
}

/** What a `readStream` reads: its direction, first revision and count, validated. */
export interface StreamRead {
  readonly backwards: boolean;
  readonly from: number | 'start' | 'end';
  readonly max: number | undefined;
}

/**
 * Validates the arguments of `readStream` and settles its defaults (from the start forwards,
 * from the end backwards); undefined when it reads nothing (forwards from the end, backwards
 * from the start).
 */
export function validateStreamRead(streamId: string, options: ReadStreamOptions): StreamRead | undefined {
  validateStreamId(streamId);
  const max = validateCount(options.maxCount, 'maxCount');
  const backwards = options.direction === 'backwards';
  const from = options.fromRevision ?? (backwards ? 'end' : 'start');
  if ((backwards && from === 'start') || (!backwards && from === 'end')) return undefined;
  return { backwards, from, max };
}

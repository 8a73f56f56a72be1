import { errorCodeOf } from '@baton/contracts';
import {
  actualRevisionText,
  expectedRevisionText,
  findNonJson,
  parseExpectedRevision,
  prepareAppend,
  satisfiesExpected,
  validateFilter,
} from './append-validation';

const occurredAt = '2026-01-01T00:00:00Z';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return errorCodeOf(err);
  }
  return undefined;
}

describe('expected revision', () => {
  it('parses the four kinds and rejects anything else', () => {
    expect(parseExpectedRevision(undefined)).toBe('any');
    expect(parseExpectedRevision('no_stream')).toBe('no_stream');
    expect(parseExpectedRevision('stream_exists')).toBe('stream_exists');
    expect(parseExpectedRevision(0)).toBe(0);
    expect(parseExpectedRevision(41)).toBe(41);
    for (const bad of [-1, 1.5, '3', 'latest', null, Number.NaN, 2 ** 60]) {
      expect([bad, codeOf(() => parseExpectedRevision(bad))]).toEqual([bad, 'VALIDATION_FAILED']);
    }
  });

  it('checks a current revision (-1 = no stream) against each kind', () => {
    expect([-1, 0, 5].map((c) => satisfiesExpected('any', c))).toEqual([true, true, true]);
    expect([-1, 0, 5].map((c) => satisfiesExpected('no_stream', c))).toEqual([true, false, false]);
    expect([-1, 0, 5].map((c) => satisfiesExpected('stream_exists', c))).toEqual([false, true, true]);
    expect([-1, 0, 5].map((c) => satisfiesExpected(5, c))).toEqual([false, false, true]);
  });

  it('has text forms for SQL and errors', () => {
    expect(expectedRevisionText(7)).toBe('7');
    expect(expectedRevisionText('no_stream')).toBe('no_stream');
    expect(actualRevisionText(undefined)).toBe('no_stream');
    expect(actualRevisionText(-1)).toBe('no_stream');
    expect(actualRevisionText(3)).toBe('3');
  });
});

describe('findNonJson', () => {
  it('accepts plain JSON and names the path of the first non-JSON value', () => {
    expect(findNonJson({ a: [1, 'x', null, true, { b: {} }] })).toBeUndefined();
    expect(findNonJson({ a: [1, undefined] })).toBe('$.a[1] (undefined)');
    expect(findNonJson({ a: { f: () => 1 } })).toBe('$.a.f (function)');
    expect(findNonJson({ n: Number.POSITIVE_INFINITY })).toBe('$.n (non-finite number)');
    expect(findNonJson({ d: new Date(0) })).toBe('$.d (Date instance)');
    expect(findNonJson({ s: 'a\u0000b' })).toBe('$.s (NUL character)');
    expect(findNonJson(Object.create(null))).toBeUndefined();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(findNonJson(cyclic)).toBe('$.self (cycle)');
    const shared = { x: 1 };
    expect(findNonJson({ a: shared, b: shared })).toBeUndefined();
  });
});

describe('prepareAppend', () => {
  it('assigns missing ids, lower-cases given ones and defaults the schema version', () => {
    const p = prepareAppend(
      'task-1',
      [
        { type: 'A', data: {}, metadata: { occurredAt } },
        { eventId: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', type: 'B', schemaVersion: 2, data: [1], metadata: { occurredAt } },
      ],
      { expectedRevision: 3, commandId: 'cmd-1' },
    );
    expect(p.streamId).toBe('task-1');
    expect(p.expected).toBe(3);
    expect(p.commandId).toBe('cmd-1');
    expect(p.events[0]!.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(p.events[0]!.schemaVersion).toBe(1);
    expect(p.events[1]).toMatchObject({ eventId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', schemaVersion: 2 });
  });

  it.each([
    ['blank stream id', () => prepareAppend(' ', [{ type: 'A', data: {}, metadata: { occurredAt } }], undefined)],
    ['system stream id', () => prepareAppend('$all', [{ type: 'A', data: {}, metadata: { occurredAt } }], undefined)],
    ['not an array', () => prepareAppend('s', {} as never, undefined)],
    ['bad occurredAt', () => prepareAppend('s', [{ type: 'A', data: {}, metadata: { occurredAt: 'yesterday' } }], undefined)],
    ['metadata array', () => prepareAppend('s', [{ type: 'A', data: {}, metadata: [] as never }], undefined)],
    ['schema version 0', () => prepareAppend('s', [{ type: 'A', schemaVersion: 0, data: {}, metadata: { occurredAt } }], undefined)],
    ['blank command id', () => prepareAppend('s', [{ type: 'A', data: {}, metadata: { occurredAt } }], { commandId: '' })],
    [
      'same id twice',
      () =>
        prepareAppend(
          's',
          [
            { eventId: '00000000-0000-4000-8000-000000000001', type: 'A', data: {}, metadata: { occurredAt } },
            { eventId: '00000000-0000-4000-8000-000000000001', type: 'B', data: {}, metadata: { occurredAt } },
          ],
          undefined,
        ),
    ],
  ])('rejects %s with VALIDATION_FAILED', (_label, fn) => {
    expect(codeOf(fn)).toBe('VALIDATION_FAILED');
  });
});

describe('validateFilter', () => {
  it('accepts lists of names and rejects empty ones', () => {
    expect(validateFilter({ categories: ['task'], eventTypes: ['A'] })).toEqual({ categories: ['task'], eventTypes: ['A'] });
    expect(validateFilter(undefined)).toBeUndefined();
    expect(codeOf(() => validateFilter({ categories: [] }))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => validateFilter({ eventTypes: [''] }))).toBe('VALIDATION_FAILED');
  });
});

import { BatonError } from '@baton/contracts';
import { errorFromBody, failureOf, isRetryableCode, TaskFailure, transportError } from './errors';
import { outputsOf, settlementOf } from './outcome';

describe('errorFromBody', () => {
  it('keeps the code, message and details, and says whether a retry may help', () => {
    const stale = errorFromBody('baton.cmd.scheduler.complete-task', { code: 'STALE_LEASE', message: 'held by b at epoch 2', details: { holder: 'b' } });
    expect(stale).toBeInstanceOf(BatonError);
    expect(stale).toMatchObject({ code: 'STALE_LEASE', details: { holder: 'b' }, retryable: false });
    expect(stale.message).toBe('baton.cmd.scheduler.complete-task: held by b at epoch 2');
    expect(errorFromBody('s', { code: 'WRONG_EXPECTED_VERSION', message: 'race' }).retryable).toBe(true);
  });

  it('turns an unknown code into INTERNAL', () => {
    expect(errorFromBody('s', { code: 'NOPE' as never, message: 'x' }).code).toBe('INTERNAL');
  });
});

describe('isRetryableCode', () => {
  it.each([
    ['UNAVAILABLE', true],
    ['TIMEOUT', true],
    ['INTERNAL', true],
    ['STALE_LEASE', false],
    ['ILLEGAL_TRANSITION', false],
    ['VALIDATION_FAILED', false],
  ] as const)('%s → %s', (code, expected) => expect(isRetryableCode(code)).toBe(expected));
});

describe('transportError', () => {
  const named = (name: string, message = name): Error => Object.assign(new Error(message), { name });

  it('maps no responders (also as a cause) to a retryable UNAVAILABLE', () => {
    const e = transportError('subj', Object.assign(named('RequestError', 'request failed'), { cause: named('NoRespondersError', 'no responders') }));
    expect(e).toMatchObject({ code: 'UNAVAILABLE', retryable: true });
  });

  it('maps a time-out to a retryable TIMEOUT', () => {
    expect(transportError('subj', named('TimeoutError', 'timeout'))).toMatchObject({ code: 'TIMEOUT', retryable: true });
  });

  it('maps a closed connection to a final UNAVAILABLE and anything else to INTERNAL', () => {
    expect(transportError('subj', named('ClosedConnectionError', 'closed connection'))).toMatchObject({ code: 'UNAVAILABLE', retryable: false });
    expect(transportError('subj', new Error('boom'))).toMatchObject({ code: 'INTERNAL', retryable: false });
  });
});

describe('failureOf', () => {
  it('reads code and retryable from a TaskFailure', () => {
    expect(failureOf(new TaskFailure('db down', { code: 'DB_DOWN', retryable: true }))).toEqual({ error: { message: 'db down', code: 'DB_DOWN' }, retryable: true });
  });

  it('fails a plain error as not retryable, without a code', () => {
    expect(failureOf(new Error('bad input'))).toEqual({ error: { message: 'bad input' }, retryable: false });
  });

  it('takes the code of a BatonError and its retryable flag', () => {
    expect(failureOf(new BatonError('TIMEOUT', 'slow', undefined, true))).toEqual({ error: { message: 'slow', code: 'TIMEOUT' }, retryable: true });
  });

  it('handles thrown strings, objects and empty messages, within the schema limits', () => {
    expect(failureOf('nope')).toEqual({ error: { message: 'nope' }, retryable: false });
    expect(failureOf({ reason: 1 })).toEqual({ error: { message: '{"reason":1}' }, retryable: false });
    expect(failureOf(new Error(''))).toEqual({ error: { message: 'task failed' }, retryable: false });
    const long = failureOf(new TaskFailure('x'.repeat(5000), { code: 'C'.repeat(300) }));
    expect(long.error.message).toHaveLength(4000);
    expect(long.error.code).toHaveLength(100);
  });
});

describe('outputsOf', () => {
  it('takes nothing as no outputs and an object as the outputs', () => {
    expect(outputsOf(undefined)).toEqual({});
    expect(outputsOf(null)).toEqual({});
    expect(outputsOf({ 'prd.md': '# PRD' })).toEqual({ 'prd.md': '# PRD' });
  });

  it('refuses arrays and scalars with VALIDATION_FAILED', () => {
    expect(() => outputsOf([1])).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => outputsOf('done')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('settlementOf', () => {
  it('ends quietly on STALE_LEASE, drops what cannot be worked, and defers the rest', () => {
    expect(settlementOf(new BatonError('STALE_LEASE', 'x'))).toEqual({ settlement: 'lost', code: 'STALE_LEASE' });
    expect(settlementOf(new BatonError('ILLEGAL_TRANSITION', 'x'))).toEqual({ settlement: 'rejected', code: 'ILLEGAL_TRANSITION' });
    expect(settlementOf(new BatonError('NOT_FOUND', 'x'))).toEqual({ settlement: 'rejected', code: 'NOT_FOUND' });
    expect(settlementOf(new BatonError('UNAVAILABLE', 'x'))).toEqual({ settlement: 'deferred', code: 'UNAVAILABLE' });
    expect(settlementOf(new Error('?'))).toEqual({ settlement: 'deferred', code: 'INTERNAL' });
  });
});

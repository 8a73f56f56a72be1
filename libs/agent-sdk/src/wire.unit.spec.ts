import { AcceptTask, GetTask, RegisterAgent } from '@baton/contracts';
import { ConcurrencyLimiter } from './concurrency';
import { decodeReply, encodeCommand, encodeQuery, nextDelay, reportCommandId } from './wire';

describe('encodeCommand', () => {
  it('writes the plain-JSON envelope with the latest schema version and the defaults applied', () => {
    const body = JSON.parse(encodeCommand(RegisterAgent, { agentId: 'a-1', role: 'qa' } as never, 'c-1'));
    expect(body).toEqual({ commandId: 'c-1', schemaVersion: 1, data: { agentId: 'a-1', role: 'qa', capabilities: [], maxConcurrency: 1, peers: [] } });
  });

  it('refuses data that does not match the schema before sending, naming the path', () => {
    expect(() => encodeCommand(AcceptTask, { taskId: 't', agentId: 'a', leaseEpoch: 0 }, 'c')).toThrow(
      expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('leaseEpoch') }),
    );
  });
});

describe('encodeQuery', () => {
  it('has no command id', () => {
    expect(JSON.parse(encodeQuery(GetTask, { taskId: 't-1' }))).toEqual({ schemaVersion: 1, data: { taskId: 't-1' } });
  });
});

describe('decodeReply', () => {
  it('returns the data of an ok reply, checked against the reply schema', () => {
    const reply = decodeReply(AcceptTask, JSON.stringify({ ok: true, data: { taskId: 't', status: 'accepted', leaseEpoch: 1, revision: 2 } }));
    expect(reply).toEqual({ taskId: 't', status: 'accepted', leaseEpoch: 1, revision: 2 });
  });

  it('throws the error of an error reply as a BatonError with its code', () => {
    const raw = JSON.stringify({ ok: false, error: { code: 'STALE_LEASE', message: 'held by another agent', details: { holder: 'b' } } });
    expect(() => decodeReply(AcceptTask, raw)).toThrow(expect.objectContaining({ code: 'STALE_LEASE', details: { holder: 'b' } }));
  });

  it('reports a reply of the wrong shape as INTERNAL', () => {
    expect(() => decodeReply(AcceptTask, JSON.stringify({ ok: true, data: { taskId: 1 } }))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => decodeReply(AcceptTask, JSON.stringify({ hello: 1 }))).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
    expect(() => decodeReply(AcceptTask, 'not json')).toThrow(expect.objectContaining({ code: 'INVALID_JSON' }));
  });
});

describe('nextDelay', () => {
  it('starts at the minimum, doubles, and stops at the maximum', () => {
    const delays: number[] = [];
    let d = 0;
    for (let i = 0; i < 7; i++) delays.push((d = nextDelay(d, 100, 2000)));
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
  });
});

describe('reportCommandId', () => {
  it('is the same for the same report of the same lease, and differs across epochs and agents', () => {
    expect(reportCommandId('complete', 't-1', 'a', 2)).toBe(reportCommandId('complete', 't-1', 'a', 2));
    expect(reportCommandId('complete', 't-1', 'a', 2)).not.toBe(reportCommandId('complete', 't-1', 'a', 3));
    expect(reportCommandId('complete', 't-1', 'a', 2)).not.toBe(reportCommandId('complete', 't-1', 'b', 2));
    expect(reportCommandId('fail', 't-1', 'a', 2)).not.toBe(reportCommandId('complete', 't-1', 'a', 2));
  });
});

describe('ConcurrencyLimiter', () => {
  it('lets at most `limit` holders in, and the next waiter in on release, in order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const order: string[] = [];
    await limiter.acquire();
    await limiter.acquire();
    expect(limiter.inUse).toBe(2);
    const third = limiter.acquire().then(() => order.push('third'));
    const fourth = limiter.acquire().then(() => order.push('fourth'));
    await Promise.resolve();
    expect(order).toEqual([]);
    limiter.release();
    await third;
    expect(order).toEqual(['third']);
    expect(limiter.inUse).toBe(2);
    limiter.release();
    await fourth;
    expect(order).toEqual(['third', 'fourth']);
  });

  it('resolves idle() when the last slot is given back', async () => {
    const limiter = new ConcurrencyLimiter(1);
    await limiter.idle();
    await limiter.acquire();
    let idle = false;
    const waiting = limiter.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    limiter.release();
    await waiting;
    expect(idle).toBe(true);
    expect(limiter.inUse).toBe(0);
  });

  it('refuses a bad limit and a release without an acquire', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => new ConcurrencyLimiter(1).release()).toThrow(expect.objectContaining({ code: 'INTERNAL' }));
  });
});

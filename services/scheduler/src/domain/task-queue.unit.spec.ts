import { retryDelayMs } from './retry-backoff';
import { orderQueue, pickAgent, planAssignments, queueKeyMs, type AgentCandidate, type QueueEntry } from './task-queue';

const T0 = Date.parse('2026-11-22T09:00:00.000Z');
const iso = (ms: number): string => new Date(T0 + ms).toISOString();
const policy = { agingIntervalMs: 60_000 };

const entry = (
  taskId: string,
  priority: QueueEntry['priority'],
  createdMs: number,
  over: Partial<QueueEntry & { requirement: { capabilities: string[] } }> = {},
) => ({
  taskId,
  priority,
  createdAt: iso(createdMs),
  requeued: false,
  notBefore: null,
  requirement: { capabilities: [] as string[] },
  ...over,
});

const agent = (agentId: string, over: Partial<AgentCandidate> = {}): AgentCandidate => ({
  agentId,
  role: 'backend',
  capabilities: ['node'],
  maxConcurrency: 2,
  available: true,
  load: 0,
  lastAssignedAt: null,
  ...over,
});

describe('queue order', () => {
  it('serves P0 before P1 before P2, FIFO within a priority', () => {
    const q = [entry('p2-a', 'P2', 0), entry('p1-a', 'P1', 1), entry('p0-b', 'P0', 3), entry('p0-a', 'P0', 2), entry('p2-b', 'P2', 4)];
    expect(orderQueue(q, new Date(T0 + 10), policy).map((e) => e.taskId)).toEqual(['p0-a', 'p0-b', 'p1-a', 'p2-a', 'p2-b']);
  });

  it('a P0 submitted behind 50 waiting P2 tasks is served first', () => {
    const q = [...Array.from({ length: 50 }, (_, i) => entry(`p2-${String(i).padStart(2, '0')}`, 'P2', i * 100)), entry('urgent', 'P0', 5000)];
    expect(orderQueue(q, new Date(T0 + 6000), policy)[0]!.taskId).toBe('urgent');
  });

  it('ages: each interval waited counts as one level, so an old P2 beats a fresh P0 and nothing starves', () => {
    const old = entry('old-p2', 'P2', 0);
    expect(orderQueue([old, entry('p0', 'P0', 119_999)], new Date(T0 + 200_000), policy).map((e) => e.taskId)).toEqual(['p0', 'old-p2']);
    expect(orderQueue([old, entry('p0', 'P0', 120_001)], new Date(T0 + 200_000), policy).map((e) => e.taskId)).toEqual(['old-p2', 'p0']);
    expect(orderQueue([old, entry('p1', 'P1', 60_001)], new Date(T0 + 200_000), policy).map((e) => e.taskId)).toEqual(['old-p2', 'p1']);
    expect(queueKeyMs(old, policy)).toBe(T0 + 120_000);
  });

  it('puts a task taken back from an agent ahead of the others of its priority', () => {
    const q = [entry('first', 'P1', 0), entry('back', 'P1', 30_000, { requeued: true })];
    expect(orderQueue(q, new Date(T0 + 40_000), policy).map((e) => e.taskId)).toEqual(['back', 'first']);
  });

  it('never serves a task whose notBefore (retry back-off) is in the future', () => {
    const q = [entry('backing-off', 'P0', 0, { notBefore: iso(5000) }), entry('ready', 'P2', 0)];
    expect(orderQueue(q, new Date(T0 + 4999), policy).map((e) => e.taskId)).toEqual(['ready']);
    expect(orderQueue(q, new Date(T0 + 5000), policy).map((e) => e.taskId)).toEqual(['backing-off', 'ready']);
  });
});

describe('assignment', () => {
  it('picks a capable agent, least load first, then least recently assigned, then id', () => {
    const agents = [
      agent('busy', { load: 1 }),
      agent('python-only', { capabilities: ['python'] }),
      agent('b-recent', { lastAssignedAt: iso(5000) }),
      agent('c-old', { lastAssignedAt: iso(1000) }),
    ];
    expect(pickAgent({ capabilities: ['node'] }, agents)?.agentId).toBe('c-old');
    expect(pickAgent({ capabilities: ['python'] }, agents)?.agentId).toBe('python-only');
    expect(pickAgent({ capabilities: ['node'] }, [agent('z'), agent('a')])?.agentId).toBe('a');
  });

  it('never exceeds max concurrency and skips offline agents', () => {
    expect(pickAgent({ capabilities: [] }, [agent('full', { load: 2, maxConcurrency: 2 }), agent('off', { available: false })])).toBeUndefined();
  });

  it('plans a pass: spreads by load, respects max concurrency, and does not let an unmatched task block the rest', () => {
    const queue = [
      entry('t1', 'P0', 0),
      entry('needs-go', 'P0', 1, { requirement: { capabilities: ['go'] } }),
      entry('t2', 'P1', 2),
      entry('t3', 'P1', 3),
      entry('t4', 'P2', 4),
    ];
    const plan = planAssignments(queue, [agent('a1', { maxConcurrency: 1 }), agent('a2', { maxConcurrency: 2 })], new Date(T0 + 10));
    expect(plan).toEqual([
      { taskId: 't1', agentId: 'a1' },
      { taskId: 't2', agentId: 'a2' },
      { taskId: 't3', agentId: 'a2' },
    ]);
  });
});

describe('retry back-off', () => {
  it('is linear or exponential in the failed attempt, and capped', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs({ kind: 'linear', baseMs: 500, maxMs: 1800 }, n))).toEqual([500, 1000, 1500, 1800]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs({ kind: 'exponential', baseMs: 1000, maxMs: 10_000 }, n))).toEqual([1000, 2000, 4000, 8000, 10_000]);
    expect(retryDelayMs({ kind: 'exponential', baseMs: 1000, maxMs: 60_000 }, 500)).toBe(60_000);
  });
});

import type { AgentActivity } from '@baton/agent-sdk';
import { humanLine, jsonLine } from './format';
import { taskRandom } from './random';
import { planAttempt } from './simulated-work';

const base = { agentId: 'MCT-PM-001', seed: 7, durationMs: { min: 1000, max: 2000 }, failureRate: 0.5, steps: 4, outputs: {} };

describe('planAttempt', () => {
  it('is the same for the same seed and task, whatever else ran before', () => {
    expect(planAttempt({ taskId: 't-1', attempt: 1 }, base)).toEqual(planAttempt({ taskId: 't-1', attempt: 1 }, base));
    expect(planAttempt({ taskId: 't-1', attempt: 1 }, base)).not.toEqual(planAttempt({ taskId: 't-1', attempt: 1 }, { ...base, seed: 8 }));
  });

  it('spreads a duration within the range over the steps', () => {
    for (let i = 0; i < 50; i++) {
      const plan = planAttempt({ taskId: `t-${i}`, attempt: 1 }, base);
      const total = plan.stepMs.reduce((a, b) => a + b, 0);
      expect(plan.stepMs).toHaveLength(4);
      expect(total).toBeGreaterThanOrEqual(1000);
      expect(total).toBeLessThanOrEqual(2000);
      expect(plan.tokens.every((t) => t >= 200 && t <= 2000)).toBe(true);
    }
  });

  it('fails at about the configured rate, never at 0 and always at 1', () => {
    const fails = (rate: number): number =>
      Array.from({ length: 400 }, (_, i) => planAttempt({ taskId: `t-${i}`, attempt: 1 }, { ...base, failureRate: rate }).fails).filter(Boolean).length;
    expect(fails(0)).toBe(0);
    expect(fails(1)).toBe(400);
    const half = fails(0.5);
    expect(half).toBeGreaterThan(140);
    expect(half).toBeLessThan(260);
  });
});

describe('taskRandom', () => {
  it('gives numbers in [0, 1) that depend on the attempt', () => {
    const a = taskRandom(1, 'a', 't', 1);
    const b = taskRandom(1, 'a', 't', 2);
    const xs = Array.from({ length: 100 }, () => a());
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(taskRandom(1, 'a', 't', 1)()).toBe(xs[0]);
    expect(b()).not.toBe(xs[0]);
  });
});

describe('output lines', () => {
  const at = '2026-11-22T00:00:00.000Z';
  const task = { agentId: 'MCT-PM-001', taskId: 'task-0123456789abcdef0123456789', action: 'write_prd', leaseEpoch: 1, attempt: 1, at };

  it('prints one line per task event for people', () => {
    const lines = ([
      { ...task, type: 'task.progress', percent: 40, message: 'step 2/5', tokensUsed: 1200 },
      { ...task, type: 'task.completed', outputs: { 'prd.md': '# PRD' } },
      { ...task, type: 'task.failed', error: { message: 'boom', code: 'SIMULATED_FAILURE' }, retryable: true },
      { ...task, type: 'task.lost', reason: 'x' },
      { type: 'registered', agentId: 'MCT-PM-001', created: true, at },
    ] as AgentActivity[]).map(humanLine);
    expect(lines).toEqual([
      '[MCT-PM-001] write_prd task-0123456789abcdef0123456789 40% step 2/5 (1200 tokens)',
      '[MCT-PM-001] write_prd task-0123456789abcdef0123456789 100% completed: prd.md',
      '[MCT-PM-001] write_prd task-0123456789abcdef0123456789 failed (retryable): SIMULATED_FAILURE boom',
      '[MCT-PM-001] write_prd task-0123456789abcdef0123456789 lost: another agent holds it now (STALE_LEASE)',
      '[MCT-PM-001] registered',
    ]);
  });

  it('prints the event itself as one JSON line for scripts', () => {
    const event: AgentActivity = { ...task, type: 'task.received' };
    expect(JSON.parse(jsonLine(event))).toEqual(event);
    expect(jsonLine(event)).not.toContain('\n');
  });
});

import type { EscalationTrigger } from '@baton/contracts';
import { HOUR, MIN } from '../testing/timeline';
import { assigneeFor, DEFAULT_LADDER, FALLBACK_LEAD, HUMAN_ASSIGNEE, levelAt, nextClimbAt, raiseDueAt, startLevelOf, withOverrides } from './escalation.policy';

const since = new Date('2026-12-01T00:00:00.000Z');
const after = (ms: number) => new Date(since.getTime() + ms);

describe('levelAt', () => {
  it.each([
    [0, 0],
    [29 * MIN, 0],
    [30 * MIN - 1, 0],
    [30 * MIN, 1],
    [31 * MIN, 1],
    [2 * HOUR - 1, 1],
    [2 * HOUR + MIN, 2],
    [4 * HOUR - 1, 2],
    [4 * HOUR + MIN, 3],
    [72 * HOUR, 3],
  ])('blocked_task after %i ms is L%i', (elapsed, level) => {
    expect(levelAt('blocked_task', since, after(elapsed), DEFAULT_LADDER)).toBe(level);
  });

  it.each<[EscalationTrigger, number]>([
    ['manual', 0],
    ['blocked_task', 0],
    ['approval_needed', 1],
    ['sla_breach', 1],
    ['agent_failure', 1],
    ['cross_domain', 2],
    ['policy_decision', 3],
    ['repeated_rejections', 3],
  ])('%s starts at L%i and then follows the ladder', (trigger, start) => {
    expect(startLevelOf(trigger)).toBe(start);
    expect(levelAt(trigger, since, since, DEFAULT_LADDER)).toBe(start);
    expect(levelAt(trigger, since, after(2 * HOUR + MIN), DEFAULT_LADDER)).toBe(Math.max(start, 2));
    expect(levelAt(trigger, since, after(4 * HOUR), DEFAULT_LADDER)).toBe(3);
  });

  it('a stalled task is nothing until the stall window (2 h), then L1, then the ladder from there', () => {
    expect(startLevelOf('stalled_task')).toBe(1);
    expect(levelAt('stalled_task', since, after(2 * HOUR - 1), DEFAULT_LADDER)).toBe(0);
    expect(levelAt('stalled_task', since, after(2 * HOUR), DEFAULT_LADDER)).toBe(1);
    expect(levelAt('stalled_task', since, after(2 * HOUR + 2 * HOUR + MIN), DEFAULT_LADDER)).toBe(2);
    expect(levelAt('stalled_task', since, after(2 * HOUR + 4 * HOUR), DEFAULT_LADDER)).toBe(3);
  });

  it('a conflict nobody resolves reaches a human (L3) after 5 minutes, not before', () => {
    expect(startLevelOf('conflict')).toBe(3);
    expect(levelAt('conflict', since, after(4 * MIN + 59_999), DEFAULT_LADDER)).toBe(0);
    expect(levelAt('conflict', since, after(5 * MIN), DEFAULT_LADDER)).toBe(3);
  });

  it('never goes below the floor (the level already reached)', () => {
    expect(levelAt('manual', since, after(MIN), DEFAULT_LADDER, 2)).toBe(2);
    expect(levelAt('conflict', since, after(MIN), DEFAULT_LADDER, 3)).toBe(3);
  });

  it('uses the ladder it is given (per-workflow thresholds)', () => {
    const quick = withOverrides(DEFAULT_LADDER, { l1AfterMs: 10 * MIN, l2AfterMs: 20 * MIN, l3AfterMs: 40 * MIN });
    expect(levelAt('blocked_task', since, after(11 * MIN), quick)).toBe(1);
    expect(levelAt('blocked_task', since, after(21 * MIN), quick)).toBe(2);
    expect(levelAt('blocked_task', since, after(41 * MIN), quick)).toBe(3);
  });
});

describe('raiseDueAt and nextClimbAt', () => {
  it('a blocked task is raised at the L1 threshold and climbs at the L2 and L3 thresholds', () => {
    expect(raiseDueAt('blocked_task', since, DEFAULT_LADDER)).toEqual(after(30 * MIN));
    expect(nextClimbAt('blocked_task', since, 0, DEFAULT_LADDER)).toEqual(after(30 * MIN));
    expect(nextClimbAt('blocked_task', since, 1, DEFAULT_LADDER)).toEqual(after(2 * HOUR));
    expect(nextClimbAt('blocked_task', since, 2, DEFAULT_LADDER)).toEqual(after(4 * HOUR));
    expect(nextClimbAt('blocked_task', since, 3, DEFAULT_LADDER)).toBeUndefined();
  });

  it('triggers with a start level are raised at once; a stall and a conflict after their windows', () => {
    expect(raiseDueAt('sla_breach', since, DEFAULT_LADDER)).toEqual(since);
    expect(raiseDueAt('repeated_rejections', since, DEFAULT_LADDER)).toEqual(since);
    expect(raiseDueAt('stalled_task', since, DEFAULT_LADDER)).toEqual(after(2 * HOUR));
    expect(raiseDueAt('conflict', since, DEFAULT_LADDER)).toEqual(after(5 * MIN));
  });

  it('a stall climbs from when it was found; a conflict never climbs (it starts at L3)', () => {
    expect(nextClimbAt('stalled_task', since, 1, DEFAULT_LADDER)).toEqual(after(4 * HOUR));
    expect(nextClimbAt('conflict', since, 3, DEFAULT_LADDER)).toBeUndefined();
  });

  it('the next climb is always where the level goes up', () => {
    for (const trigger of ['blocked_task', 'stalled_task', 'sla_breach', 'manual'] as const) {
      for (const current of [0, 1, 2] as const) {
        const next = nextClimbAt(trigger, since, current, DEFAULT_LADDER)!;
        expect(levelAt(trigger, since, next, DEFAULT_LADDER, current)).toBeGreaterThan(current);
        // Just before it the level was still `current` (a trigger that starts above it rises at once, at `since`).
        if (next > since) expect(levelAt(trigger, since, new Date(next.getTime() - 1), DEFAULT_LADDER, current)).toBe(current);
        else expect(startLevelOf(trigger)).toBeGreaterThan(current);
      }
    }
  });
});

describe('withOverrides', () => {
  it('replaces the given thresholds only', () => {
    expect(withOverrides(DEFAULT_LADDER, { stallAfterMs: HOUR })).toEqual({ ...DEFAULT_LADDER, stallAfterMs: HOUR });
  });
  it('refuses a ladder that does not climb, and non-positive values', () => {
    expect(() => withOverrides(DEFAULT_LADDER, { l2AfterMs: 10 * MIN })).toThrow(/must climb/);
    expect(() => withOverrides(DEFAULT_LADDER, { l1AfterMs: 0 })).toThrow(/positive/);
  });
});

describe('assigneeFor', () => {
  const contacts = { peers: ['peer-1', 'peer-2'], lead: 'lead-1' };
  it('L0 the agent, L1 its first peer, L2 its lead, L3 the human', () => {
    expect(assigneeFor(0, 'a-1', contacts)).toEqual({ kind: 'agent', id: 'a-1' });
    expect(assigneeFor(1, 'a-1', contacts)).toEqual({ kind: 'agent', id: 'peer-1' });
    expect(assigneeFor(2, 'a-1', contacts)).toEqual({ kind: 'agent', id: 'lead-1' });
    expect(assigneeFor(3, 'a-1', contacts)).toEqual(HUMAN_ASSIGNEE);
  });
  it('falls back to the lead when there is no peer, and to the stand-in lead when the registry knows nothing', () => {
    expect(assigneeFor(1, 'a-1', { peers: [], lead: 'lead-1' })).toEqual({ kind: 'agent', id: 'lead-1' });
    expect(assigneeFor(1, 'a-1', undefined)).toEqual(FALLBACK_LEAD);
    expect(assigneeFor(2, 'a-1', { peers: ['p'], lead: null })).toEqual(FALLBACK_LEAD);
    expect(assigneeFor(0, null, undefined)).toEqual(FALLBACK_LEAD);
    expect(FALLBACK_LEAD).toEqual({ kind: 'agent', id: 'lead' });
  });
});

import { manualClock, type ManualClock } from '@baton/aggregate';
import type { Actor, EscalationLevel } from '@baton/contracts';
import { at, HOUR, MIN, T0 as blockedAt } from '../testing/timeline';
import {
  assigneeFor,
  blockedEscalationId,
  decide,
  draftEscalation,
  evolve,
  initialEscalationState,
  levelAt,
  nextClimbAt,
  raiseDueAt,
  DEFAULT_LADDER,
  type AgentContacts,
  type EscalationCommand,
  type EscalationEvent,
  type EscalationFacts,
  type EscalationState,
} from './index';

const contacts: AgentContacts = { peers: ['MCT-PM-002'], lead: 'MCT-CPO-001' };
const service: Actor = { kind: 'service', id: 'escalation' };

/**
 * The ladder as the service runs it, with everything but time taken out: a blocked task is
 * watched; a raise timer falls due at the L1 threshold; climb timers at the next thresholds.
 * `tick()` plays the timers due by the injected clock, like the poller does.
 */
class BlockedTaskLadder {
  state: EscalationState = initialEscalationState;
  readonly events: EscalationEvent[] = [];
  private raiseDue: Date | undefined;
  private climbDue: Date | undefined;
  readonly id = blockedEscalationId('t-1', blockedAt);
  private readonly facts: EscalationFacts = { kind: 'blocked_task', taskId: 't-1', action: 'write_prd', agentId: 'MCT-PM-001', reason: 'no API spec', runId: 'r-1', stageId: 'requirements' };

  constructor(private readonly clock: ManualClock) {
    this.raiseDue = raiseDueAt('blocked_task', blockedAt, DEFAULT_LADDER);
  }

  private run(build: (metadata: { commandId: string; now: string }) => EscalationCommand, commandId: string): EscalationEvent[] {
    const events = decide(build({ commandId, now: this.clock.now().toISOString() }), this.state);
    for (const e of events) this.state = evolve(this.state, e);
    this.events.push(...events);
    return events;
  }

  tick(): void {
    const now = this.clock.now();
    if (this.raiseDue && this.raiseDue <= now) {
      const level = levelAt('blocked_task', blockedAt, now, DEFAULT_LADDER);
      const assignee = assigneeFor(level, 'MCT-PM-001', contacts);
      const draft = draftEscalation(this.facts, { since: blockedAt, now, assignee });
      this.run((metadata) => ({ type: 'RaiseEscalation', data: { ...draft, escalationId: this.id, level, assignee, since: blockedAt.toISOString(), ladder: DEFAULT_LADDER }, metadata }), `raise:${this.id}`);
      this.raiseDue = undefined;
      this.climbDue = nextClimbAt('blocked_task', blockedAt, level, DEFAULT_LADDER);
    }
    if (this.climbDue && this.climbDue <= now) {
      if (this.state.status === 'open') {
        const level = levelAt('blocked_task', blockedAt, now, DEFAULT_LADDER, this.state.level);
        const assignee = assigneeFor(level, 'MCT-PM-001', contacts);
        this.run((metadata) => ({ type: 'ClimbLevel', data: { escalationId: this.id, level, assignee, reason: 'timer' }, metadata }), `climb:${this.id}:${level}`);
      }
      this.climbDue = this.state.status === 'open' ? nextClimbAt('blocked_task', blockedAt, this.state.level as EscalationLevel, DEFAULT_LADDER) : undefined;
    }
  }

  resolve(): EscalationEvent[] {
    return this.run(
      (metadata) => ({ type: 'ResolveEscalation', data: { escalationId: this.id, resolution: 'resolved', reason: 'task t-1 was unblocked', by: service }, metadata }),
      `resolve:${this.id}:${this.events.length}`,
    );
  }

  level(): EscalationLevel | undefined {
    return this.state.status === 'none' ? undefined : this.state.level;
  }
}

describe('the escalation ladder of a blocked task (injected clock)', () => {
  let clock: ManualClock;
  let ladder: BlockedTaskLadder;
  beforeEach(() => {
    clock = manualClock(blockedAt);
    ladder = new BlockedTaskLadder(clock);
  });

  it('at 29 min nothing is raised yet: the task is only watched (L0)', () => {
    clock.set(at(29 * MIN));
    ladder.tick();
    expect(levelAt('blocked_task', blockedAt, clock.now(), DEFAULT_LADDER)).toBe(0);
    expect(ladder.state).toEqual({ status: 'none' });
    expect(ladder.events).toEqual([]);
  });

  it('at 31 min it is raised at L1, to the peer, in the escalation format', () => {
    clock.set(at(31 * MIN));
    ladder.tick();
    expect(ladder.events).toEqual([
      expect.objectContaining({
        type: 'EscalationRaised',
        data: expect.objectContaining({
          level: 1,
          assignee: { kind: 'agent', id: 'MCT-PM-002' },
          issue: 'Task t-1 (write_prd) blocked for 31 min: no API spec',
          workflowStage: 'requirements',
          taskId: 't-1',
          agentId: 'MCT-PM-001',
          runId: 'r-1',
        }),
      }),
    ]);
  });

  it('climbs to L2 (lead) at 2 h 1 min and L3 (human) at 4 h 1 min, once each', () => {
    for (const [ms, level, assignee] of [
      [31 * MIN, 1, { kind: 'agent', id: 'MCT-PM-002' }],
      [2 * HOUR + MIN, 2, { kind: 'agent', id: 'MCT-CPO-001' }],
      [4 * HOUR + MIN, 3, { kind: 'human', id: 'human' }],
    ] as const) {
      clock.set(at(ms));
      ladder.tick();
      ladder.tick();
      expect(ladder.level()).toBe(level);
      expect(ladder.state).toMatchObject({ assignee });
    }
    expect(ladder.events.map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationLevelRaised', 'EscalationLevelRaised']);
    expect(ladder.events[2]!.data).toMatchObject({ from: 2, to: 3 });
    clock.set(at(30 * HOUR));
    ladder.tick();
    expect(ladder.events).toHaveLength(3);
  });

  it('a service down for hours raises straight at the level the time gives (L2 at 2 h 1 min)', () => {
    clock.set(at(2 * HOUR + MIN));
    ladder.tick();
    expect(ladder.events).toEqual([expect.objectContaining({ type: 'EscalationRaised', data: expect.objectContaining({ level: 2, assignee: { kind: 'agent', id: 'MCT-CPO-001' } }) })]);
  });

  it('a resolution closes it: later timers do nothing', () => {
    clock.set(at(31 * MIN));
    ladder.tick();
    clock.set(at(45 * MIN));
    expect(ladder.resolve()).toEqual([expect.objectContaining({ type: 'EscalationResolved', data: expect.objectContaining({ resolution: 'resolved', by: service }) })]);
    clock.set(at(5 * HOUR));
    ladder.tick();
    expect(ladder.events.map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationResolved']);
    expect(ladder.state).toMatchObject({ status: 'resolved', level: 1 });
  });

  it('resolving twice is ILLEGAL_TRANSITION', () => {
    clock.set(at(31 * MIN));
    ladder.tick();
    ladder.resolve();
    expect(() => ladder.resolve()).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
  });
});

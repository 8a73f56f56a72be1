import { manualClock, type ManualClock } from '@baton/aggregate';
import type { Actor, EscalationLevel, HandoffSla } from '@baton/contracts';
import { at, HOUR, MIN, T0 as assignedAt } from '../testing/timeline';
import {
  agentOfFacts,
  assigneeFor,
  decide,
  draftEscalation,
  evolve,
  handoffClocksStoppedBy,
  handoffSlaWatches,
  initialEscalationState,
  levelAt,
  nextClimbAt,
  readHandoffSla,
  reassignedHandoffPlan,
  DEFAULT_LADDER,
  type AgentContacts,
  type EscalationCommand,
  type EscalationEvent,
  type EscalationState,
  type HandoffTask,
  type HandoffTaskEvent,
  type RaisePlan,
} from './index';

const SLA: HandoffSla = { specIds: ['HO-PM-ARCH'], acknowledgmentMs: 30 * MIN, firstOutputMs: 4 * HOUR };
const TASK: HandoffTask = { taskId: 't-1', action: 'design_architecture', agentId: 'MCT-ARCH-001', runId: 'r-1', stageId: 'architecture' };
const contacts: Readonly<Record<string, AgentContacts>> = {
  'MCT-ARCH-001': { peers: ['MCT-ARCH-002'], lead: 'MCT-CTO-001' },
  'MCT-ARCH-003': { peers: ['MCT-ARCH-004'], lead: 'MCT-CTO-001' },
};
const service: Actor = { kind: 'service', id: 'escalation' };

interface Watch {
  plan: RaisePlan;
  open: boolean;
  raiseDue: Date | undefined;
  climbDue: Date | undefined;
  state: EscalationState;
  readonly events: EscalationEvent[];
}

/**
 * The handoff clocks of one task as the service runs them, with everything but time taken out:
 * the first assignment opens one watch per clock (ids used once), a raise timer falls due at the
 * breach, climb timers at the next thresholds, and the events that stop a clock resolve it.
 * `tick()` plays the timers due by the injected clock, like the poller does.
 */
class HandoffSlaClocks {
  readonly watches = new Map<string, Watch>();

  constructor(
    private readonly clock: ManualClock,
    private readonly sla: HandoffSla = SLA,
  ) {}

  private run(w: Watch, build: (metadata: { commandId: string; now: string }) => EscalationCommand, commandId: string): void {
    const events = decide(build({ commandId, now: this.clock.now().toISOString() }), w.state);
    for (const e of events) w.state = evolve(w.state, e);
    w.events.push(...events);
  }

  assign(agentId: string, when: Date): void {
    for (const { plan, dueAt } of handoffSlaWatches(this.sla, { ...TASK, agentId }, when, DEFAULT_LADDER)) {
      const existing = this.watches.get(plan.escalationId);
      if (existing === undefined) {
        this.watches.set(plan.escalationId, { plan, open: true, raiseDue: dueAt, climbDue: undefined, state: initialEscalationState, events: [] });
        continue;
      }
      const reassigned = existing.open && existing.raiseDue !== undefined ? reassignedHandoffPlan(existing.plan, agentId) : undefined;
      if (reassigned) existing.plan = reassigned;
    }
  }

  stop(event: HandoffTaskEvent, reason: string): void {
    for (const clock of handoffClocksStoppedBy(event)) {
      const w = [...this.watches.values()].find((x) => x.plan.facts.kind === 'handoff_sla' && x.plan.facts.clock === clock);
      if (!w?.open) continue;
      w.open = false;
      w.raiseDue = undefined;
      if (w.state.status === 'open') {
        this.run(w, (metadata) => ({ type: 'ResolveEscalation', data: { escalationId: w.plan.escalationId, resolution: 'resolved', reason, by: service, onlyIfOpen: true }, metadata }), `resolve:${w.plan.escalationId}`);
      }
    }
  }

  tick(): void {
    const now = this.clock.now();
    for (const w of this.watches.values()) {
      const { plan } = w;
      const since = new Date(plan.since);
      const agentId = agentOfFacts(plan.facts);
      if (w.open && w.raiseDue && w.raiseDue <= now) {
        const level = levelAt(plan.trigger, since, now, plan.ladder, plan.floor);
        const assignee = assigneeFor(level, agentId, agentId ? contacts[agentId] : undefined);
        const draft = draftEscalation(plan.facts, { since, now, assignee });
        this.run(w, (metadata) => ({ type: 'RaiseEscalation', data: { ...draft, escalationId: plan.escalationId, level, assignee, since: plan.since, ladder: plan.ladder }, metadata }), `raise:${plan.escalationId}`);
        w.raiseDue = undefined;
        w.climbDue = nextClimbAt(plan.trigger, since, level, plan.ladder);
      }
      if (w.climbDue && w.climbDue <= now && w.state.status === 'open') {
        const level = levelAt(plan.trigger, since, now, plan.ladder, w.state.level);
        const assignee = assigneeFor(level, agentId, agentId ? contacts[agentId] : undefined);
        this.run(w, (metadata) => ({ type: 'ClimbLevel', data: { escalationId: plan.escalationId, level, assignee, reason: 'timer' }, metadata }), `climb:${plan.escalationId}:${level}`);
        w.climbDue = w.state.status === 'open' ? nextClimbAt(plan.trigger, since, w.state.level as EscalationLevel, plan.ladder) : undefined;
      }
    }
  }

  events(id: string): EscalationEvent[] {
    return this.watches.get(id)?.events ?? [];
  }
}

describe('readHandoffSla (inputs.handoffSla of TaskCreated)', () => {
  it('reads a valid SLA', () => {
    expect(readHandoffSla({ handoffSla: SLA, other: 1 })).toEqual({ kind: 'sla', sla: SLA });
    expect(readHandoffSla({ handoffSla: { specIds: [], acknowledgmentMs: null, firstOutputMs: 60_000 } })).toEqual({
      kind: 'sla',
      sla: { specIds: [], acknowledgmentMs: null, firstOutputMs: 60_000 },
    });
  });

  it('absent or null: none (the task is not watched)', () => {
    expect(readHandoffSla({})).toEqual({ kind: 'none' });
    expect(readHandoffSla({ handoffSla: null })).toEqual({ kind: 'none' });
  });

  it('invalid: says what is wrong (the task is not watched)', () => {
    const r = readHandoffSla({ handoffSla: { specIds: ['HO-PM-ARCH'], acknowledgmentMs: '30 minutes', firstOutputMs: -1 } });
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.message).toMatch(/acknowledgmentMs: .*; firstOutputMs: /);
    expect(readHandoffSla({ handoffSla: 'soon' })).toMatchObject({ kind: 'invalid', message: expect.stringContaining('(root)') });
  });
});

describe('handoffSlaWatches', () => {
  it('one watch per clock, with deterministic ids, raised at the breach (which is also where its ladder starts)', () => {
    const watches = handoffSlaWatches(SLA, TASK, assignedAt, DEFAULT_LADDER);
    expect(watches.map((w) => [w.clock, w.plan.escalationId, w.plan.trigger, w.plan.since, w.dueAt.toISOString()])).toEqual([
      ['acknowledgment', 'handoff-sla-ack-t-1', 'sla_breach', at(30 * MIN).toISOString(), at(30 * MIN).toISOString()],
      ['first_output', 'handoff-sla-output-t-1', 'sla_breach', at(4 * HOUR).toISOString(), at(4 * HOUR).toISOString()],
    ]);
    expect(watches[0]!.plan.facts).toEqual({ kind: 'handoff_sla', clock: 'acknowledgment', specIds: ['HO-PM-ARCH'], slaMs: 30 * MIN, assignedAt: assignedAt.toISOString(), ...TASK });
    // The same task again (a redelivered or later assignment) gets the same ids.
    expect(handoffSlaWatches(SLA, { ...TASK, agentId: 'other' }, at(HOUR), DEFAULT_LADDER).map((w) => w.plan.escalationId)).toEqual(['handoff-sla-ack-t-1', 'handoff-sla-output-t-1']);
  });

  it('a clock the SLA does not set is not watched', () => {
    expect(handoffSlaWatches({ ...SLA, acknowledgmentMs: null }, TASK, assignedAt, DEFAULT_LADDER).map((w) => w.clock)).toEqual(['first_output']);
    expect(handoffSlaWatches({ specIds: [], acknowledgmentMs: null, firstOutputMs: null }, TASK, assignedAt, DEFAULT_LADDER)).toEqual([]);
  });

  it('reassignedHandoffPlan names the new holder, and nothing when it is the same agent', () => {
    const [ack] = handoffSlaWatches(SLA, TASK, assignedAt, DEFAULT_LADDER);
    expect(reassignedHandoffPlan(ack!.plan, 'MCT-ARCH-003')).toMatchObject({ since: ack!.plan.since, facts: { agentId: 'MCT-ARCH-003', assignedAt: assignedAt.toISOString() } });
    expect(reassignedHandoffPlan(ack!.plan, 'MCT-ARCH-001')).toBeUndefined();
  });

  it('which events stop which clock', () => {
    expect(handoffClocksStoppedBy({ type: 'TaskAccepted' })).toEqual(['acknowledgment']);
    expect(handoffClocksStoppedBy({ type: 'TaskProgressReported' })).toEqual(['first_output']);
    expect(handoffClocksStoppedBy({ type: 'TaskCompleted' })).toEqual(['acknowledgment', 'first_output']);
    expect(handoffClocksStoppedBy({ type: 'TaskCancelled' })).toEqual(['acknowledgment', 'first_output']);
    expect(handoffClocksStoppedBy({ type: 'TaskFailed', final: true })).toEqual(['acknowledgment', 'first_output']);
    expect(handoffClocksStoppedBy({ type: 'TaskFailed', final: false })).toEqual([]);
  });
});

describe('handoff SLA escalations (injected clock)', () => {
  const ACK = 'handoff-sla-ack-t-1';
  const OUTPUT = 'handoff-sla-output-t-1';
  let clock: ManualClock;
  let clocks: HandoffSlaClocks;
  beforeEach(() => {
    clock = manualClock(assignedAt);
    clocks = new HandoffSlaClocks(clock);
    clocks.assign('MCT-ARCH-001', assignedAt);
  });

  it('acknowledgment: nothing at 29 min; at 31 min an sla_breach at L1 to the peer, in the escalation format', () => {
    clock.set(at(29 * MIN));
    clocks.tick();
    expect(clocks.events(ACK)).toEqual([]);
    clock.set(at(31 * MIN));
    clocks.tick();
    expect(clocks.events(ACK)).toEqual([
      expect.objectContaining({
        type: 'EscalationRaised',
        data: expect.objectContaining({
          escalationId: ACK,
          trigger: 'sla_breach',
          level: 1,
          assignee: { kind: 'agent', id: 'MCT-ARCH-002' },
          issue: 'Handoff HO-PM-ARCH: MCT-ARCH-001 did not acknowledge task t-1 (design_architecture) within 30 min',
          workflowStage: 'architecture',
          blocking: 'Stage architecture of run r-1',
          runId: 'r-1',
          stageId: 'architecture',
          taskId: 't-1',
          agentId: 'MCT-ARCH-001',
          since: at(30 * MIN).toISOString(),
        }),
      }),
    ]);
    const raised = clocks.events(ACK)[0]!.data as { options: { label: string; tradeoff: string }[]; recommendation: string };
    expect(raised.options.map((o) => o.label)).toEqual(['Wait for MCT-ARCH-001 to acknowledge the task', 'Reassign the task to MCT-ARCH-002', 'Escalate to the lead']);
    expect(raised.options.every((o) => o.tradeoff.length > 0)).toBe(true);
    expect(raised.recommendation).toMatch(/MCT-ARCH-001.*reassign/);
    // The first-output clock is still running.
    expect(clocks.events(OUTPUT)).toEqual([]);
  });

  it('a later TaskAccepted resolves the breach (as the service); accepted in time, nothing is ever raised', () => {
    clock.set(at(31 * MIN));
    clocks.tick();
    clock.set(at(40 * MIN));
    clocks.stop({ type: 'TaskAccepted' }, 'MCT-ARCH-001 accepted task t-1');
    expect(clocks.events(ACK).map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationResolved']);
    expect(clocks.events(ACK)[1]!.data).toMatchObject({ resolution: 'resolved', by: service, reason: 'MCT-ARCH-001 accepted task t-1' });
    clock.set(at(5 * HOUR));
    clocks.tick();
    expect(clocks.events(ACK)).toHaveLength(2);

    const intime = new HandoffSlaClocks(clock);
    clock.set(assignedAt);
    intime.assign('MCT-ARCH-001', assignedAt);
    clock.set(at(10 * MIN));
    intime.stop({ type: 'TaskAccepted' }, 'accepted');
    clock.set(at(31 * MIN));
    intime.tick();
    expect(intime.events(ACK)).toEqual([]);
  });

  it('an unacknowledged handoff climbs the ladder from the breach: L2 (lead) 2 h after it, L3 (human) 4 h after it', () => {
    clock.set(at(31 * MIN));
    clocks.tick();
    clock.set(at(30 * MIN + 2 * HOUR));
    clocks.tick();
    expect(clocks.watches.get(ACK)!.state).toMatchObject({ level: 2, assignee: { kind: 'agent', id: 'MCT-CTO-001' } });
    clock.set(at(30 * MIN + 4 * HOUR));
    clocks.tick();
    expect(clocks.watches.get(ACK)!.state).toMatchObject({ level: 3, assignee: { kind: 'human', id: 'human' } });
    expect(clocks.events(ACK).map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationLevelRaised', 'EscalationLevelRaised']);
  });

  it('first output: acceptance does not stop it; nothing at 3 h 59 min, raised at 4 h 1 min; the first progress report resolves it', () => {
    clock.set(at(5 * MIN));
    clocks.stop({ type: 'TaskAccepted' }, 'accepted');
    clock.set(at(3 * HOUR + 59 * MIN));
    clocks.tick();
    expect(clocks.events(OUTPUT)).toEqual([]);
    clock.set(at(4 * HOUR + MIN));
    clocks.tick();
    expect(clocks.events(OUTPUT)).toEqual([
      expect.objectContaining({
        type: 'EscalationRaised',
        data: expect.objectContaining({
          trigger: 'sla_breach',
          level: 1,
          assignee: { kind: 'agent', id: 'MCT-ARCH-002' },
          issue: 'Handoff HO-PM-ARCH: MCT-ARCH-001 produced no first output on task t-1 (design_architecture) within 4 h',
        }),
      }),
    ]);
    expect((clocks.events(OUTPUT)[0]!.data as { options: { label: string }[] }).options.map((o) => o.label)).toEqual([
      'Wait for the first output from MCT-ARCH-001',
      'Reassign the task to MCT-ARCH-002',
      'Escalate to the lead',
    ]);
    clock.set(at(4 * HOUR + 10 * MIN));
    clocks.stop({ type: 'TaskProgressReported' }, 'first progress');
    expect(clocks.events(OUTPUT).map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationResolved']);
    expect(clocks.events(ACK).map((e) => e.type)).toEqual([]);
  });

  it('completion (or cancellation) stops both clocks and resolves what was raised', () => {
    clock.set(at(4 * HOUR + MIN));
    clocks.tick();
    expect(clocks.events(ACK).map((e) => e.type)).toEqual(['EscalationRaised']);
    expect(clocks.events(OUTPUT).map((e) => e.type)).toEqual(['EscalationRaised']);
    clocks.stop({ type: 'TaskCompleted' }, 'completed');
    expect(clocks.events(ACK).map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationResolved']);
    expect(clocks.events(OUTPUT).map((e) => e.type)).toEqual(['EscalationRaised', 'EscalationResolved']);
  });

  it('a released task keeps its clock: assigned again at 20 min, the breach is still at 30 min and names the new holder', () => {
    clock.set(at(20 * MIN));
    clocks.assign('MCT-ARCH-003', at(20 * MIN));
    clock.set(at(31 * MIN));
    clocks.tick();
    expect(clocks.events(ACK)).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          since: at(30 * MIN).toISOString(),
          agentId: 'MCT-ARCH-003',
          assignee: { kind: 'agent', id: 'MCT-ARCH-004' },
          issue: 'Handoff HO-PM-ARCH: MCT-ARCH-003 did not acknowledge task t-1 (design_architecture) within 30 min',
        }),
      }),
    ]);
  });

  it('raising twice (a timer fired again, a redelivered event) appends nothing', () => {
    clock.set(at(31 * MIN));
    clocks.tick();
    const w = clocks.watches.get(ACK)!;
    const since = new Date(w.plan.since);
    const draft = draftEscalation(w.plan.facts, { since, now: clock.now(), assignee: { kind: 'agent', id: 'MCT-ARCH-002' } });
    expect(
      decide({ type: 'RaiseEscalation', data: { ...draft, escalationId: ACK, level: 1, assignee: { kind: 'agent', id: 'MCT-ARCH-002' }, since: w.plan.since, ladder: w.plan.ladder }, metadata: { commandId: `raise:${ACK}`, now: clock.now().toISOString() } }, w.state),
    ).toEqual([]);
  });
});

describe('draftEscalation for handoff SLAs', () => {
  it('several specs are all named; without specs, a run or an action it still reads', () => {
    const [ack] = handoffSlaWatches({ ...SLA, specIds: ['HO-ARCH-DEV', 'HO-DEV-SEC'] }, TASK, assignedAt, DEFAULT_LADDER);
    expect(draftEscalation(ack!.plan.facts, { since: at(30 * MIN), now: at(31 * MIN) }).issue).toBe(
      'Handoff HO-ARCH-DEV, HO-DEV-SEC: MCT-ARCH-001 did not acknowledge task t-1 (design_architecture) within 30 min',
    );
    const [bare] = handoffSlaWatches({ specIds: [], acknowledgmentMs: 90 * MIN, firstOutputMs: null }, { taskId: 't-2', action: null, agentId: 'a-1', runId: null, stageId: null }, assignedAt, DEFAULT_LADDER);
    const d = draftEscalation(bare!.plan.facts, { since: at(90 * MIN), now: at(90 * MIN) });
    expect(d).toMatchObject({ issue: 'Handoff: a-1 did not acknowledge task t-2 within 1 h 30 min', blocking: 'Task t-2', workflowStage: null });
    // Without a known peer, the reassign option stays generic.
    expect(d.options[1]!.label).toBe('Reassign the task to a peer agent');
  });
});

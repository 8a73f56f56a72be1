import { errorCodeOf, type Actor } from '@baton/contracts';
import { parseWorkflowOrThrow, type WorkflowDefinition } from '@baton/workflow-dsl';
import { eventLabels, givenRun, readableTaskId } from '../../testing/run-decider';
import { checksFor, nextAgentIds, upstreamStages, type RunCommand, type RunDeciderContext } from './run.decider';
import type { RunEvent } from './run.events';
import { foldRun, type ExistingRun } from './run.state';

const T0 = '2026-11-22T09:00:00.000Z';
let seq = 0;
const meta = () => ({ commandId: `cmd-${++seq}`, now: T0 });
const alice: Actor = { kind: 'human', id: 'alice' };
const bob: Actor = { kind: 'human', id: 'bob' };

/** The shape of seed 000's Feature Development, cut to the stages that hold work. */
const FEATURE = parseWorkflowOrThrow(`
workflow:
  name: feature
  id: feature
  version: "1"
  stages:
    - stage: requirements
      agent: PM
      action: write_prd
      outputs: [prd.md]
      quality_gate: ["prd_completeness >= 100%", "no_ambiguous_terms"]
      approvers: [CPO]
      next: implementation
    - stage: implementation
      parallel_agents:
        - { agent: BE, action: implement_backend }
        - { agent: FE, action: implement_frontend }
      sync_point: all_complete
      next: security_review
    - stage: security_review
      agent: SEC
      action: security_scan
      blocking: true
      criteria: [no_critical_vulnerabilities, no_secrets_exposed]
      next: production_deploy
    - stage: production_deploy
      agent: OPS
      action: deploy_production
      requires_approval: [Human]
      next: complete
    - stage: complete
      action: notify_stakeholders
`);

function ctx(def: WorkflowDefinition): RunDeciderContext {
  return {
    def,
    taskId: readableTaskId,
    handoffSpecsFor: (from, to) => (from === 'PM' ? ['HO-PM-ARCH'] : from === 'BE' && to.includes('SEC') ? ['HO-DEV-SEC'] : []),
    handoffSlaFor: (to, from) => (to === 'SEC' && from.includes('BE') ? { specIds: ['HO-DEV-SEC'], acknowledgmentMs: 600_000, firstOutputMs: null } : null),
  };
}

/** Drives a run through commands, keeping the history. */
class Run {
  history: RunEvent[] = [];
  constructor(readonly def: WorkflowDefinition) {}
  get state(): ExistingRun {
    return foldRun(this.history) as ExistingRun;
  }
  when(command: RunCommand): RunEvent[] {
    const out = givenRun(this.def, this.history, ctx(this.def)).when(command).events;
    this.history.push(...out);
    return out;
  }
  start(by: Actor | null = alice): RunEvent[] {
    return this.when({ type: 'StartRun', data: { runId: 'r1', params: {}, priority: 'P1', trigger: {}, startedBy: by }, metadata: meta() });
  }
  result(id: string, outputs: Record<string, unknown> = {}, agentId = 'agent-x'): RunEvent[] {
    return this.when({ type: 'RecordTaskResult', data: { taskId: id, status: 'succeeded', agentId, outputs, error: null }, metadata: meta() });
  }
  approve(stageId: string, by: Actor, reason = 'looks good'): RunEvent[] {
    return this.when({ type: 'ApproveStage', data: { stageId, reason, by }, metadata: meta() });
  }
  reject(stageId: string, by: Actor, reason = 'no'): RunEvent[] {
    return this.when({ type: 'RejectStage', data: { stageId, reason, by }, metadata: meta() });
  }
  /** Requirements done and approved by the CPO, implementation done. */
  throughImplementation(): void {
    this.start();
    this.result('r1.requirements.1.requirements', {}, 'PM');
    this.result('r1.requirements.1.approval-CPO', { decision: 'approved', reason: 'clear PRD' }, 'CPO');
    this.result('r1.implementation.1.implement_backend', {}, 'BE');
    this.result('r1.implementation.1.implement_frontend', {}, 'FE');
  }
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('run decider: checks, approvals, reviews and escalation', () => {
  it('gives each task the checks of its stage: specs from its agent to the next, gates on the stage task, review mode on blocking criteria', () => {
    const run = new Run(FEATURE);
    const started = run.start()[1];
    expect(started).toMatchObject({
      type: 'StageStarted',
      data: {
        tasks: [
          {
            checks: {
              mode: 'handoff',
              specIds: ['HO-PM-ARCH'],
              toAgentIds: ['BE', 'FE'],
              declaredOutputs: ['prd.md'],
              qualityGate: ['prd_completeness >= 100%', 'no_ambiguous_terms'],
              criteria: [],
            },
            inputs: { checks: { specIds: ['HO-PM-ARCH'] } },
          },
        ],
      },
    });
    const c = ctx(FEATURE);
    const impl = FEATURE.stages['implementation']!;
    expect(checksFor(FEATURE, impl, 'implement_backend', impl.branches[0]!.agent, c)).toEqual({
      mode: 'handoff',
      specIds: ['HO-DEV-SEC'],
      toAgentIds: ['SEC'],
      declaredOutputs: null,
      qualityGate: [],
      criteria: [],
    });
    expect(checksFor(FEATURE, impl, 'implement_frontend', impl.branches[1]!.agent, c)).toBeNull();
    const sec = FEATURE.stages['security_review']!;
    expect(checksFor(FEATURE, sec, 'security_review', sec.agent, c)).toMatchObject({ mode: 'review', criteria: ['no_critical_vulnerabilities', 'no_secrets_exposed'] });
    expect(nextAgentIds(FEATURE, 'security_review')).toEqual(['OPS']);
    // The security engineer receives the developers' handoff: its task carries that handoff's SLAs.
    expect(started?.data).not.toHaveProperty('tasks.0.inputs.handoffSla');
    const sec2 = new Run(FEATURE);
    sec2.throughImplementation();
    const secStarted = sec2.history.find((e) => e.type === 'StageStarted' && e.data.stageId === 'security_review');
    expect(secStarted).toMatchObject({ data: { tasks: [{ inputs: { handoffSla: { specIds: ['HO-DEV-SEC'], acknowledgmentMs: 600_000, firstOutputMs: null } } }] } });
    expect(upstreamStages(FEATURE, 'security_review')).toEqual(['implementation']);
  });

  it('agent approvers get approve_stage tasks once the work is done; all approving completes the stage', () => {
    const run = new Run(FEATURE);
    run.start();
    const done = run.result('r1.requirements.1.requirements', { artifacts: { 'prd.md': { hash: 'sha256:x' } } }, 'PM');
    expect(eventLabels(done)).toEqual(['StageTaskFinished:requirements', 'StageApprovalRequested:requirements']);
    expect(done[1]).toMatchObject({
      data: {
        kind: 'agent',
        when: 'after',
        approvers: ['CPO'],
        taskIds: ['r1.requirements.1.approval-CPO'],
        tasks: [{ action: 'approve_stage', requirement: { agentId: 'CPO' }, inputs: { approve: { outputs: { artifacts: { 'prd.md': { hash: 'sha256:x' } } } } } }],
      },
    });
    expect(run.state.stages['requirements']?.status).toBe('running');
    // People cannot step in for an agent approver.
    expect(errorCodeOf(thrown(() => run.approve('requirements', bob)))).toBe('ILLEGAL_TRANSITION');
    const approved = run.result('r1.requirements.1.approval-CPO', { decision: 'approved', reason: 'clear PRD' }, 'CPO');
    expect(eventLabels(approved)).toEqual(['StageTaskFinished:requirements', 'StageApproved:requirements', 'StageCompleted:requirements', 'StageStarted:implementation']);
    expect(approved[1]).toMatchObject({ data: { by: { kind: 'agent', id: 'CPO' }, reason: 'clear PRD' } });
  });

  it('an approver rejection sends the work back with the findings; the third rejection goes to a human', () => {
    const run = new Run(FEATURE);
    run.start();
    run.result('r1.requirements.1.requirements', {}, 'PM');
    const rejected = run.result('r1.requirements.1.approval-CPO', { decision: 'rejected', reason: 'no success metrics', findings: [{ title: 'metrics missing' }] }, 'CPO');
    expect(eventLabels(rejected)).toEqual(['StageTaskFinished:requirements', 'StageRejected:requirements', 'StageReworkRequested:requirements', 'StageStarted:requirements']);
    expect(rejected[3]).toMatchObject({
      data: { iteration: 2, tasks: [{ taskId: 'r1.requirements.2.requirements', inputs: { feedback: { by: { id: 'CPO' }, reason: 'no success metrics', findings: [{ title: 'metrics missing' }] } } }] },
    });
    run.result('r1.requirements.2.requirements', {}, 'PM');
    run.result('r1.requirements.2.approval-CPO', { decision: 'rejected', reason: 'still vague' }, 'CPO');
    run.result('r1.requirements.3.requirements', {}, 'PM');
    const third = run.result('r1.requirements.3.approval-CPO', { decision: 'rejected', reason: 'no' }, 'CPO');
    expect(eventLabels(third)).toEqual(['StageTaskFinished:requirements', 'StageRejected:requirements', 'StageEscalated:requirements']);
    expect(third[2]).toMatchObject({
      data: { trigger: 'repeated_rejections', rejections: 3, blocking: expect.stringContaining('implementation'), options: [{ label: expect.stringContaining('baton approve') }, { label: expect.stringContaining('baton reject') }] },
    });
    // A person grants an exception; the one who started the run may not.
    expect(errorCodeOf(thrown(() => run.approve('requirements', alice)))).toBe('FORBIDDEN');
    const granted = run.approve('requirements', bob, 'ship it, metrics come later');
    expect(eventLabels(granted)).toEqual(['StageApproved:requirements', 'StageCompleted:requirements', 'StageStarted:implementation']);
  });

  it('a blocking review whose criteria fail sends the work upstream, then passes on the next round', () => {
    const run = new Run(FEATURE);
    run.throughImplementation();
    const failures = [{ source: 'criteria', specId: null, artifact: null, rule: 'no_critical_vulnerabilities', message: 'critical: SQL injection in /login', missing: [] }];
    const blocked = run.result('r1.security_review.1.security_review', { verdict: 'rejected', handoff: { failures } }, 'SEC');
    expect(eventLabels(blocked)).toEqual([
      'StageTaskFinished:security_review',
      'StageRejected:security_review',
      'StageReworkRequested:security_review',
      'StageStarted:implementation',
    ]);
    expect(blocked[1]).toMatchObject({ data: { by: { kind: 'agent', id: 'SEC' }, rejections: 1, findings: failures } });
    expect(blocked[3]).toMatchObject({ data: { iteration: 2, tasks: [{ inputs: { feedback: { findings: failures } } }, { inputs: { feedback: { findings: failures } } }] } });
    run.result('r1.implementation.2.implement_backend', {}, 'BE');
    const again = run.result('r1.implementation.2.implement_frontend', {}, 'FE');
    expect(eventLabels(again)).toEqual(['StageTaskFinished:implementation', 'StageCompleted:implementation', 'StageStarted:security_review']);
    expect(again[2]).toMatchObject({ data: { iteration: 2 } });
    const passed = run.result('r1.security_review.2.security_review', { handoff: { status: 'accepted' } }, 'SEC');
    expect(eventLabels(passed)).toEqual(['StageTaskFinished:security_review', 'StageCompleted:security_review', 'StageApprovalRequested:production_deploy']);
  });

  it('requires_approval holds a stage before its tasks; a human approves through ApproveStage', () => {
    const run = new Run(FEATURE);
    run.throughImplementation();
    const held = run.result('r1.security_review.1.security_review', {}, 'SEC');
    expect(held[2]).toMatchObject({ type: 'StageApprovalRequested', data: { stageId: 'production_deploy', kind: 'human', when: 'before', approvers: ['Human'], iteration: 1, taskIds: [] } });
    expect(run.state.status).toBe('running');
    expect(run.state.stages['production_deploy']).toMatchObject({ status: 'running', tasks: {}, awaiting: { reason: 'requires_approval' } });
    expect(errorCodeOf(thrown(() => run.approve('production_deploy', alice)))).toBe('FORBIDDEN');
    expect(errorCodeOf(thrown(() => run.approve('security_review', bob)))).toBe('ILLEGAL_TRANSITION');
    expect(errorCodeOf(thrown(() => run.approve('nope', bob)))).toBe('NOT_FOUND');
    const go = run.approve('production_deploy', bob, 'change window open');
    expect(eventLabels(go)).toEqual(['StageApproved:production_deploy', 'StageStarted:production_deploy']);
    expect(go[0]).toMatchObject({ data: { by: bob, reason: 'change window open', iteration: 1 } });
    expect(go[1]).toMatchObject({ data: { iteration: 1, tasks: [{ taskId: 'r1.production_deploy.1.production_deploy' }] } });
    // Approving twice: the stage no longer waits.
    expect(errorCodeOf(thrown(() => run.approve('production_deploy', bob)))).toBe('ILLEGAL_TRANSITION');
    const end = run.result('r1.production_deploy.1.production_deploy', {}, 'OPS');
    expect(eventLabels(end)).toEqual(['StageTaskFinished:production_deploy', 'StageCompleted:production_deploy', 'StageStarted:complete', 'StageCompleted:complete', 'RunCompleted']);
  });

  it('a human rejection of a held stage fails it with the reason, and the run with it', () => {
    const run = new Run(FEATURE);
    run.throughImplementation();
    run.result('r1.security_review.1.security_review', {}, 'SEC');
    const no = run.reject('production_deploy', bob, 'freeze week');
    expect(eventLabels(no)).toEqual(['StageRejected:production_deploy', 'StageFailed:production_deploy', 'RunFailed']);
    expect(run.state.error).toContain('rejected by bob: freeze week');
  });
});

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { handoff, type AgentTask, type HandoffResult, type TaskOutputs } from '@baton/agent-sdk';
import {
  GetRun,
  ListEscalations,
  ListHandoffs,
  RegisterWorkflow,
  StartRun,
  runStreamId,
  type EscalationView,
  type RecordedEvent,
  type RuleFailure,
} from '@baton/contracts';
import { sampleArtifacts, sampleContext } from '@baton/handoff-rules';
import { tamperAsTableOwner } from '@baton/event-store';
import { BatonClient } from '@baton/messaging';
import { uniqueId, waitFor } from '@baton/testing';
import { FEATURE_TEAM, PRD_WITHOUT_STORIES, runFinished, standardFeatureWork, startTeam, type TeamMember } from './support/feature-team';
import { E2eStack } from './support/e2e-stack';
import { repoRoot, runBaton, type CliResult } from './support/stack';

// The issue's acceptance run: seed 000's Feature Development, with every service as a process
// (agent-registry, scheduler, handoff-validator, escalation) on a private NATS server and a fresh
// database, a scripted team of SDK agents in this process, and people acting through the `baton`
// CLI. The workflow is the seed's, plus a code review stage after the security review (the review
// loop of seed 001: rejected → back to implementation, at most 3 times), because 000 has none.

/** The seed workflow with a 001-style code review inserted after security_review. */
async function featureWorkflow(): Promise<string> {
  const seed = await readFile(path.join(repoRoot, 'examples/workflows/feature-development.yml'), 'utf8');
  const withReview = seed.replace('next: "testing"', 'next: "code_review"').replace(
    '    - stage: "testing"',
    [
      '    - stage: "code_review"',
      '      agent: "code-reviewer"',
      '      action: "review_code"',
      '      next: { approved: "testing", rejected: "implementation" }',
      '      loop: { back_to: "implementation", max_iterations: 3 }',
      '',
      '    - stage: "testing"',
    ].join('\n'),
  );
  if (withReview === seed || !withReview.includes('code_review')) throw new Error('examples/workflows/feature-development.yml changed: the code review could not be inserted');
  return withReview;
}

/** The seed's team, and the code reviewer the inserted review stage names. */
const TEAM: readonly TeamMember[] = [...FEATURE_TEAM, { agentId: 'code-reviewer', role: 'quality_gate' }];

/** What the scripted team saw and did, for the assertions. */
interface Script {
  prdFeedback: RuleFailure[] | null;
  securityScans: number;
  codeReviews: number;
}

/** The scripted team: each agent does its action; the PM, the security engineer and the code reviewer follow the story of the test. */
function teamHandler(agentId: string, script: Script) {
  return async (task: AgentTask): Promise<TaskOutputs | HandoffResult> => {
    const rework = task.inputs['rework'] as { failures: RuleFailure[] } | undefined;
    switch (task.action) {
      case 'approve_stage':
        return { decision: 'approved', reason: `${agentId} approves ${String(task.stageId)}` };
      case 'create_initiative':
        return handoff({ artifacts: { 'initiative_brief.md': '# Initiative: scheduled report exports\n\nAdmins want reports on a schedule.\n' } });
      case 'write_prd':
        if (rework === undefined) return handoff({ artifacts: { 'prd.md': PRD_WITHOUT_STORIES }, context: sampleContext, outputs: { prd_completeness: 100 } });
        script.prdFeedback = rework.failures;
        return handoff({ artifacts: { 'prd.md': sampleArtifacts['prd.md'] }, context: sampleContext, outputs: { prd_completeness: 100 } });
      case 'security_scan':
        script.securityScans += 1;
        // The first scan finds a critical vulnerability; after the fix, only a low one.
        return script.securityScans === 1
          ? { findings: [{ severity: 'critical', title: 'SQL injection in GET /exports?report=' }], auth_review_passed: true }
          : { findings: [{ severity: 'low', title: 'Verbose 404 message' }], auth_review_passed: true };
      case 'review_code':
        script.codeReviews += 1;
        // The first three reviews reject: the loop's bound is reached and a person decides.
        return script.codeReviews <= 3
          ? { outcome: 'rejected', reason: `review ${script.codeReviews}: error handling is missing`, findings: [{ severity: 'major', title: 'unhandled promise rejection' }] }
          : { outcome: 'approved', reason: 'fine now' };
      case 'deploy_production':
        return handoff({ artifacts: { 'deployment_record.md': '# Deployment record\n\nv1.4.0 to production.\n' } });
      default:
        return standardFeatureWork(task.action) ?? { done: task.action };
    }
  };
}

describe('Feature Development with handoffs, reviews, approvals, escalation and audit (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_feature_dev' });
  let client: BatonClient;
  const script: Script = { prdFeedback: null, securityScans: 0, codeReviews: 0 };
  let runId: string;

  const baton = (args: readonly string[], as = 'alice'): Promise<CliResult> => runBaton(['--nats', stack.natsUrl, ...args], { ...stack.common, BATON_USER: as });
  const runEvents = async (): Promise<RecordedEvent[]> => {
    const r = await baton(['audit', runId, '--json']);
    if (r.code !== 0) throw new Error(`baton audit failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as RecordedEvent[];
  };
  const label = (e: RecordedEvent): string => {
    const d = e.data as { stageId?: string };
    return e.type.startsWith('Stage') && d.stageId !== undefined ? `${e.type}:${d.stageId}` : e.type;
  };

  beforeAll(async () => {
    await stack.start();
    client = new BatonClient(stack.nc, { timeoutMs: 20_000 });
    await stack.workflowServices(uniqueId('e2e-feat'));
    await startTeam(stack, TEAM, (agentId) => teamHandler(agentId, script));
  });

  afterAll(() => stack.stop());

  it('runs to success: a PRD reworked, a blocking security finding fixed, a code review escalated and granted, a deploy approved through the CLI', async () => {
    const reg = await client.command(RegisterWorkflow, { yaml: await featureWorkflow(), file: 'feature-development+code-review.yml' }, { commandId: randomUUID() });
    ({ runId } = await client.command(StartRun, { workflowId: reg.workflowId, params: {}, priority: 'P1' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'alice' } }));

    // 1. The first PRD lacks user stories: rejected with the missing items, then fixed and accepted.
    const prdHandoffs = await waitFor(
      async () => {
        const { handoffs } = await client.query(ListHandoffs, { runId, limit: 100 });
        const prd = handoffs.filter((h) => h.stageId === 'requirements');
        return prd.some((h) => h.status === 'accepted') ? prd : undefined;
      },
      { what: 'the PRD handoff accepted', timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(prdHandoffs.map((h) => h.status)).toEqual(['rejected', 'accepted']);
    const storyFailures = prdHandoffs[0]!.failures.filter((f) => /user.stor/i.test(`${f.rule} ${f.message} ${f.missing.join(' ')}`));
    expect(storyFailures.length).toBeGreaterThan(0);
    expect(storyFailures[0]).toMatchObject({ source: 'handoff', specId: 'HO-PM-ARCH', artifact: 'prd.md' });
    expect(script.prdFeedback).toEqual(prdHandoffs[0]!.failures);
    expect(prdHandoffs[1]!.artifacts.find((a) => a.name === 'prd.md')?.hash).toMatch(/^sha256:[0-9a-f]{64}$/);

    // 2.-3. The code review rejects three times and goes to a person, through the escalation service.
    const escalation = await waitFor(
      async () => {
        const { escalations } = await client.query(ListEscalations, { runId, limit: 100 });
        return escalations.find((e: EscalationView) => e.stageId === 'code_review' && e.status === 'open');
      },
      { what: 'the code review escalated to a person', timeoutMs: 90_000, intervalMs: 250 },
    );
    expect(escalation).toMatchObject({ level: 3, assignee: { kind: 'human' }, trigger: 'repeated_rejections', workflowStage: expect.stringContaining('code_review') });
    expect(escalation.options.length).toBeGreaterThanOrEqual(2);
    expect(escalation.blocking).toContain('testing');
    expect(script.codeReviews).toBe(3);
    const shown = await baton(['escalations', 'show', escalation.escalationId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/Issue/);
    expect(shown.stdout).toMatch(/Options/);
    const resolved = await baton(['escalations', 'resolve', escalation.escalationId, '--resolution', 'exception_granted', '--reason', 'error handling lands in the follow-up ticket'], 'cto');
    expect(resolved).toMatchObject({ code: 0 });

    // 4. Production deploy waits for a person: not the one who started the run.
    await waitFor(
      async () => {
        const r = await client.query(GetRun, { runId });
        return r.steps.some((s) => s.stepId === 'production_deploy') ? r : undefined;
      },
      { what: 'the run at production_deploy', timeoutMs: 60_000, intervalMs: 250 },
    );
    const replayNow = await waitFor(
      async () => {
        const r = await baton(['replay', runId, '--json']);
        const view = JSON.parse(r.stdout) as { stages: { stageId: string; status: string }[] };
        return view.stages.find((s) => s.stageId === 'production_deploy' && s.status === 'awaiting_approval') ? view : undefined;
      },
      { what: 'production_deploy awaiting approval', timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(replayNow.stages.find((s) => s.stageId === 'production_deploy')).toMatchObject({ status: 'awaiting_approval' });
    const selfApproval = await baton(['approve', runId, 'production_deploy', '--reason', 'my own run'], 'alice');
    expect(selfApproval.code).toBe(1);
    expect(selfApproval.stderr).toContain('FORBIDDEN');
    const approved = await baton(['approve', runId, 'production_deploy', '--reason', 'change window open'], 'release-manager');
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved stage production_deploy');

    const result = await runFinished(client, runId);
    expect(result.state).toBe('success');
    expect(script.securityScans).toBeGreaterThanOrEqual(2);
  });

  it('the audit timeline shows every step in order, with actors and reasons', async () => {
    const events = await waitFor(
      async () => {
        const all = await runEvents();
        return all.some((e) => e.type === 'RunCompleted') && all.some((e) => e.type === 'EscalationResolved') ? all : undefined;
      },
      { what: 'the whole run in the audit', timeoutMs: 30_000, intervalMs: 500 },
    );
    const labels = events.map(label);
    /** Finds each step of `story` in the timeline after the step before it (the first after `from`); returns where each is. */
    const inOrder = (story: readonly string[], from = 0): Map<string, number> => {
      const found = new Map<string, number>();
      for (const l of story) {
        const i = labels.indexOf(l, from);
        if (i < 0) throw new Error(`${l} is not in the audit timeline after #${from}:\n${labels.join('\n')}`);
        found.set(l, (from = i));
      }
      return found;
    };
    // Every step of the story, in order.
    const story = inOrder([
      'HandoffRejected',
      'HandoffAccepted',
      'StageApproved:requirements',
      'StageRejected:security_review',
      'StageReworkRequested:security_review',
      'StageEscalated:code_review',
      'EscalationRaised',
      'StageApproved:code_review',
      'StageApprovalRequested:production_deploy',
      'StageApproved:production_deploy',
      'StageStarted:production_deploy',
      // The run completes only after the `complete` stage's cleanup, done by the housekeeping agent.
      'StageCleanupStarted:complete',
      'StageCompleted:complete',
      'RunCompleted',
    ]);
    const step = (l: string): RecordedEvent => events[story.get(l)!]!;
    const escRaised = story.get('EscalationRaised')!;
    const escResolved = inOrder(['EscalationResolved'], escRaised).get('EscalationResolved')!;
    const cleanup = step('StageCleanupStarted:complete').data as { tasks: { action: string; taskId: string }[] };
    expect(cleanup.tasks.map((t) => t.action)).toEqual(['archive_artifacts', 'close_tickets']);
    expect(step('StageCompleted:complete').data).toMatchObject({ cleanupFailed: [] });
    const cleanupTaskIds = new Set(cleanup.tasks.map((t) => t.taskId));
    const cleanedBy = events.filter((e) => e.type === 'TaskCompleted' && cleanupTaskIds.has((e.data as { taskId: string }).taskId)).map((e) => (e.data as { agentId: string }).agentId);
    expect(cleanedBy).toEqual(['MCT-HK-001', 'MCT-HK-001']);
    expect(escResolved).toBeGreaterThan(escRaised);
    // Positions only grow.
    const positions = events.map((e) => e.position);
    for (let i = 1; i < positions.length; i++) {
      const [a, b] = [positions[i - 1]!, positions[i]!];
      expect(a.commit < b.commit || (a.commit === b.commit && a.prepare < b.prepare)).toBe(true);
    }
    // Who decided and why is recorded.
    expect(step('StageRejected:security_review').data).toMatchObject({ by: { kind: 'agent', id: 'MCT-SEC-001' }, findings: expect.arrayContaining([expect.objectContaining({ rule: 'no_critical_vulnerabilities' })]) });
    expect(step('StageApproved:code_review').data).toMatchObject({ by: { kind: 'human', id: 'cto' }, reason: 'error handling lands in the follow-up ticket' });
    expect(step('StageApproved:production_deploy').data).toMatchObject({ by: { kind: 'human', id: 'release-manager' }, reason: 'change window open' });
    expect(events[escResolved]!.data).toMatchObject({ resolution: 'exception_granted' });
    expect(labels.filter((l) => l === 'StageCompleted:code_review')).toHaveLength(4);

    // The table for people names the same steps.
    const table = await baton(['audit', runId]);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('StageEscalated');
    expect(table.stdout).toContain('HandoffRejected');
  });

  it('replay at a mid-run position gives the state the run had then', async () => {
    const events = (await runEvents()).filter((e) => e.streamId === runStreamId(runId));
    const escalated = events.find((e) => label(e) === 'StageEscalated:code_review')!;
    const at = `${escalated.position.commit}/${escalated.position.prepare}`;
    const r = await baton(['replay', runId, '--at', at, '--json']);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout) as { status: string; revision: number; lastEventType: string; stages: { stageId: string; status: string; rejections: number; runs: number }[] };
    expect(view).toMatchObject({ status: 'running', revision: escalated.revision, lastEventType: 'StageEscalated' });
    const stage = (id: string) => view.stages.find((s) => s.stageId === id);
    expect(stage('code_review')).toMatchObject({ status: 'awaiting_approval', runs: 3 });
    expect(stage('security_review')).toMatchObject({ status: 'succeeded' });
    expect(stage('testing')).toBeUndefined();
    expect(stage('production_deploy')).toBeUndefined();
    // And by revision: just before the PRD stage was approved, requirements still ran.
    const reqApproved = events.find((e) => label(e) === 'StageApproved:requirements')!;
    const before = JSON.parse((await baton(['replay', runId, '--revision', String(reqApproved.revision - 1), '--json'])).stdout) as typeof view;
    expect(before.stages.find((s) => s.stageId === 'requirements')).toMatchObject({ status: 'awaiting_approval' });
    expect(before.stages.find((s) => s.stageId === 'research')).toBeUndefined();
    // The latest state is the end.
    expect(JSON.parse((await baton(['replay', runId, '--json'])).stdout)).toMatchObject({ status: 'success' });
  });

  it('editing one stored event by SQL makes `baton audit verify` fail, naming that stream and revision', async () => {
    const clean = await baton(['audit', 'verify']);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/^ok: \d+ streams, \d+ events/m);
    const events = (await runEvents()).filter((e) => e.streamId === runStreamId(runId));
    const victim = events.find((e) => label(e) === 'StageApproved:production_deploy')!;
    // The change a tamperer would make: the approver's name. Events are append-only, so
    // the tamperer first switches the protection off, as only the tables' owner can.
    const pg = await tamperAsTableOwner(
      stack.db.pool,
      `UPDATE baton_es.events SET data = jsonb_set(data, '{by,id}', '"mallory"') WHERE stream_id = $1 AND revision = $2`,
      [victim.streamId, victim.revision],
    );
    expect(pg.rowCount).toBe(1);
    const broken = await baton(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`BROKEN ${victim.streamId} at revision ${victim.revision}`);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse as parseYaml } from 'yaml';
import {
  branchSyncState,
  compileCondition,
  conditionContext,
  ConditionEvaluationError,
  evaluateCondition,
  evaluateExpression,
  initialStages,
  loadWorkflowFile,
  nextRunAfter,
  nextStages,
  parseDuration,
  parseWorkflowOrThrow,
  resolveParams,
  retryDelayMs,
  shouldSkip,
  toMermaid,
  WorkflowCatalog,
  workflowJsonSchema,
  type RetryPolicy,
  type WorkflowDefinition,
} from './index';

const EXAMPLES = join(__dirname, '../../../examples/workflows');
const example = (file: string): WorkflowDefinition => parseWorkflowOrThrow(readFileSync(join(EXAMPLES, file), 'utf8'), { file });
const yaml = (...l: string[]): WorkflowDefinition => parseWorkflowOrThrow(`${l.join('\n')}\n`, { file: 'test.yml' });

describe('nextStages', () => {
  it('follows sequential next', () => {
    const def = example('feature-development.yml');
    expect(initialStages(def)).toEqual(['initiation']);
    expect(nextStages(def, 'initiation', undefined, { initiation: { status: 'succeeded' } })).toEqual({ ready: ['requirements'], waiting: [], unmatchedOutcome: null, loopExhausted: null });
    expect(nextStages(def, 'complete', undefined, { complete: { status: 'succeeded' } }).ready).toEqual([]);
  });

  it('follows next keyed by outcome and reports an unmatched outcome', () => {
    const def = example('bug-fix.yml');
    expect(nextStages(def, 'triage', 'P0', { triage: { status: 'succeeded', outcome: 'P0' } }).ready).toEqual(['immediate_fix']);
    expect(nextStages(def, 'triage', 'P2', { triage: { status: 'succeeded', outcome: 'P2' } }).ready).toEqual(['backlog']);
    expect(nextStages(def, 'triage', 'P3', { triage: { status: 'succeeded', outcome: 'P3' } })).toMatchObject({ ready: [], unmatchedOutcome: 'P3' });
  });

  it('uses the "*" fallback outcome', () => {
    const def = example('error-investigation.yml');
    expect(nextStages(def, 'detect', 'network', { detect: { status: 'succeeded' } }).ready).toEqual(['analyze_backend']);
    expect(nextStages(def, 'detect', 'database', { detect: { status: 'succeeded' } }).ready).toEqual(['analyze_database']);
  });

  it('readies a DAG stage when all its dependencies are done or skipped (fan-out, fan-in)', () => {
    const def = yaml(
      'name: Dag',
      'steps:',
      '  - id: a',
      '    action: x',
      '  - id: b',
      '    action: x',
      '    depends_on: [a]',
      '  - id: c',
      '    action: x',
      '    depends_on: [a]',
      '  - id: d',
      '    action: x',
      '    depends_on: [b, c]',
    );
    expect(initialStages(def)).toEqual(['a']);
    expect(nextStages(def, 'a', undefined, { a: { status: 'succeeded' } }).ready).toEqual(['b', 'c']);
    expect(nextStages(def, 'b', undefined, { a: { status: 'succeeded' }, b: { status: 'succeeded' }, c: { status: 'running' } }).ready).toEqual([]);
    expect(nextStages(def, 'c', undefined, { a: { status: 'succeeded' }, b: { status: 'succeeded' }, c: { status: 'skipped' } }).ready).toEqual(['d']);
    expect(nextStages(def, 'b', undefined, { a: { status: 'succeeded' }, b: { status: 'failed' } }).ready).toEqual([]);
  });

  it('joins dependencies at an any_complete sync point', () => {
    const def = yaml(
      'name: Join',
      'steps:',
      '  - { id: r1, action: x, depends_on: [] }',
      '  - { id: r2, action: x, depends_on: [] }',
      '  - { id: merge, action: x, depends_on: [r1, r2], sync_point: any_complete }',
    );
    expect(initialStages(def)).toEqual(['r1', 'r2']);
    expect(nextStages(def, 'r2', undefined, { r2: { status: 'succeeded' } }).ready).toEqual(['merge']);
  });

  it('goes round a bounded loop, then continues or escalates when it is exhausted', () => {
    const def = example('devops-pipeline.yml');
    expect(nextStages(def, 'review', 'rejected', { review: { status: 'succeeded', runs: 1 } }).ready).toEqual(['implementation']);
    expect(nextStages(def, 'review', 'rejected', { review: { status: 'succeeded', runs: 3 } })).toMatchObject({
      ready: [],
      loopExhausted: { stageId: 'review', backTo: 'implementation', maxIterations: 3, continueWith: null },
    });
    expect(nextStages(def, 'review', 'approved', { review: { status: 'succeeded', runs: 3 } }).ready).toEqual(['approval']);
    const project = example('long-running-project.yml');
    expect(nextStages(project, 'checkpoint', 'more_work', { checkpoint: { status: 'succeeded', runs: 20 } }).ready).toEqual(['handoff']);
  });

  it('continues past a skipped stage', () => {
    const def = example('backend-feature.yml');
    expect(nextStages(def, 'database_design', undefined, { database_design: { status: 'skipped' } }).ready).toEqual(['implementation']);
    const plan = example('phase-plan.yml');
    expect(nextStages(plan, 'spec_review', undefined, { spec_review: { status: 'skipped' } }).ready).toEqual(['architecture_design']);
  });
});

describe('parallel branches', () => {
  it('syncs parallel_agents at all_complete', () => {
    const stage = example('feature-development.yml').stages['implementation'];
    if (stage === undefined) throw new Error('missing stage');
    expect(branchSyncState(stage, { implement_backend: { status: 'succeeded' }, implement_frontend: { status: 'running' } })).toBe('running');
    expect(branchSyncState(stage, { implement_backend: { status: 'succeeded' }, implement_frontend: { status: 'succeeded' }, create_schema: { status: 'succeeded' } })).toBe('succeeded');
    expect(branchSyncState(stage, { implement_backend: { status: 'failed' } })).toBe('failed');
  });

  it('counts n of m and the stage’s own task with a parallel list', () => {
    const def = yaml('name: P', 'steps:', '  - id: qc', '    agent: agent7', '    action: code_quality_check', '    parallel:', '      - { agent: agent10, action: security_scan }', '      - { agent: agent8, action: performance_test }', '    sync_point: "2_of_3"');
    const stage = def.stages['qc'];
    if (stage === undefined) throw new Error('missing stage');
    expect(branchSyncState(stage, { qc: { status: 'succeeded' }, security_scan: { status: 'failed' } })).toBe('running');
    expect(branchSyncState(stage, { qc: { status: 'succeeded' }, security_scan: { status: 'failed' }, performance_test: { status: 'succeeded' } })).toBe('succeeded');
    expect(branchSyncState(stage, { qc: { status: 'failed' }, security_scan: { status: 'failed' } })).toBe('failed');
  });
});

describe('conditions', () => {
  const def = example('complete-project-build-pipeline.yml');
  const deploy = def.stages['deploy'];
  if (deploy === undefined) throw new Error('missing stage');

  it('evaluates the seed condition over earlier results (true → run, false → skip)', () => {
    const passed = conditionContext(def, { quality_check: { status: 'succeeded', branches: { security_scan: { status: 'succeeded' } } } });
    expect(shouldSkip(deploy, passed)).toEqual({ skip: false });
    const failed = conditionContext(def, { quality_check: { status: 'succeeded', branches: { security_scan: { status: 'failed' } } } });
    expect(shouldSkip(deploy, failed)).toEqual({ skip: true, reason: 'condition "quality_check.success && security_scan.passed" is false' });
  });

  it('applies skip_if with params defaults and overrides', () => {
    const plan = example('phase-plan.yml');
    const stage = plan.stages['codebase_analysis'];
    if (stage === undefined) throw new Error('missing stage');
    expect(shouldSkip(stage, conditionContext(plan, {}))).toEqual({ skip: false });
    expect(shouldSkip(stage, conditionContext(plan, {}, { existing_code: false }))).toEqual({ skip: true, reason: 'skip_if "!params.existing_code" is true' });
  });

  it('reads outputs by stage and as top-level output names', () => {
    const mon = example('continuous-monitoring.yml');
    const rollback = mon.stages['rollback'];
    if (rollback === undefined) throw new Error('missing stage');
    expect(shouldSkip(rollback, conditionContext(mon, { track_errors: { status: 'succeeded', outputs: { error_rate: 0.2 } } }))).toEqual({ skip: false });
    expect(shouldSkip(rollback, conditionContext(mon, { track_errors: { status: 'succeeded', outputs: { error_rate: 0.01 } } })).skip).toBe(true);
    const perf = example('database-performance.yml');
    const review = perf.stages['architecture_review'];
    if (review === undefined) throw new Error('missing stage');
    expect(shouldSkip(review, conditionContext(perf, { investigate: { status: 'succeeded', outputs: { schema_changes_needed: true } } }))).toEqual({ skip: false });
  });

  it('returns ints as numbers and raises typed evaluation errors', () => {
    const scope = { known: ['params', 'trigger', 'a'], outputNames: [], openOutputs: false };
    const sum = compileCondition('params.n', scope);
    if (!sum.ok) throw new Error(sum.message);
    expect(evaluateExpression(sum.condition, { params: { n: 4 } })).toBe(4);
    expect(compileCondition('params.n * 2 + 1', scope)).toEqual({ ok: false, message: 'must be a boolean expression, but it yields int', offset: 0 });
    expect(() => evaluateCondition(sum.condition, { params: { n: 4 } })).toThrow(ConditionEvaluationError);
    const missing = compileCondition('a.outputs.coverage >= 80', scope);
    if (!missing.ok) throw new Error(missing.message);
    expect(evaluateCondition(missing.condition, { a: { outputs: { coverage: 82.5 } } })).toBe(true);
    try {
      evaluateCondition(missing.condition, { a: { outputs: {} } });
      throw new Error('expected an evaluation error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConditionEvaluationError);
      expect((err as ConditionEvaluationError).code).toBe('VALIDATION_FAILED');
      expect((err as ConditionEvaluationError).celCode).toBe('no_such_key');
    }
  });
});

describe('retryDelayMs', () => {
  const policy = (backoff: RetryPolicy['backoff'], jitter: RetryPolicy['jitter'] = 'none'): RetryPolicy => ({ maxAttempts: 6, backoff, initialDelayMs: 1000, maxDelayMs: 5000, jitter });

  it('is fixed, linear or exponential, capped at maxDelayMs', () => {
    expect([1, 2, 3].map((a) => retryDelayMs(policy('fixed'), a))).toEqual([1000, 1000, 1000]);
    expect([1, 2, 3, 6].map((a) => retryDelayMs(policy('linear'), a))).toEqual([1000, 2000, 3000, 5000]);
    expect([1, 2, 3, 4, 5].map((a) => retryDelayMs(policy('exponential'), a))).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it('adds jitter only through an injected random source', () => {
    expect(retryDelayMs(policy('exponential', 'full'), 3)).toBe(4000);
    expect(retryDelayMs(policy('exponential', 'full'), 3, () => 0.25)).toBe(1000);
    expect(() => retryDelayMs(policy('fixed'), 0)).toThrow(RangeError);
  });

  it('takes the workflow default from error_handling', () => {
    const plan = example('phase-plan.yml');
    expect(plan.errorHandling.retry).toEqual({ maxAttempts: 3, backoff: 'exponential', initialDelayMs: 30_000, maxDelayMs: 300_000, jitter: 'none' });
    expect(plan.stages['ci']?.retry).toEqual({ maxAttempts: 2, backoff: 'fixed', initialDelayMs: 60_000, maxDelayMs: 300_000, jitter: 'none' });
  });
});

describe('durations, SLA and timeouts', () => {
  it.each([
    ['4 hours', 14_400_000],
    ['30m', 1_800_000],
    ['48h', 172_800_000],
    ['2 days', 172_800_000],
    ['PT4H', 14_400_000],
    ['P1DT12H', 129_600_000],
    ['1h30m', 5_400_000],
    ['90 s', 90_000],
    ['250ms', 250],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it('rejects zero, bare numbers and unknown units', () => {
    expect(parseDuration('0s').ok).toBe(false);
    expect(parseDuration('10').ok).toBe(false);
    expect(parseDuration('3 fortnights').ok).toBe(false);
  });

  it('puts SLAs and timeouts on stages and branches', () => {
    const plan = example('phase-plan.yml');
    expect(plan.stages['development']?.timeoutMs).toBe(5_400_000);
    expect(plan.stages['development']?.branches.map((b) => b.timeoutMs)).toEqual([2_700_000, 2_700_000, 1_200_000]);
    expect(example('error-investigation.yml').stages['detect']?.slaMs).toBe(1_800_000);
  });
});

describe('schedule triggers', () => {
  it('computes the next run after a fixed date', () => {
    const mon = example('continuous-monitoring.yml');
    expect(nextRunAfter(mon.trigger, new Date('2026-11-22T10:03:12Z'))?.toISOString()).toBe('2026-11-22T10:05:00.000Z');
    const weekdays = yaml('name: W', 'trigger: { type: schedule, cron: "0 9 * * MON-FRI", timezone: "Europe/Berlin" }', 'steps:', '  - action: report');
    expect(nextRunAfter(weekdays.trigger, new Date('2026-11-21T12:00:00Z'))?.toISOString()).toBe('2026-11-23T08:00:00.000Z');
    expect(nextRunAfter(example('bug-fix.yml').trigger, new Date('2026-11-22T00:00:00Z'))).toBeNull();
  });
});

describe('WorkflowCatalog', () => {
  const v1 = yaml('name: Cat', 'id: cat', 'version: "1.0.0"', 'steps:', '  - action: a');
  const v1changed = yaml('name: Cat', 'id: cat', 'version: "1.0.0"', 'steps:', '  - action: b');
  const v110 = yaml('name: Cat', 'id: cat', 'version: "1.10.0"', 'steps:', '  - action: b');
  const v19 = yaml('name: Cat', 'id: cat', 'version: "1.9.0"', 'steps:', '  - action: c');

  it('returns the latest version or a pinned one', () => {
    const catalog = [v1, v110, v19].reduce((c, d) => c.register(d).catalog, WorkflowCatalog.empty());
    expect(catalog.get('cat')?.version).toBe('1.10.0');
    expect(catalog.get('cat', '1.0.0')?.hash).toBe(v1.hash);
    expect(catalog.get('cat', '2.0.0')).toBeUndefined();
    expect(catalog.versions('cat')).toEqual(['1.0.0', '1.10.0', '1.9.0']);
    expect(catalog.ids()).toEqual(['cat']);
  });

  it('is idempotent for the same content and rejects changed content under a used version with CONFLICT', () => {
    const { catalog } = WorkflowCatalog.empty().register(v1);
    expect(catalog.register(v1)).toEqual({ catalog, added: false });
    expect(() => catalog.register(v1changed)).toThrow(expect.objectContaining({ code: 'CONFLICT', retryable: false }));
  });
});

describe('JSON Schema', () => {
  const schemaFile = join(__dirname, '..', 'schema', 'workflow.schema.json');

  it('is committed and up to date (regenerate with: npm run -w @baton/workflow-dsl gen:schema)', () => {
    const committed: unknown = JSON.parse(readFileSync(schemaFile, 'utf8'));
    expect(committed).toEqual(workflowJsonSchema());
  });

  it('accepts every example and rejects an unknown key', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const validate = ajv.compile(workflowJsonSchema());
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'))) {
      const ok = validate(parseYaml(readFileSync(join(EXAMPLES, file), 'utf8')));
      if (!ok) throw new Error(`${file}: ${ajv.errorsText(validate.errors)}`);
    }
    expect(validate({ name: 'x', steps: [{ action: 'a', bogus: 1 }] })).toBe(false);
    expect(validate({ name: 'x', 'x-team': 'a', steps: [{ action: 'a', 'x-ui': {} }] })).toBe(true);
  });
});

describe('toMermaid', () => {
  it('draws next, outcome labels, loops and dependencies', () => {
    const chart = toMermaid(example('devops-pipeline.yml'));
    expect(chart).toContain('review -->|rejected (loop ≤3)| implementation');
    expect(chart).toContain('triage --> architecture_review');
    expect(toMermaid(example('complete-project-build-pipeline.yml'))).toContain('scaffold -.-> build_api');
  });
});

describe('examples/agents.yaml', () => {
  it('defines every agent id and role the example workflows name', () => {
    const roster = parseYaml(readFileSync(join(EXAMPLES, '..', 'agents.yaml'), 'utf8')) as { agents: { id: string; role: string; model: string; max_concurrency: number }[] };
    const ids = new Set(roster.agents.map((a) => a.id));
    const roles = new Set(roster.agents.map((a) => a.role));
    const named: string[] = [];
    for (const file of readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'))) {
      const def = example(file);
      for (const stage of Object.values(def.stages)) {
        for (const agent of [stage.agent, ...stage.branches.map((b) => b.agent)]) {
          if (agent?.kind === 'id') named.push(agent.value);
        }
      }
    }
    expect(named.filter((id) => !ids.has(id))).toEqual([]);
    expect([...roles]).toEqual(expect.arrayContaining(['lead', 'architect', 'implementer', 'investigator', 'quality_gate', 'coordinator', 'researcher', 'specialist']));
    expect(roster.agents.every((a) => a.max_concurrency >= 1 && typeof a.model === 'string')).toBe(true);
  });
});

describe('resolveParams', () => {
  it('overlays defaults, checks types, required and unknown names', () => {
    const plan = example('phase-plan.yml');
    expect(resolveParams(plan, { existing_code: false })).toEqual({
      ok: true,
      params: { existing_code: false, simple_crud: false, auth_required: true, uses_orm_patterns: false },
    });
    expect(resolveParams(plan, { simple_crud: 'yes', colour: 'red' })).toEqual({
      ok: false,
      errors: ['parameter "simple_crud" must be of type boolean', 'workflow phase-plan has no parameter "colour"'],
    });
    const needs = yaml('name: N', 'params:', '  target: { type: string, required: true }', 'steps:', '  - action: a');
    expect(resolveParams(needs, {})).toEqual({ ok: false, errors: ['parameter "target" is required'] });
    expect(resolveParams(example('complete-project-build.yml'), { projectName: 'my-app' })).toEqual({ ok: true, params: { projectName: 'my-app' } });
  });
});

describe('loop on_exhausted', () => {
  it('makes its target reachable and continues there', () => {
    const def = yaml(
      'workflow:',
      '  name: L',
      '  stages:',
      '    - { stage: work, action: w, next: check }',
      '    - stage: check',
      '      action: c',
      '      next: { again: work, done: finish }',
      '      loop: { back_to: work, max_iterations: 2, on_exhausted: escalate }',
      '    - { stage: finish, action: f }',
      '    - { stage: escalate, action: e }',
    );
    expect(nextStages(def, 'check', 'again', { check: { status: 'succeeded', runs: 2 } })).toMatchObject({
      ready: ['escalate'],
      loopExhausted: { stageId: 'check', backTo: 'work', maxIterations: 2, continueWith: 'escalate' },
    });
  });
});

describe('loadWorkflowFile', () => {
  it('reads an example file and names it by its base name', async () => {
    const def = await loadWorkflowFile(join(EXAMPLES, 'bug-fix.yml'));
    expect(def).toMatchObject({ id: 'WF-BUG-001', source: 'bug-fix.yml' });
  });
});

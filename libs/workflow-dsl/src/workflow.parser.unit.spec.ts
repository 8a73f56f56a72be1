import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { thrownBy } from '@baton/testing';
import { formatDiagnostic, parseWorkflow, parseWorkflowOrThrow, WorkflowDefinitionError } from './index';

const EXAMPLES = join(__dirname, '../../../examples/workflows');

/** Formatted diagnostics of a definition that must be rejected. */
function errorsOf(text: string): string[] {
  const r = parseWorkflow(text, { file: 'bad.yml' });
  if (r.ok) throw new Error('expected the definition to be rejected');
  return r.errors.map(formatDiagnostic);
}

const lines = (...l: string[]): string => `${l.join('\n')}\n`;

describe('examples/workflows', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yml'));

  it('ships the seed workflows and the 001/002 workflows', () => {
    expect(files.length).toBeGreaterThanOrEqual(14);
  });

  it.each(files)('%s parses and validates', (file) => {
    const r = parseWorkflow(readFileSync(join(EXAMPLES, file), 'utf8'), { file });
    if (!r.ok) throw new Error(r.errors.map(formatDiagnostic).join('\n'));
    expect(r.workflow.stageOrder.length).toBeGreaterThan(0);
    expect(r.workflow.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('normalization of the seed shapes', () => {
  const load = (file: string) => parseWorkflowOrThrow(readFileSync(join(EXAMPLES, file), 'utf8'), { file });

  it('compiles Feature Development (seed 000)', () => {
    const def = load('feature-development.yml');
    expect(def).toMatchObject({ id: 'WF-FEAT-001', name: 'Feature Development', version: '1.0.0', versionDeclared: true });
    expect(def.trigger).toEqual({ kind: 'manual', authorized: ['CPO', 'Human'] });
    expect(def.entryStages).toEqual(['initiation']);
    const impl = def.stages['implementation'];
    expect(impl?.action).toBeNull();
    expect(impl?.branches.map((b) => [b.id, b.agent.value, b.tickets])).toEqual([
      ['implement_backend', 'MCT-BE-001', 'backend_tickets[]'],
      ['implement_frontend', 'MCT-FE-001', 'frontend_tickets[]'],
      ['create_schema', 'MCT-DBA-001', 'database_tickets[]'],
    ]);
    expect(impl?.syncPoint).toEqual({ kind: 'all_complete' });
    expect(def.stages['research']?.concurrent).toBe(true);
    expect(def.stages['security_review']).toMatchObject({ blocking: true, criteria: ['no_critical_vulnerabilities', 'no_secrets_exposed', 'auth_review_passed'] });
    expect(def.stages['production_deploy']?.requiresApproval).toEqual(['Human']);
    expect(def.stages['requirements']).toMatchObject({ approvers: ['MCT-CPO-001'], qualityGate: ['prd_completeness >= 100%', 'no_ambiguous_terms'] });
    expect(def.stages['complete']).toMatchObject({ agent: { kind: 'orchestrator', value: 'orchestrator' }, cleanup: ['archive_artifacts', 'close_tickets'], next: { kind: 'none' } });
  });

  it('compiles Bug Fix (seed 000): automatic trigger, outcome-keyed next, auto-selected agent, SLA', () => {
    const def = load('bug-fix.yml');
    expect(def.trigger).toEqual({ kind: 'work_item', source: 'linear_bug_ticket', itemTypes: [] });
    expect(def.stages['triage']?.next).toEqual({ kind: 'by_outcome', targets: { P0: 'immediate_fix', P1: 'scheduled_fix', P2: 'backlog' } });
    expect(def.stages['immediate_fix']).toMatchObject({ agent: { kind: 'auto_select_by_component', value: 'auto_select_by_component' }, slaMs: 4 * 3_600_000 });
    expect(def.stages['scheduled_fix']?.slaMs).toBe(48 * 3_600_000);
    expect(def.versionDeclared).toBe(false);
    expect(def.version).toBe(`0.0.0+${def.hash.slice(0, 12)}`);
  });

  it('compiles workflow.yml (seed 003): depends_on, parallel list, condition, params, error handling', () => {
    const def = load('complete-project-build-pipeline.yml');
    expect(def.id).toBe('complete-project-build');
    expect(def.stages['scaffold']?.params).toEqual({ template: 'typescript-api', name: 'my-project' });
    expect(def.stages['build_api']?.dependsOn).toEqual(['scaffold']);
    expect(def.stages['quality_check']?.dependsOn).toEqual(['build_api']);
    expect(def.stages['quality_check']?.branches.map((b) => b.id)).toEqual(['security_scan', 'performance_test']);
    expect(def.stages['deploy']?.condition?.source).toBe('quality_check.success && security_scan.passed');
    expect(def.errorHandling.retry).toEqual({ maxAttempts: 3, backoff: 'exponential', initialDelayMs: 1000, maxDelayMs: 300_000, jitter: 'none' });
    expect(def.errorHandling.onFailure).toEqual([
      { kind: 'task', agent: { kind: 'id', value: 'agent9' }, action: 'log_error' },
      { kind: 'notify', channel: 'slack', target: null, message: null },
    ]);
  });

  it('compiles the 003 examples: derived ids, schedule trigger, condition groups', () => {
    const monitoring = load('continuous-monitoring.yml');
    expect(monitoring.trigger).toEqual({ kind: 'schedule', cron: '*/5 * * * *', timezone: null });
    expect(monitoring.stageOrder).toEqual(['collect_metrics', 'track_errors', 'rollback']);
    expect(monitoring.stages['rollback']).toMatchObject({ dependsOn: ['track_errors'], agent: { kind: 'id', value: 'agent19' } });
    expect(monitoring.stages['rollback']?.condition?.source).toBe('error_rate > 0.05');
    expect(load('data-processing-pipeline.yml').stageOrder).toEqual(['ingest_data', 'transform_data', 'validate_data', 'analyze_data', 'export_data']);
  });

  it('gives the same hash for the same content and a different one after an edit', () => {
    const text = readFileSync(join(EXAMPLES, 'bug-fix.yml'), 'utf8');
    const a = parseWorkflowOrThrow(text, { file: 'a.yml' });
    const b = parseWorkflowOrThrow(`# a comment changes nothing\n${text}`, { file: 'b.yml' });
    const c = parseWorkflowOrThrow(text.replace('"4 hours"', '"5 hours"'), { file: 'c.yml' });
    expect(b.hash).toBe(a.hash);
    expect(c.hash).not.toBe(a.hash);
  });

  it('accepts x- extension keys and free-form params/metadata', () => {
    const def = parseWorkflowOrThrow(
      lines('name: Ext', 'x-owner: team-a', 'metadata: { anything: [1, 2] }', 'params: { region: eu, retries: { nested: true } }', 'steps:', '  - action: go', '    x-ui: { color: red }'),
    );
    expect(def.params['region']).toEqual({ type: null, default: 'eu', required: false, description: null });
    expect(def.params['retries']?.default).toEqual({ nested: true });
    expect(def.metadata).toEqual({ anything: [1, 2] });
  });
});

describe('malformed definitions are rejected with file:line:col and a precise message', () => {
  const feature = (stages: string[]) => lines('workflow:', '  name: F', '  stages:', ...stages);

  it('1. next to an unknown stage, with a suggestion', () => {
    expect(errorsOf(feature(['    - stage: design', '      action: a', '      next: desing', '    - stage: build', '      action: b']))).toContain(
      'bad.yml:6:13: stage "design": next refers to unknown stage "desing" (did you mean "design"?)',
    );
  });

  it('2. outcome-keyed next to an unknown stage (the Bug Fix seed as written names "backlog")', () => {
    const seed = readFileSync(join(EXAMPLES, 'bug-fix.yml'), 'utf8').split('    # --- Added by Baton')[0] ?? '';
    const errors = errorsOf(seed);
    expect(errors).toContain('bad.yml:22:13: stage "triage": next for outcome "P2" refers to unknown stage "backlog"');
    expect(errors).toContain('bad.yml:28:13: stage "immediate_fix": next refers to unknown stage "security_review"');
  });

  it('3. depends_on an unknown stage', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - id: build', '    action: b', '  - id: test', '    action: t', '    depends_on: [biuld]'))).toContain(
      'bad.yml:7:18: stage "test": depends_on refers to unknown stage "biuld" (did you mean "build"?)',
    );
  });

  it('4. a cycle names its path', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      next: b', '    - stage: b', '      action: y', '      next: a']))).toContain(
      'bad.yml:9:13: cycle: a → b → a (declare a bounded loop with "loop: { back_to: a, max_iterations: N }" if the repeat is intended)',
    );
  });

  it('5. duplicate stage ids', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      next: a2', '    - stage: a2', '      action: y', '    - stage: a', '      action: z']))).toContain(
      'bad.yml:9:14: duplicate stage id "a" (first defined at line 4)',
    );
  });

  it('6. duplicate ids derived from actions suggest adding an id', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - action: fix', '  - action: fix'))).toContain(
      'bad.yml:4:13: duplicate stage id "fix" (first defined at line 3); steps without "id" are named after their action, so give one of them an "id"',
    );
  });

  it('7. a bad duration', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      sla: "4 hourz"']))).toContain('bad.yml:6:12: stage "a": sla: "4 hourz" has an unknown unit "hourz" (use ms, s, m, h, d or w)');
  });

  it('8. a duration without unit', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      timeout: "30"']))).toContain('bad.yml:6:16: stage "a": timeout: "30" has no unit (write e.g. "30s", "30m" or "30 hours")');
  });

  it('9. a bad cron expression', () => {
    expect(errorsOf(lines('name: M', 'schedule: "61 * * * *"', 'steps:', '  - action: a'))).toContain(
      'bad.yml:2:11: schedule: invalid cron expression "61 * * * *": Invalid value for minute: 61',
    );
  });

  it('10. a schedule trigger without cron', () => {
    expect(errorsOf(lines('name: M', 'trigger: { type: schedule }', 'steps:', '  - action: a'))).toContain('bad.yml:2:10: trigger: type "schedule" needs "cron"');
  });

  it('11. CEL syntax error, located inside the expression', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - id: a', '    action: x', '  - id: b', '    action: y', '    condition: "a.success &&"'))).toContain(
      'bad.yml:7:29: stage "b": condition: Unexpected token: EOF',
    );
  });

  it('12. CEL unknown identifier with a suggestion', () => {
    expect(
      errorsOf(lines('name: S', 'steps:', '  - id: quality_check', '    action: x', '  - id: deploy', '    action: y', '    condition: "quality_chek.success"')),
    ).toContain('bad.yml:7:17: stage "deploy": condition: unknown identifier "quality_chek" (did you mean "quality_check"?)');
  });

  it('13. CEL condition that is not boolean', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - id: a', '    action: x', '    outputs: []', '  - id: b', '    action: y', '    skip_if: "1 + 2"'))).toContain(
      'bad.yml:8:15: stage "b": skip_if: must be a boolean expression, but it yields int',
    );
  });

  it('14. a condition reading a stage that runs later', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - id: a', '    action: x', '    condition: "b.success"', '  - id: b', '    action: y'))).toContain(
      'bad.yml:5:16: stage "a": condition reads "b", which does not run before this stage',
    );
  });

  it('15. unknown stage key with a suggestion', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      quality_gates: [ok]']))).toContain('bad.yml:6:7: stage "a": unknown key "quality_gates" (did you mean "quality_gate"?)');
  });

  it('16. unknown key in a nested block', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      retry: { max_attempt: 3 }']))).toEqual(
      expect.arrayContaining(['bad.yml:6:16: stage "a": unknown key "max_attempt" in "retry" (did you mean "max_attempts"?)']),
    );
  });

  it('17. missing action', () => {
    expect(errorsOf(feature(['    - stage: a', '      agent: MCT-PM-001']))).toContain('bad.yml:4:7: stage "a": missing required key "action"');
  });

  it('18. parallel_agents without agents', () => {
    expect(errorsOf(feature(['    - stage: impl', '      parallel_agents: []']))).toContain('bad.yml:5:24: stage "impl": parallel_agents needs at least one agent');
  });

  it('19. retry.max_attempts of 0', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      retry: { max_attempts: 0 }']))).toContain('bad.yml:6:30: stage "a": retry.max_attempts must be at least 1 (got 0)');
  });

  it('20. a loop without a bound', () => {
    expect(
      errorsOf(feature(['    - stage: impl', '      action: x', '      next: review', '    - stage: review', '      action: r', '      next: { ok: done, rejected: impl }', '      loop: { back_to: impl }', '    - stage: done', '      action: d'])),
    ).toContain('bad.yml:10:7: stage "review": loop back to "impl" needs "max_iterations" (unbounded loops are not allowed)');
  });

  it('21. YAML syntax error with its line', () => {
    expect(errorsOf(lines('workflow:', '  name: F', '  stages: [', '    - stage: a'))).toContain('bad.yml:4:5: YAML syntax error: Block collections are not allowed within flow collections');
  });

  it('22. wrong type', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      blocking: "yes"']))).toContain('bad.yml:6:17: stage "a": "blocking" must be true or false (got the string "yes")');
  });

  it('23. an unreachable stage', () => {
    expect(errorsOf(feature(['    - stage: a', '      action: x', '    - stage: orphan', '      action: y']))).toContain(
      'bad.yml:6:14: stage "orphan" is unreachable from the entry stage "a" (nothing leads to it by "next" or "depends_on")',
    );
  });

  it('24. a misspelled enum value', () => {
    expect(errorsOf(lines('name: S', 'trigger: { type: manaul }', 'steps:', '  - action: a'))).toContain(
      'bad.yml:2:18: "trigger.type" must be one of manual, automatic, work_item, schedule (got the string "manaul") (did you mean "manual"?)',
    );
  });

  it('25. a missing workflow name', () => {
    expect(errorsOf(lines('steps:', '  - action: a'))).toContain('bad.yml:1:1: missing required key "name"');
  });

  it('26. an unknown root key with a suggestion', () => {
    expect(errorsOf(lines('name: S', 'step:', '  - action: a'))).toEqual(expect.arrayContaining(['bad.yml:2:1: unknown key "step" (did you mean "steps"?)']));
  });

  it('27. a sync point that does not match the branches', () => {
    expect(
      errorsOf(feature(['    - stage: impl', '      parallel_agents:', '        - { agent: A, action: a }', '        - { agent: B, action: b }', '      sync_point: "2_of_3"'])),
    ).toContain('bad.yml:8:19: stage "impl": sync_point "2_of_3" expects 3 parallel tasks but the stage has 2');
  });

  it('28. a loop back_to that is not a next target', () => {
    expect(
      errorsOf(feature(['    - stage: impl', '      action: x', '      next: review', '    - stage: review', '      action: r', '      loop: { back_to: impl, max_iterations: 2 }'])),
    ).toContain('bad.yml:9:24: stage "review": loop.back_to "impl" must also be a "next" target of this stage');
  });

  it('29. a stage id that conditions could not name', () => {
    expect(errorsOf(feature(['    - stage: build-api', '      action: x']))).toContain(
      'bad.yml:4:14: stage id "build-api" must start with a letter or underscore and use only letters, digits and underscores (conditions refer to stages by id)',
    );
  });

  it('31. an agent object naming two kinds', () => {
    expect(errorsOf(feature(['    - stage: a', '      agent: { id: MCT-BE-001, role: backend }', '      action: x']))).toContain(
      'bad.yml:5:14: stage "a": agent must give exactly one of "id", "role" or "capability" (got id and role)',
    );
  });

  it('32. stages and steps together', () => {
    expect(errorsOf(lines('workflow:', '  name: F', '  stages:', '    - { stage: a, action: x }', '  steps:', '    - { id: b, action: y }'))).toContain(
      'bad.yml:5:3: use either "stages" or "steps", not both',
    );
  });

  it('33. a condition group without a condition', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - action: a', '  - then:', '      - action: b'))).toContain('bad.yml:4:5: "then" needs a "condition"');
  });

  it('34. a trigger key that does not fit the trigger type (inside workflow:)', () => {
    expect(errorsOf(lines('workflow:', '  name: F', '  trigger: { type: manual, cron: "* * * * *" }', '  stages:', '    - { stage: a, action: x }'))).toContain(
      'bad.yml:3:28: trigger: "cron" does not apply to type "manual"',
    );
  });

  it('30. parseWorkflowOrThrow raises VALIDATION_FAILED listing every error', () => {
    const text = feature(['    - stage: a', '      action: x', '      next: nowhere', '      sla: "soon"']);
    const thrown = thrownBy(() => parseWorkflowOrThrow(text, { file: 'bad.yml' }));
    expect(thrown).toBeInstanceOf(WorkflowDefinitionError);
    const e = thrown as WorkflowDefinitionError;
    expect(e.code).toBe('VALIDATION_FAILED');
    expect(e.errors).toHaveLength(2);
    expect(e.message.split('\n')).toEqual([
      'bad.yml: 2 errors in workflow definition',
      'bad.yml:6:13: stage "a": next refers to unknown stage "nowhere"',
      'bad.yml:7:12: stage "a": sla: "soon" is not a duration (write e.g. "30m", "4 hours", "2 days" or "PT4H")',
    ]);
  });
});

describe('one pass reports every error, each at its token, sorted, once', () => {
  const feature = (stages: string[]) => lines('workflow:', '  name: F', '  stages:', ...stages);

  it('reports schema, reference, cycle, condition and duration errors of one file together', () => {
    const text = lines(
      'workflow:',
      '  name: All at once',
      '  stages:',
      '    - stage: design',
      '      agnet: MCT-PM-001',
      '      action: write_spec',
      '      next: build',
      '    - stage: build',
      '      action: implement',
      '      blocking: "yes"',
      '      next: review',
      '    - stage: review',
      '      action: review_code',
      '      next: build',
      '    - stage: ship',
      '      action: deploy',
      '      depends_on: [reveiw]',
      '      condition: "design.success &&"',
      '      sla: "4 hourz"',
    );
    expect(errorsOf(text)).toEqual([
      'bad.yml:5:7: stage "design": unknown key "agnet" (did you mean "agent"?)',
      'bad.yml:10:17: stage "build": "blocking" must be true or false (got the string "yes")',
      'bad.yml:14:13: cycle: build → review → build (declare a bounded loop with "loop: { back_to: build, max_iterations: N }" if the repeat is intended)',
      'bad.yml:17:20: stage "ship": depends_on refers to unknown stage "reveiw" (did you mean "review"?)',
      'bad.yml:18:36: stage "ship": condition: Unexpected token: EOF',
      'bad.yml:19:12: stage "ship": sla: "4 hourz" has an unknown unit "hourz" (use ms, s, m, h, d or w)',
    ]);
  });

  it('checks the readable parts of a broken node and the workflow-level keys after it', () => {
    expect(
      errorsOf(lines('name: S', 'trigger: { source: tickets, cron: "* * * * *" }', 'sla: 5', 'steps:', '  - action: a', '    timeout: [30s]', '    next: nowhere', '    retry: { max_attempts: 0, initial_delay: "1 parsec" }')),
    ).toEqual([
      'bad.yml:2:10: missing required key "type" in "trigger"',
      'bad.yml:3:6: "sla" must be a string (got number 5)',
      'bad.yml:6:14: stage "a": "timeout" must be a string (got a list)',
      'bad.yml:7:11: stage "a": next refers to unknown stage "nowhere"',
      'bad.yml:8:28: stage "a": retry.max_attempts must be at least 1 (got 0)',
      'bad.yml:8:46: stage "a": retry.initial_delay: "1 parsec" has an unknown unit "parsec" (use ms, s, m, h, d or w)',
    ]);
  });

  it('still checks the stages after one that is not a mapping', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - build', '  - id: b', '    action: y', '    depends_on: [build]', '    timeout: "3 yearz"'))).toEqual([
      'bad.yml:3:5: steps[0]: must be a mapping (got the string "build")',
      'bad.yml:7:14: stage "b": timeout: "3 yearz" has an unknown unit "yearz" (use ms, s, m, h, d or w)',
    ]);
  });

  it('checks the other branches of a parallel stage when one branch is broken', () => {
    expect(
      errorsOf(
        lines('workflow:', '  name: F', '  stages:', '    - stage: impl', '      parallel_agents:', '        - { agent: A }', '        - { agent: B, action: b, timeout: "2 fortnights" }', '      next: done', '    - stage: done', '      action: d'),
      ),
    ).toEqual([
      'bad.yml:6:11: stage "impl": missing required key "action" in "parallel_agents[0]"',
      'bad.yml:7:43: stage "impl": timeout: "2 fortnights" has an unknown unit "fortnights" (use ms, s, m, h, d or w)',
    ]);
  });

  it('does not report what only follows from a value the schema check set aside', () => {
    // `nxet` hides the edge to b: b is not called unreachable.
    expect(errorsOf(feature(['    - stage: a', '      action: x', '      nxet: b', '    - stage: b', '      action: y']))).toEqual([
      'bad.yml:6:7: stage "a": unknown key "nxet" (did you mean "next"?)',
    ]);
    // `idd` hides a stage id: references to "a" are not called unknown.
    expect(errorsOf(lines('name: S', 'steps:', '  - idd: a', '    action: x', '  - id: b', '    action: y', '    depends_on: [a]', '    condition: "a.success"'))).toEqual([
      'bad.yml:3:5: stage "x": unknown key "idd" (did you mean "id"?)',
    ]);
    // A loop whose bound is the wrong type is still a loop, not a cycle.
    expect(
      errorsOf(feature(['    - stage: impl', '      action: x', '      next: review', '    - stage: review', '      action: r', '      next: { ok: done, rejected: impl }', '      loop: { back_to: impl, max_iterations: "3" }', '    - stage: done', '      action: d'])),
    ).toEqual(['bad.yml:10:46: stage "review": "loop.max_iterations" must be a number (got the string "3")']);
    // A required key set aside for its type is not reported again as missing.
    expect(errorsOf(feature(['    - stage: impl', '      parallel_agents:', '        - { agent: A, action: 7 }']))).toEqual([
      'bad.yml:6:31: stage "impl": "parallel_agents[0].action" must be a string (got number 7)',
    ]);
  });

  it('reports an error in a condition shared by a group once, not once per stage', () => {
    expect(errorsOf(lines('name: S', 'steps:', '  - action: a', '  - condition: "a.success &&"', '    then:', '      - action: b', '      - action: c'))).toEqual([
      'bad.yml:4:29: stage "b": condition: Unexpected token: EOF',
    ]);
  });
});


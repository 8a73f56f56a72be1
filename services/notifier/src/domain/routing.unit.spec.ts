import { Webhook } from 'standardwebhooks';
import { noticesOf, pullRequestOf, testsPassed, type NoticeEvent, type RunFacts } from './notices';
import { deliveryIdOf, route, topicMatches, type RoutingTable } from './routing';
import { signWebhook, webhookKey } from './webhook-signature';

const run = (over: Partial<RunFacts> = {}): RunFacts => ({
  runId: 'r-1',
  workflowId: 'WF-FEAT-001',
  workflowName: 'Feature Development',
  version: '1.0.0',
  priority: 'P1',
  stageActions: { testing: 'execute_test_plan', complete: 'notify_stakeholders' },
  ...over,
});
const event = (type: string, data: Record<string, unknown>, category = 'run'): NoticeEvent => ({ eventId: `e-${type}`, type, category, streamId: `${category}-x`, data, occurredAt: '2026-12-06T09:00:00.000Z' });

const table: RoutingTable = {
  channels: {
    slack: { name: 'slack', kind: 'slack', defaultRecipient: '#baton-runs', maxAttempts: 5 },
    health: { name: 'health', kind: 'slack', defaultRecipient: '#agent-health', maxAttempts: 5 },
    email: { name: 'email', kind: 'email', defaultRecipient: null, maxAttempts: 5 },
    pagerduty: { name: 'pagerduty', kind: 'pagerduty', defaultRecipient: 'pagerduty', maxAttempts: 9 },
    console: { name: 'console', kind: 'console', defaultRecipient: 'console', maxAttempts: 1 },
  },
  people: { Human: { email: 'rm@example.com' }, 'MCT-CPO-001': { email: 'cpo@example.com', slack: '@cpo' } },
  stakeholders: { '*': ['all@example.com'], 'WF-FEAT-001': ['cpo@example.com', 'pm@example.com'] },
  rules: [
    { id: 'timeline', on: ['run.started', 'run.stage-completed', 'timeline.*', 'run.completed', 'run.failed'], where: {}, severity: null, to: [{ channel: 'slack', useWorkflowChannel: false, recipient: null, recipients: null, fallback: null }] },
    { id: 'page', on: ['run.started', 'health.>'], where: {}, severity: 'critical', to: [{ channel: 'pagerduty', useWorkflowChannel: false, recipient: null, recipients: null, fallback: null }] },
    { id: 'health', on: ['health.>'], where: {}, severity: null, to: [{ channel: 'health', useWorkflowChannel: false, recipient: null, recipients: null, fallback: null }] },
    { id: 'approvals', on: ['run.stage-approval-requested'], where: { kind: ['human'] }, severity: null, to: [{ channel: 'email', useWorkflowChannel: false, recipient: null, recipients: 'approvers', fallback: 'approvals@example.com' }] },
    { id: 'escalations', on: ['escalation.raised', 'escalation.level-raised'], where: {}, severity: null, to: [{ channel: 'email', useWorkflowChannel: false, recipient: null, recipients: 'assignee', fallback: null }] },
    { id: 'on-failure', on: ['workflow.on-failure-notify'], where: {}, severity: null, to: [{ channel: 'console', useWorkflowChannel: true, recipient: null, recipients: 'workflow_target', fallback: null }] },
    { id: 'stakeholders', on: ['workflow.notify-stakeholders'], where: {}, severity: null, to: [{ channel: 'email', useWorkflowChannel: false, recipient: null, recipients: 'stakeholders', fallback: null }] },
  ],
};

const routed = (e: NoticeEvent, r: RunFacts | null = run()) => noticesOf(e, r).flatMap((n) => route(n, table).deliveries);

describe('topics', () => {
  it('match NATS-style patterns', () => {
    expect(topicMatches('health.>', 'health.breached')).toBe(true);
    expect(topicMatches('health.>', 'health')).toBe(false);
    expect(topicMatches('run.*', 'run.stage-completed')).toBe(true);
    expect(topicMatches('run.*', 'run.stage.completed')).toBe(false);
    expect(topicMatches('run.started', 'run.completed')).toBe(false);
  });
});

describe('the run timeline', () => {
  it('run started, phase done, tests passed, PR created and run finished each reach the Slack channel', () => {
    expect(routed(event('RunStarted', { runId: 'r-1', workflowId: 'WF-FEAT-001', version: '1.0.0', priority: 'P1' })).map((d) => [d.source.topic, d.channel, d.recipient])).toEqual([
      ['run.started', 'slack', '#baton-runs'],
    ]);
    const testing = routed(event('StageCompleted', { runId: 'r-1', stageId: 'testing', outcome: null, outputs: { all_p0_tests_pass: true, coverage: 86 } }));
    expect(testing.map((d) => d.source.topic)).toEqual(['run.stage-completed', 'timeline.tests-passed']);
    expect(testing[1]!.text).toContain('All tests pass');
    const pr = routed(event('StageCompleted', { runId: 'r-1', stageId: 'implementation', outputs: { pull_request_url: 'https://github.com/acme/app/pull/234' } }));
    expect(pr.map((d) => d.source.topic)).toEqual(['run.stage-completed', 'timeline.pr-created']);
    expect(pr[1]!.text).toContain('https://github.com/acme/app/pull/234');
    expect(routed(event('RunCompleted', { runId: 'r-1' }))[0]).toMatchObject({ title: 'Run complete: Feature Development (run r-1)', severity: 'info' });
    expect(routed(event('RunFailed', { runId: 'r-1', error: 'stage testing failed' }))[0]).toMatchObject({ severity: 'warning', text: expect.stringContaining('stage testing failed') });
  });

  it('tests passed only when every tests flag is true; PRs from the usual output names', () => {
    expect(testsPassed({ all_p0_tests_pass: true, smoke_tests_pass: true })).toBe(true);
    expect(testsPassed({ all_p0_tests_pass: true, smoke_tests_pass: false })).toBe(false);
    expect(testsPassed({ coverage: 90 })).toBe(false);
    expect(pullRequestOf({ pull_request: { url: 'https://x/pull/1', number: 1 } })).toBe('https://x/pull/1');
    expect(pullRequestOf({ pr_number: 5 })).toBeNull();
    expect(pullRequestOf({ pr: 7 })).toBe('#7');
  });
});

describe('PagerDuty', () => {
  it('pages for a P0 run and not for a P1 run', () => {
    const started = (priority: string) => event('RunStarted', { runId: 'r-1', workflowId: 'WF-BUG-001', version: '1', priority });
    expect(routed(started('P0'), run({ priority: 'P0' })).filter((d) => d.channelKind === 'pagerduty')).toEqual([expect.objectContaining({ severity: 'critical', recipient: 'pagerduty', maxAttempts: 9 })]);
    expect(routed(started('P1'), run({ priority: 'P1' })).filter((d) => d.channelKind === 'pagerduty')).toEqual([]);
  });

  it('health breaches go to #agent-health; only P0 ones page', () => {
    const breach = (severity: string) => event('HealthBreached', { metric: 'error_rate', agentId: 'MCT-BE-001', value: 0.04, threshold: 0.01, severity, action: 'alert' }, 'health');
    const p1 = routed(breach('P1'), null);
    expect(p1.map((d) => [d.source.topic, d.channel, d.recipient])).toEqual([['health.breached', 'health', '#agent-health']]);
    expect(p1[0]!.title).toBe('HealthBreached: error_rate on MCT-BE-001');
    expect(routed(breach('P0'), null).map((d) => d.channel)).toEqual(['pagerduty', 'health']);
  });
});

describe("the metrics service's health events", () => {
  it('HealthCheckBreached is topic health.check-breached; where: { actions: alert } picks the breaches whose action is alert', () => {
    const breach = (actions: string[]) =>
      event('HealthCheckBreached', { check: 'error_rate', subject: 'MCT-BE-001', value: 4, unit: 'percent', threshold: { op: '<', value: 1 }, windowMs: 60_000, actions, breachedAt: '2026-12-06T09:00:00.000Z' }, 'health');
    const [notice] = noticesOf(breach(['alert', 'investigate']), null);
    expect(notice).toMatchObject({ topic: 'health.check-breached', title: 'HealthCheckBreached: error_rate on MCT-BE-001', facts: { actions: ['alert', 'investigate'], check: 'error_rate' } });
    expect(notice!.text).toContain('actions=alert+investigate');
    const alerts: RoutingTable = { ...table, rules: [{ id: 'alerts', on: ['health.>'], where: { actions: ['alert'] }, severity: null, to: [{ channel: 'health', useWorkflowChannel: false, recipient: null, recipients: null, fallback: null }] }] };
    expect(route(notice!, alerts).deliveries.map((d) => d.recipient)).toEqual(['#agent-health']);
    expect(route(noticesOf(breach(['scale_up']), null)[0]!, alerts).deliveries).toEqual([]);
  });
});

describe('people', () => {
  it('approval requests go to the approvers by email; names without an address to the fallback', () => {
    const ask = (approvers: string[]) => routed(event('StageApprovalRequested', { runId: 'r-1', stageId: 'production_deploy', kind: 'human', when: 'before', approvers }));
    expect(ask(['Human']).map((d) => [d.channel, d.recipient])).toEqual([['email', 'rm@example.com']]);
    expect(ask(['somebody']).map((d) => d.recipient)).toEqual(['approvals@example.com']);
    expect(routed(event('StageApprovalRequested', { runId: 'r-1', stageId: 'requirements', kind: 'agent', approvers: ['MCT-CPO-001'] }))).toEqual([]);
  });

  it("escalations go to their level's assignee", () => {
    const raised = routed(event('EscalationRaised', { escalationId: 'x-1', level: 2, trigger: 'blocked_task', assignee: { kind: 'agent', id: 'MCT-CPO-001' }, issue: 'blocked', blocking: 'stage' }, 'escalation'), null);
    expect(raised.map((d) => [d.source.topic, d.recipient])).toEqual([['escalation.raised', 'cpo@example.com']]);
    const climbed = routed(event('EscalationLevelRaised', { escalationId: 'x-1', from: 2, to: 3, trigger: 'blocked_task', assignee: { kind: 'human', id: 'Human' }, reason: '4 h' }, 'escalation'), null);
    expect(climbed.map((d) => d.recipient)).toEqual(['rm@example.com']);
  });

  it('notify_stakeholders tells the workflow\'s stakeholders; on_failure notify uses the channel the workflow names', () => {
    const done = routed(event('StageCompleted', { runId: 'r-1', stageId: 'complete', outputs: {} }));
    expect(done.filter((d) => d.source.topic === 'workflow.notify-stakeholders').map((d) => d.recipient)).toEqual(['cpo@example.com', 'pm@example.com']);
    const failing = routed(event('FailureStepsStarted', { runId: 'r-1', stageId: 'testing', reason: 'tests failed', tasks: [], notifications: [{ channel: 'slack', target: null, message: null }, { channel: 'pager', target: 'ops', message: 'call ops' }] }));
    expect(failing.map((d) => [d.channel, d.recipient, d.text])).toEqual([
      ['slack', '#baton-runs', 'Feature Development (run r-1) failed at stage testing: tests failed'],
      ['console', 'ops', 'call ops'],
    ]);
  });
});

describe('delivery ids', () => {
  it('are stable per event, rule, channel and recipient', () => {
    const e = event('RunStarted', { runId: 'r-1', workflowId: 'WF-FEAT-001', version: '1.0.0', priority: 'P1' });
    expect(routed(e)[0]!.deliveryId).toBe(routed(e)[0]!.deliveryId);
    expect(deliveryIdOf('e-1', 't', 'r', 'c', 'a')).not.toBe(deliveryIdOf('e-1', 't', 'r', 'c', 'b'));
    expect(deliveryIdOf('e-1', 't', 'r', 'c', 'a')).toMatch(/^n-[0-9a-f]{32}$/);
  });
});

describe('Standard Webhooks signature', () => {
  it('verifies with the standardwebhooks library, and fails for another body', () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const body = JSON.stringify({ type: 'run.started', data: { runId: 'r-1' } });
    const headers = signWebhook(webhookKey(secret), 'n-1', new Date(), body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
  });
});

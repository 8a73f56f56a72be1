import { randomUUID } from 'node:crypto';
import type { LoggerService } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { GetNotification, ListNotifications, RetryNotification, runStreamId, workflowStreamId, type NotificationView } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { createTestDatabase, HttpStandIn, mailTo, publishRelayedEvent, relayedEvent, serviceTestOptions, testNatsUrl, uniqueId, waitFor, type TestDatabase, testNatsAuth } from '@baton/testing';
import { Webhook } from 'standardwebhooks';
import { startNotifier, type NotifierApp } from './adapters/notifier.app';
import { parseRulesFile } from './app/rules.config';

// The notifier on real NATS, Postgres and Mailpit, with local HTTP servers standing in for
// Slack, a webhook receiver and PagerDuty. Input events are published to JetStream the way the
// scheduler's and the escalation service's relays publish them.

const SLACK_TOKEN = `slack-token-${randomUUID()}`;
const WEBHOOK_SECRET = `whsec_${Buffer.from(randomUUID().replace(/-/g, '')).toString('base64')}`;
const PD_KEY = `pd-routing-${randomUUID()}`;
const SECRETS = [SLACK_TOKEN, WEBHOOK_SECRET, WEBHOOK_SECRET.slice('whsec_'.length), PD_KEY];

const WORKFLOW = ['workflow:', '  id: "WF-NOTE-1"', '  name: "Notify test"', '  version: "1.0.0"', '  trigger: { type: manual }', '  stages:', '    - stage: "build"', '      agent: "MCT-BE-001"', '      action: "implement_backend"', '      next: "complete"', '    - stage: "complete"', '      action: "notify_stakeholders"', ''].join('\n');

function rulesText(approver: string, stakeholder: string, assignee: string): string {
  return [
    'delivery: { max_attempts: 3, initial_delay: 50ms, max_delay: 200ms, timeout: 2s, concurrency: 2 }',
    'channels:',
    '  slack: { kind: slack, url_env: SLACK_URL, label: "#baton-runs" }',
    '  health: { kind: slack, url_env: SLACK_URL, label: "#agent-health" }',
    '  hook: { kind: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET }',
    '  strict: { kind: webhook, url_env: STRICT_URL, secret_env: HOOK_SECRET, max_attempts: 5 }',
    '  mail: { kind: email, from: "Baton <baton@example.com>", smtp: { host: 127.0.0.1, port: 1025 } }',
    '  pd: { kind: pagerduty, url_env_unused: x }',
    'people:',
    `  Human: { email: "${approver}" }`,
    `  MCT-CPO-001: { email: "${assignee}" }`,
    'stakeholders:',
    `  WF-NOTE-1: ["${stakeholder}"]`,
    'rules:',
    '  - id: timeline',
    '    on: [run.started, run.stage-completed, timeline.tests-passed, timeline.pr-created, run.completed]',
    '    to: [{ channel: slack }, { channel: hook }]',
    '  - id: page',
    '    on: [run.started]',
    '    to: [{ channel: pd }]',
    '  - id: health',
    '    on: ["health.>"]',
    '    to: [{ channel: health }, { channel: pd }]',
    '  - id: approvals',
    '    on: [run.stage-approval-requested]',
    '    where: { kind: human }',
    '    to: [{ channel: mail, recipients: approvers }]',
    '  - id: stakeholders',
    '    on: [workflow.notify-stakeholders]',
    '    to: [{ channel: mail, recipients: stakeholders }]',
    '  - id: escalations',
    '    on: [escalation.raised, escalation.level-raised]',
    '    to: [{ channel: mail, recipients: assignee }]',
    '  - id: on-failure',
    '    on: [workflow.on-failure-notify]',
    '    to: [{ channel: hook, use_workflow_channel: true, recipients: workflow_target }]',
    '  - id: strict',
    '    on: [run.failed]',
    '    to: [{ channel: strict }]',
  ].join('\n');
}

/** A Nest logger that keeps every line (to check that no secret reaches a log). */
function capturingLogger(lines: string[]): LoggerService {
  const keep = (...args: unknown[]) => void lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
  return { log: keep, warn: keep, error: keep, debug: keep, verbose: keep, fatal: keep };
}

describe('notifier (real NATS, Postgres, Mailpit; stand-in Slack, webhook and PagerDuty)', () => {
  let tdb: TestDatabase;
  let app: NotifierApp;
  let nc: NatsConnection;
  let client: BatonClient;
  let slack: HttpStandIn;
  let hook: HttpStandIn;
  let strict: HttpStandIn;
  let pd: HttpStandIn;
  const logs: string[] = [];
  const consoleLines: string[] = [];
  const approver = `approver-${randomUUID().slice(0, 8)}@example.com`;
  const stakeholder = `stakeholder-${randomUUID().slice(0, 8)}@example.com`;
  const assignee = `cpo-${randomUUID().slice(0, 8)}@example.com`;

  beforeAll(async () => {
    tdb = await createTestDatabase('notifier');
    [slack, hook, strict, pd] = await Promise.all([new HttpStandIn().listen(), new HttpStandIn().listen(), new HttpStandIn().listen(), new HttpStandIn().listen()]);
    const text = rulesText(approver, stakeholder, assignee).replace('  pd: { kind: pagerduty, url_env_unused: x }', `  pd: { kind: pagerduty, url: "${pd.url}", routing_key_env: PD_KEY }`);
    const rules = parseRulesFile(text, 'int-rules.yaml', {
      SLACK_URL: `${slack.url}/services/T000/B000/${SLACK_TOKEN}`,
      HOOK_URL: `${hook.url}/baton`,
      STRICT_URL: `${strict.url}/baton`,
      HOOK_SECRET: WEBHOOK_SECRET,
      PD_KEY,
    });
    app = await startNotifier({
      ...serviceTestOptions(tdb.url),
      logger: capturingLogger(logs),
      console: { info: (fields, message) => void consoleLines.push(`${message} ${JSON.stringify(fields)}`) },
      rules,
      pollIntervalMs: 100,
      inputs: { durable: uniqueId('notifier-inputs-test').replace(/[^A-Za-z0-9_-]/g, '_'), deliverPolicy: 'new' },
    });
    nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    client = new BatonClient(nc, { timeoutMs: 10_000 });
    await publishRelayedEvent(nc, workflowStreamId('WF-NOTE-1'), 'WorkflowVersionRegistered', { workflowId: 'WF-NOTE-1', version: '1.0.0', hash: 'h', yaml: WORKFLOW, registeredAt: new Date().toISOString() });
  });

  afterAll(async () => {
    await app?.close();
    await nc?.close();
    await Promise.all([slack, hook, strict, pd].map((s) => s?.close()));
    await tdb?.drop();
  });

  const notifications = async (runId: string): Promise<NotificationView[]> => (await client.query(ListNotifications, { runId, limit: 100, failed: false })).notifications;
  const delivered = (runId: string, n: number) =>
    waitFor(
      async () => {
        const list = await notifications(runId);
        return list.filter((x) => x.status === 'delivered').length >= n ? list : undefined;
      },
      { what: `${n} deliveries of ${runId} delivered`, timeoutMs: 30_000, intervalMs: 100 },
    );
  const startRun = (runId: string, priority: string) => publishRelayedEvent(nc, runStreamId(runId), 'RunStarted', { runId, workflowId: 'WF-NOTE-1', version: '1.0.0', hash: 'h', params: {}, priority, trigger: {}, startedAt: new Date().toISOString() });

  it("sends a run's timeline to Slack and the signed webhook, pages PagerDuty for P0 and not for P1, and tells the stakeholders", async () => {
    const p0 = uniqueId('run-p0');
    const p1 = uniqueId('run-p1');
    await startRun(p0, 'P0');
    await startRun(p1, 'P1');
    await publishRelayedEvent(nc, runStreamId(p0), 'StageCompleted', { runId: p0, stageId: 'build', iteration: 1, outcome: null, outputs: { all_p0_tests_pass: true, pull_request_url: 'https://github.com/acme/app/pull/234' }, next: { ready: ['complete'], waiting: [] }, completedAt: new Date().toISOString() });
    await publishRelayedEvent(nc, runStreamId(p0), 'StageCompleted', { runId: p0, stageId: 'complete', iteration: 1, outcome: null, outputs: {}, next: { ready: [], waiting: [] }, completedAt: new Date().toISOString() });
    await publishRelayedEvent(nc, runStreamId(p0), 'RunCompleted', { runId: p0, completedAt: new Date().toISOString() });

    // Slack and the webhook each: started, build done, tests passed, PR created, complete done, run complete (6); PagerDuty 1; stakeholder mail 1.
    const list = await delivered(p0, 14);
    await delivered(p1, 2);
    const slackTexts = slack.accepted.map((r) => slack.json<{ text: string; blocks: unknown[] }>(r)).filter((m) => JSON.stringify(m.blocks).includes(p0));
    expect(slackTexts.map((m) => m.text)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Run started: Notify test'),
        expect.stringContaining('Stage build complete'),
        expect.stringContaining('All tests pass'),
        expect.stringContaining('PR created: https://github.com/acme/app/pull/234'),
        expect.stringContaining('Run complete'),
      ]),
    );
    for (const m of slackTexts) expect(m.blocks).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'section' })]));
    expect(slack.accepted.every((r) => r.path === `/services/T000/B000/${SLACK_TOKEN}` && r.headers['content-type'] === 'application/json')).toBe(true);

    // Every webhook delivery verifies with the Standard Webhooks library; webhook-id is the delivery id.
    const verifier = new Webhook(WEBHOOK_SECRET);
    const hooks = hook.accepted.filter((r) => r.body.includes(p0));
    expect(hooks).toHaveLength(6);
    for (const r of hooks) {
      const payload = verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: { deliveryId: string } };
      expect(payload.data.deliveryId).toBe(r.headers['webhook-id']);
      expect(list.find((n) => n.deliveryId === r.headers['webhook-id'])).toMatchObject({ channel: 'hook', status: 'delivered' });
    }

    // PagerDuty: one trigger for the P0 run, none for the P1 run.
    expect(pd.accepted).toHaveLength(1);
    const page = pd.json<{ routing_key: string; event_action: string; dedup_key: string; payload: { summary: string; severity: string; source: string } }>(pd.accepted[0]!);
    expect(pd.accepted[0]!.path).toBe('/v2/enqueue');
    expect(page).toMatchObject({ routing_key: PD_KEY, event_action: 'trigger', payload: { severity: 'critical', source: 'baton' } });
    expect(page.payload.summary).toContain(p0);
    expect(list.find((n) => n.channelKind === 'pagerduty')).toMatchObject({ deliveryId: page.dedup_key, status: 'delivered', attempts: 1 });
    expect(pd.received.some((r) => r.body.includes(p1))).toBe(false);

    // notify_stakeholders: the stakeholders of WF-NOTE-1 got an email.
    const mails = await waitFor(async () => ((await mailTo(stakeholder)).length > 0 ? mailTo(stakeholder) : undefined), { what: 'the stakeholder email in Mailpit', timeoutMs: 15_000, intervalMs: 200 });
    expect(mails[0]!.Subject).toContain('Notify test: complete');
  });

  it('emails an approval request to the approvers; Mailpit holds it, its Message-ID the delivery id', async () => {
    const runId = uniqueId('run-approval');
    await startRun(runId, 'P1');
    await publishRelayedEvent(nc, runStreamId(runId), 'StageApprovalRequested', { runId, workflowId: 'WF-NOTE-1', stageId: 'build', iteration: 1, kind: 'human', when: 'before', approvers: ['Human'], reason: 'requires_approval', taskIds: [], tasks: [], requestedAt: new Date().toISOString() });
    const mails = await waitFor(async () => {
      const m = await mailTo(approver);
      return m.length > 0 ? m : undefined;
    }, { what: 'the approval email in Mailpit', timeoutMs: 15_000, intervalMs: 200 });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.Subject).toBe(`[Baton] Approval needed: stage build of Notify test (run ${runId})`);
    // The mail is in Mailpit once SMTP accepted it; its delivery is recorded right after.
    const mail = await waitFor(async () => (await notifications(runId)).find((n) => n.channel === 'mail' && n.status !== 'pending'), { what: 'the approval email recorded as delivered', timeoutMs: 30_000, intervalMs: 100 });
    expect(mail).toMatchObject({ recipient: approver, status: 'delivered', source: { topic: 'run.stage-approval-requested' } });
    expect(mails[0]!.MessageID).toBe(`${mail.deliveryId}@baton.notifier`);
  });

  it('retries with back-off, dead-letters after max attempts, and `retry` delivers it once the receiver is back', async () => {
    const runId = uniqueId('run-fail');
    await startRun(runId, 'P1');
    strict.status = 503;
    await publishRelayedEvent(nc, runStreamId(runId), 'RunFailed', { runId, stageId: 'build', error: 'boom', openTaskIds: [], failedAt: new Date().toISOString() });
    const dead = await waitFor(
      async () => (await client.query(ListNotifications, { runId, failed: true, limit: 10 })).notifications.find((n) => n.status === 'dead_lettered'),
      { what: 'the strict delivery dead-lettered', timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(dead).toMatchObject({ channel: 'strict', attempts: 5, maxAttempts: 5, lastError: 'HTTP 503: unavailable' });
    const tries = strict.received.filter((r) => r.headers['webhook-id'] === dead.deliveryId);
    expect(tries).toHaveLength(5);
    // The same id on every attempt; the gaps grow (back-off), signatures verify each time.
    expect(new Set(tries.map((r) => r.headers['webhook-id']))).toEqual(new Set([dead.deliveryId]));
    for (const r of tries) new Webhook(WEBHOOK_SECRET).verify(r.body, r.headers as Record<string, string>);

    // Retrying a delivered one is refused; the dead-lettered one goes out once the receiver is back.
    const someDelivered = (await notifications(runId)).find((n) => n.status === 'delivered')!;
    await expect(client.command(RetryNotification, { deliveryId: someDelivered.deliveryId }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await expect(client.command(RetryNotification, { deliveryId: 'n-nope' }, { commandId: randomUUID() })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    strict.status = 200;
    const retried = await client.command(RetryNotification, { deliveryId: dead.deliveryId, reason: 'receiver fixed' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'ops' } });
    expect(retried).toMatchObject({ status: 'retrying', maxAttempts: 10 });
    const after = await waitFor(
      async () => {
        const v = await client.query(GetNotification, { deliveryId: dead.deliveryId });
        return v.status === 'delivered' ? v : undefined;
      },
      { what: 'the retried delivery delivered', timeoutMs: 15_000, intervalMs: 100 },
    );
    expect(after.attempts).toBe(6);
    expect(strict.accepted.filter((r) => r.headers['webhook-id'] === dead.deliveryId)).toHaveLength(1);

    // The audit: who was told what and when, and who asked for the retry.
    const { rows } = await tdb.pool.query<{ type: string; data: Record<string, unknown>; metadata: Record<string, unknown> }>(
      `SELECT type, data, metadata FROM baton_es.events WHERE stream_id = $1 ORDER BY revision`,
      [`notification-${dead.deliveryId}`],
    );
    expect(rows.map((r) => r.type)).toEqual([
      'NotificationRequested',
      ...Array(5).fill('NotificationDeliveryFailed'),
      'NotificationDeadLettered',
      'NotificationRetryRequested',
      'NotificationDelivered',
    ]);
    expect(rows[7]!.data).toMatchObject({ by: { kind: 'human', id: 'ops' }, reason: 'receiver fixed' });
    expect(rows[7]!.metadata).toMatchObject({ actor: { kind: 'human', id: 'ops' } });
  });

  it('a permanent refusal (HTTP 400) is dead-lettered at the first attempt', async () => {
    const runId = uniqueId('run-400');
    await startRun(runId, 'P1');
    strict.status = 400;
    await publishRelayedEvent(nc, runStreamId(runId), 'RunFailed', { runId, stageId: 'build', error: 'bad', openTaskIds: [], failedAt: new Date().toISOString() });
    const dead = await waitFor(async () => (await client.query(ListNotifications, { runId, status: 'dead_lettered', failed: false, limit: 10 })).notifications[0], {
      what: 'the refused delivery dead-lettered',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    expect(dead).toMatchObject({ attempts: 1, lastError: 'HTTP 400: unavailable' });
    strict.status = 200;
  });

  it('a health breach goes to #agent-health; a P0 breach also pages', async () => {
    const id = uniqueId('check');
    await publishRelayedEvent(nc, `health-${id}`, 'HealthBreached', { checkId: id, metric: 'error_rate', agentId: 'MCT-BE-001', value: 0.05, threshold: 0.01, severity: 'P1', action: 'alert' });
    await publishRelayedEvent(nc, `health-${id}-p0`, 'HealthBreached', { checkId: `${id}-p0`, metric: 'response_time', agentId: 'MCT-QA-001', value: 9, threshold: 5, severity: 'P0', action: 'alert' });
    await waitFor(() => (slack.accepted.filter((r) => r.body.includes(id)).length >= 2 ? true : undefined), { what: 'both breaches on Slack', timeoutMs: 15_000, intervalMs: 100 });
    await waitFor(() => (pd.accepted.some((r) => r.body.includes(`${id}-p0`)) ? true : undefined), { what: 'the P0 breach paged', timeoutMs: 15_000, intervalMs: 100 });
    const { notifications: list } = await client.query(ListNotifications, { channel: 'health', failed: false, limit: 100 });
    expect(list.filter((n) => n.text.includes(id)).map((n) => [n.recipient, n.source.topic])).toEqual(expect.arrayContaining([['#agent-health', 'health.breached']]));
    expect(pd.accepted.filter((r) => r.body.includes(id))).toHaveLength(1);
  });

  it("tells an escalation's assignee; a workflow's on_failure notify goes over the channel it names, to its target", async () => {
    const escalationId = uniqueId('esc');
    await publishRelayedEvent(nc, `escalation-${escalationId}`, 'EscalationRaised', { escalationId, trigger: 'blocked_task', level: 2, assignee: { kind: 'agent', id: 'MCT-CPO-001' }, issue: 'Task t-1 blocked for 2 h', blocking: 'stage design', recommendation: 'reassign', runId: null });
    const mails = await waitFor(async () => ((await mailTo(assignee)).length > 0 ? mailTo(assignee) : undefined), { what: "the assignee's email", timeoutMs: 15_000, intervalMs: 200 });
    expect(mails[0]!.Subject).toBe('[Baton] Escalation L2: Task t-1 blocked for 2 h');

    const runId = uniqueId('run-onfail');
    await startRun(runId, 'P1');
    await publishRelayedEvent(nc, runStreamId(runId), 'FailureStepsStarted', { runId, stageId: 'build', reason: 'stage build failed: compile error', tasks: [], notifications: [{ channel: 'slack', target: '#incidents', message: null }], startedAt: new Date().toISOString() });
    const [sent] = await waitFor(async () => {
      const list = (await notifications(runId)).filter((n) => n.source.topic === 'workflow.on-failure-notify' && n.status === 'delivered');
      return list.length > 0 ? list : undefined;
    }, { what: 'the on_failure notification delivered', timeoutMs: 15_000, intervalMs: 100 });
    expect(sent).toMatchObject({ channel: 'slack', recipient: '#incidents', text: `Notify test (run ${runId}) failed at stage build: stage build failed: compile error` });
    expect(slack.accepted.some((r) => r.body.includes(sent!.deliveryId))).toBe(true);
  });

  it('an attempt that gets no answer times out and is retried; the other channels are not held up', async () => {
    const runId = uniqueId('run-hang');
    await startRun(runId, 'P1');
    strict.hang = 1;
    await publishRelayedEvent(nc, runStreamId(runId), 'RunFailed', { runId, stageId: 'build', error: 'slow', openTaskIds: [], failedAt: new Date().toISOString() });
    const slow = await waitFor(async () => (await notifications(runId)).find((n) => n.channel === 'strict' && n.status === 'delivered'), { what: 'the hung delivery delivered on its 2nd attempt', timeoutMs: 20_000, intervalMs: 100 });
    expect(slow).toMatchObject({ attempts: 2, lastError: 'no answer within 2000 ms' });
    // The run's Slack notice went out while the webhook receiver hung.
    const started = (await notifications(runId)).find((n) => n.channel === 'slack')!;
    expect(Date.parse(started.deliveredAt!)).toBeLessThan(Date.parse(slow.deliveredAt!) - 1000);
  });

  it('an event older than the maximum age notifies nobody; /metrics counts deliveries; the events are relayed', async () => {
    const runId = uniqueId('run-old');
    await publishRelayedEvent(nc, runStreamId(runId), 'RunStarted', { runId, workflowId: 'WF-NOTE-1', version: '1.0.0', priority: 'P0', startedAt: new Date().toISOString() }, new Date(Date.now() - 2 * 3_600_000));
    const marker = uniqueId('run-after');
    await startRun(marker, 'P1');
    await delivered(marker, 2);
    expect(await notifications(runId)).toEqual([]);
    expect(pd.received.some((r) => r.body.includes(runId))).toBe(false);

    const metrics = await (await fetch(`${app.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^baton_notifications\{channel="slack",status="delivered"\} [1-9]\d*$/m);
    const relayed = await relayedEvent(nc, { subject: 'baton.evt.notification.delivered', since: new Date(Date.now() - 120_000), match: (m) => m.string().includes(marker), what: 'NotificationDelivered on JetStream', timeoutMs: 15_000 });
    expect(relayed.headers?.get('Nats-Msg-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('no secret appears in any stored event or any log line', async () => {
    const { rows } = await tdb.pool.query<{ n: string }>(`SELECT count(*) AS n FROM baton_es.events WHERE category = 'notification'`);
    expect(Number(rows[0]!.n)).toBeGreaterThan(20);
    for (const secret of SECRETS) {
      const hit = await tdb.pool.query(`SELECT stream_id FROM baton_es.events WHERE data::text LIKE $1 OR metadata::text LIKE $1`, [`%${secret}%`]);
      expect(hit.rowCount).toBe(0);
      const read = await tdb.pool.query(`SELECT delivery_id FROM baton_notifier.notifications WHERE source::text LIKE $1 OR text LIKE $1 OR coalesce(last_error, '') LIKE $1`, [`%${secret}%`]);
      expect(read.rowCount).toBe(0);
    }
    const everything = [...logs, ...consoleLines].join('\n');
    expect(logs.some((l) => l.includes('attempt 1 failed'))).toBe(true);
    for (const secret of SECRETS) expect(everything).not.toContain(secret);
  });
});

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApproveStage, GetRun, ListNotifications, RegisterWorkflow, StartRun, SubmitWorkItem, type NotificationView, type WorkflowResultView } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { HttpStandIn, mailTo, waitFor } from '@baton/testing';
import { Webhook } from 'standardwebhooks';
import { E2eStack } from './support/e2e-stack';
import { repoRoot, runBaton, startSimAgents, type RunningProcess, type ServiceName } from './support/stack';

// The notifier in the whole stack: every service as a process on a private NATS server and a
// fresh database, the simulated team (tools/sim-agents) doing the work, Mailpit as the SMTP
// server, and local HTTP servers standing in for Slack, a Standard Webhooks receiver and
// PagerDuty. Then a channel outage (NOTIFY_OUTAGE_MS, default 60 s): the runs finish while the
// channels are down, and every notification arrives once they are back, once per delivery id.

const OUTAGE_MS = Number(process.env['NOTIFY_OUTAGE_MS'] ?? 60_000);
const SMTP_PORT = Number(process.env['TEST_SMTP_PORT'] ?? 1025);

describe('notifier with the whole stack and the simulated team (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_notifications' });
  let client: BatonClient;
  let notifier: RunningProcess;
  const slack = new HttpStandIn();
  const hook = new HttpStandIn();
  const pd = new HttpStandIn();
  const tag = randomUUID().slice(0, 8);
  const approver = `release-${tag}@example.com`;
  const stakeholder = `cpo-${tag}@example.com`;
  const slackToken = `T0/B0/slack-${randomUUID()}`;
  const webhookSecret = `whsec_${Buffer.from(randomUUID().replace(/-/g, '')).toString('base64')}`;
  const routingKey = `pd-${randomUUID().replace(/-/g, '')}`;

  const baton = (args: readonly string[]) => runBaton(['--nats', stack.natsUrl, ...args], { ...stack.common, BATON_USER: 'ops' });
  const notificationsOf = async (runId: string): Promise<NotificationView[]> => (await client.query(ListNotifications, { runId, failed: false, limit: 1000 })).notifications;
  const finished = (runId: string, timeoutMs = 180_000): Promise<WorkflowResultView> =>
    waitFor(
      async () => {
        const r = await client.query(GetRun, { runId });
        return r.state !== 'running' && r.state !== 'paused' ? r : undefined;
      },
      { what: `run ${runId} finished`, timeoutMs, intervalMs: 250 },
    );

  beforeAll(async () => {
    await stack.start();
    client = new BatonClient(stack.nc, { timeoutMs: 20_000 });
    for (const standIn of [slack, hook, pd]) stack.track(standIn, { stop: (h) => h.close(), together: 'stand-ins' });
    await Promise.all([slack.listen(), hook.listen(), pd.listen()]);
    const dir = await stack.tempDir('baton-notify-');
    const rules = path.join(dir, 'notifications.yaml');
    await writeFile(
      rules,
      [
        // Retries outlast the outage: up to 5 s apart, 60 attempts.
        'delivery: { max_attempts: 60, initial_delay: 500ms, max_delay: 5s, timeout: 3s, concurrency: 4 }',
        'channels:',
        '  slack: { kind: slack, url_env: SLACK_WEBHOOK_URL, label: "#baton-runs", concurrency: 1 }',
        '  events-webhook: { kind: webhook, url_env: BATON_WEBHOOK_URL, secret_env: BATON_WEBHOOK_SECRET }',
        `  email: { kind: email, from: "Baton <baton@example.com>", smtp: { host: 127.0.0.1, port: ${SMTP_PORT} } }`,
        `  pagerduty: { kind: pagerduty, url: "${pd.url}", routing_key_env: PAGERDUTY_ROUTING_KEY }`,
        'people:',
        `  Human: { email: "${approver}" }`,
        'stakeholders:',
        `  WF-FEAT-001: ["${stakeholder}"]`,
        'rules:',
        '  - { id: run-timeline, on: [run.started, run.stage-completed, timeline.tests-passed, timeline.pr-created, run.completed, run.failed], to: [{ channel: slack }, { channel: events-webhook }] }',
        '  - { id: p0-page, on: [run.started, run.failed], where: { priority: P0 }, severity: critical, to: [{ channel: pagerduty }] }',
        '  - { id: approvals, on: [run.stage-approval-requested], where: { kind: human }, to: [{ channel: email, recipients: approvers }] }',
        '  - { id: stakeholders, on: [workflow.notify-stakeholders], to: [{ channel: email, recipients: stakeholders }] }',
      ].join('\n'),
    );
    // The simulated team's outputs where the timeline needs them: the tests pass, staging links the PR; triage says P2.
    const outputs = path.join(dir, 'outputs.yaml');
    await writeFile(
      outputs,
      [
        'execute_test_plan: { test_results.md: "# Test results\\n\\n89 passed.\\n", all_p0_tests_pass: true, coverage: 86 }',
        'deploy_staging: { pull_request_url: "https://github.com/acme/app/pull/234", staging_url: "https://staging.example.com" }',
        'reproduce_and_classify: { severity_classification: P2, reproduction_steps.md: "# Steps\\n\\n1. open checkout\\n" }',
      ].join('\n'),
    );
    const handoffs = path.join(repoRoot, 'examples/handoffs');
    await stack.service('agent-registry', { HEARTBEAT_WINDOW_MS: '15000' });
    await stack.service('handoff-validator', { HANDOFFS_DIR: handoffs });
    await stack.service('scheduler', { HANDOFFS_DIR: handoffs, SCHEDULER_DISPATCH_POLL_MS: '300', SCHEDULER_TIMER_POLL_MS: '200' });
    // stack.ts names the services other specs start; the notifier starts the same way (services/notifier/dist/main.js).
    notifier = await stack.service('notifier' as ServiceName, {
      LOG_LEVEL: 'info',
      NOTIFIER_RULES_FILE: rules,
      NOTIFIER_POLL_MS: '200',
      SLACK_WEBHOOK_URL: `${slack.url}/services/${slackToken}`,
      BATON_WEBHOOK_URL: `${hook.url}/baton`,
      BATON_WEBHOOK_SECRET: webhookSecret,
      PAGERDUTY_ROUTING_KEY: routingKey,
    });
    stack.track(await startSimAgents('sim-agents', ['--agents', 'examples/agents.yaml', '--duration-ms', '100-300', '--steps', '2', '--outputs', outputs, '--seed', '7'], stack.natsUrl));
    for (const file of ['feature-development.yml', 'bug-fix.yml']) {
      await client.command(RegisterWorkflow, { yaml: await readFile(path.join(repoRoot, 'examples/workflows', file), 'utf8'), file }, { commandId: randomUUID() });
    }
  }, 240_000);

  afterAll(() => stack.stop());

  it('Feature Development: the timeline reaches Slack and the signed webhook, the approval request and the stakeholders reach Mailpit', async () => {
    const { runId } = await client.command(StartRun, { workflowId: 'WF-FEAT-001', params: {}, priority: 'P1' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'alice' } });

    // production_deploy waits for a person: the approvers get an email, and a person approves.
    const mails = await waitFor(async () => ((await mailTo(approver)).length > 0 ? mailTo(approver) : undefined), { what: 'the approval-request email in Mailpit', timeoutMs: 180_000, intervalMs: 500 });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.Subject).toBe(`[Baton] Approval needed: stage production_deploy of Feature Development (run ${runId})`);
    await client.command(ApproveStage, { runId, stageId: 'production_deploy', reason: 'change window open' }, { commandId: randomUUID(), actor: { kind: 'human', id: 'release-manager' } });
    expect(await finished(runId)).toMatchObject({ state: 'success' });

    // Every timeline notification delivered: started, each stage, tests passed, PR created, complete; on Slack and on the webhook.
    const list = await waitFor(
      async () => {
        const all = await notificationsOf(runId);
        const done = all.filter((n) => n.status === 'delivered');
        return all.some((n) => n.source.topic === 'run.completed') && done.length === all.length ? all : undefined;
      },
      { what: 'every notification of the run delivered', timeoutMs: 60_000, intervalMs: 500 },
    );
    const topics = (channel: string) => list.filter((n) => n.channel === channel).map((n) => n.source.topic);
    for (const channel of ['slack', 'events-webhook']) {
      expect(topics(channel)).toEqual(expect.arrayContaining(['run.started', 'run.stage-completed', 'timeline.tests-passed', 'timeline.pr-created', 'run.completed']));
    }
    const stagesDone = new Set(list.filter((n) => n.channel === 'slack' && n.source.topic === 'run.stage-completed').map((n) => n.title));
    expect(stagesDone).toEqual(new Set(['initiation', 'requirements', 'research', 'design', 'architecture', 'implementation', 'security_review', 'testing', 'staging_deploy', 'staging_validation', 'production_deploy', 'complete'].map((s) => `Stage ${s} complete`)));

    const slackMessages = slack.accepted.map((r) => JSON.parse(r.body) as { text: string; blocks: unknown[] }).filter((m) => JSON.stringify(m.blocks).includes(runId));
    expect(slackMessages).toHaveLength(topics('slack').length);
    const texts = slackMessages.map((m) => m.text);
    expect(texts).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Run started: Feature Development'),
        expect.stringContaining('All tests pass'),
        expect.stringContaining('PR created: https://github.com/acme/app/pull/234'),
        expect.stringContaining('Run complete: Feature Development'),
      ]),
    );
    expect(slack.accepted.every((r) => r.path === `/services/${slackToken}`)).toBe(true);
    // One at a time on Slack (concurrency 1): the timeline arrives in order.
    expect(texts[0]).toContain('Run started');
    expect(texts.at(-1)).toContain('Run complete');
    expect(texts.findIndex((t) => t.includes('Stage testing complete'))).toBeLessThan(texts.findIndex((t) => t.includes('Stage staging_deploy complete')));

    const verifier = new Webhook(webhookSecret);
    const signed = hook.accepted.filter((r) => r.body.includes(runId));
    expect(signed).toHaveLength(topics('events-webhook').length);
    for (const r of signed) {
      const body = verifier.verify(r.body, r.headers as Record<string, string>) as { type: string; data: { deliveryId: string } };
      expect(body.data.deliveryId).toBe(r.headers['webhook-id']);
    }

    // notify_stakeholders (the workflow's last stage) emailed the stakeholders; a P1 run paged nobody.
    const told = await waitFor(async () => ((await mailTo(stakeholder)).length > 0 ? mailTo(stakeholder) : undefined), { what: 'the stakeholders email', timeoutMs: 30_000, intervalMs: 500 });
    expect(told[0]!.Subject).toBe('[Baton] Feature Development: complete');
    expect(pd.received.some((r) => r.body.includes(runId))).toBe(false);
  }, 420_000);

  it(`a channel down for ${OUTAGE_MS / 1000} s: P0 and P1 bug runs finish meanwhile, P0 pages; afterwards every notification arrives, once per delivery id`, async () => {
    slack.status = 503;
    await hook.close();
    const downAt = Date.now();
    const submit = async (priority: 'P0' | 'P1') => {
      const r = await client.command(SubmitWorkItem, { itemId: `bug-${tag}-${priority}`, type: 'bug', title: `checkout fails (${priority})`, priority, payload: {} }, { commandId: randomUUID() });
      if (r.runId === null) throw new Error('the bug was not routed to a workflow');
      return r.runId;
    };
    const [p0, p1] = [await submit('P0'), await submit('P1')];
    const runs = await Promise.all([finished(p0, OUTAGE_MS), finished(p1, OUTAGE_MS)]);
    const endedAt = Math.max(...runs.map((r) => Date.parse(r.endTime!)));
    // The runs did not wait for the channels: they ended while Slack and the webhook were down.
    expect(runs.map((r) => r.state)).toEqual(['success', 'success']);
    expect(endedAt).toBeLessThan(downAt + OUTAGE_MS);

    // PagerDuty (up all along) was paged for the P0 bug and not for the P1 one.
    const page = await waitFor(() => pd.accepted.find((r) => r.body.includes(p0)), { what: 'the P0 page', timeoutMs: 30_000, intervalMs: 250 });
    expect(JSON.parse(page.body)).toMatchObject({ routing_key: routingKey, event_action: 'trigger', payload: { severity: 'critical' } });
    expect(pd.received.some((r) => r.body.includes(p1))).toBe(false);

    // While down: the deliveries are retrying, and `baton notifications list --failed` says so.
    await waitFor(async () => ((await notificationsOf(p1)).some((n) => n.status === 'retrying') ? true : undefined), { what: 'a retrying delivery', timeoutMs: 30_000, intervalMs: 500 });
    const failedList = await baton(['notifications', 'list', '--failed', '--run', p1]);
    expect(failedList.code).toBe(0);
    expect(failedList.stdout).toContain('retrying');

    await new Promise((r) => setTimeout(r, Math.max(0, downAt + OUTAGE_MS - Date.now())));
    slack.status = 200;
    await hook.listen();
    const upAt = Date.now();

    const expected = async () => [...(await notificationsOf(p0)), ...(await notificationsOf(p1))].filter((n) => n.channel === 'slack' || n.channel === 'events-webhook');
    const all = await waitFor(
      async () => {
        const list = await expected();
        return list.length > 0 && list.every((n) => n.status === 'delivered') ? list : undefined;
      },
      { what: 'every notification of the bug runs delivered after the outage', timeoutMs: 120_000, intervalMs: 500 },
    );
    expect(all.length).toBeGreaterThanOrEqual(8);
    // Delivered after the channels came back; those in hand during the outage after several attempts (the rest waited in the queue).
    expect(all.every((n) => Date.parse(n.deliveredAt!) >= upAt - 1000)).toBe(true);
    expect(all.some((n) => n.attempts > 1)).toBe(true);

    // The receivers count distinct delivery ids: each accepted exactly once; nothing is missing.
    const hookIds = hook.accepted.filter((r) => r.body.includes(p0) || r.body.includes(p1)).map((r) => String(r.headers['webhook-id']));
    expect(new Set(hookIds).size).toBe(hookIds.length);
    expect(new Set(hookIds)).toEqual(new Set(all.filter((n) => n.channel === 'events-webhook').map((n) => n.deliveryId)));
    const slackIds = slack.accepted
      .map((r) => JSON.parse(r.body) as { blocks: { type: string; elements?: { text: string }[] }[] })
      .map((m) => /delivery (n-[0-9a-f]+)/.exec(JSON.stringify(m.blocks))?.[1])
      .filter((id): id is string => id !== undefined && all.some((n) => n.deliveryId === id));
    expect(new Set(slackIds).size).toBe(slackIds.length);
    expect(new Set(slackIds)).toEqual(new Set(all.filter((n) => n.channel === 'slack').map((n) => n.deliveryId)));

    const listed = await baton(['--json', 'notifications', 'list', '--run', p0]);
    expect((JSON.parse(listed.stdout) as { notifications: NotificationView[] }).notifications.every((n) => n.status === 'delivered')).toBe(true);
    const one = all.find((n) => n.channel === 'events-webhook')!;
    const shown = await baton(['notifications', 'show', one.deliveryId]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('delivered');
    expect(shown.stdout).toContain(one.title);
    const again = await baton(['notifications', 'retry', one.deliveryId, '--reason', 'once more']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ILLEGAL_TRANSITION');
  }, OUTAGE_MS + 420_000);

  it('no secret is in the events or in the notifier log', async () => {
    const secrets = [slackToken, webhookSecret, webhookSecret.slice('whsec_'.length), routingKey];
    for (const secret of secrets) {
      const hit = await stack.db.pool.query(`SELECT stream_id FROM baton_es.events WHERE data::text LIKE $1 OR metadata::text LIKE $1`, [`%${secret}%`]);
      expect(hit.rowCount).toBe(0);
    }
    const log = notifier.output.join('');
    expect(log).toContain('attempt');
    for (const secret of secrets) expect(log).not.toContain(secret);
    const audit = await stack.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM baton_es.events WHERE category = 'notification' AND type = 'NotificationDelivered'`);
    expect(Number(audit.rows[0]!.n)).toBeGreaterThan(30);
  });
});

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { GetEscalation, GetRun, GetTask, RaiseEscalation, RegisterWorkflow, ReplayRun } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { testServiceCredsFile, waitFor } from '@baton/testing';
import { launchChromium, screenshot } from './support/dashboard-browser';
import { E2eStack } from './support/e2e-stack';
import type { GatewayProcess } from './support/gateway';
import { repoRoot, startSimAgents } from './support/stack';

// The live dashboard in a real browser (Debian's Chromium driven by playwright-core) against the
// running stack: two gateway replicas with the built-in issuer on one private NATS server, the
// scheduler, agent-registry, handoff-validator, escalation and metrics services, a fresh database,
// and the simulated team working the Feature Development workflow. People sign in with the local
// issuer's users. Screenshots go to test-output/dashboard/.

const PASSWORD = `pw-${randomUUID()}`;
const STAGES = ['initiation', 'requirements', 'research', 'design', 'architecture', 'implementation', 'security_review', 'testing', 'staging_deploy', 'staging_validation', 'production_deploy', 'complete'];

type Statuses = Record<string, string>;

/** The few browser globals the page functions below touch (this tier compiles without the DOM library). */
interface BrowserGlobals {
  batonMark?: string;
  document: { body: { dataset: Record<string, string | undefined> }; cookie: string; documentElement: { scrollWidth: number; clientWidth: number } };
}

/** The stage statuses the run page shows now. */
async function statusesOf(page: Page): Promise<Statuses> {
  return page.$$eval('[data-stage][data-status]', (nodes) => Object.fromEntries(nodes.map((n) => [n.getAttribute('data-stage'), n.getAttribute('data-status')])));
}

/** Signs in on the sign-in page with the local issuer's user name and password. */
async function signIn(page: Page, gatewayUrl: string, username: string, next = '/dashboard'): Promise<void> {
  await page.goto(`${gatewayUrl}${next}`);
  await page.waitForURL(/\/dashboard\/login/);
  await page.getByLabel('User name').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((url) => url.pathname === next);
}

/** Marks the document, so a later check can tell that no reload or navigation happened. */
async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as BrowserGlobals).batonMark = 'still-here'));
}
async function documentMarked(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as BrowserGlobals).batonMark === 'still-here');
}

async function waitForStage(page: Page, stage: string, status: string, timeoutMs = 180_000): Promise<void> {
  await page.locator(`[data-stage="${stage}"][data-status="${status}"]`).waitFor({ timeout: timeoutMs });
}

describe('live dashboard in Chromium (e2e)', () => {
  const stack = new E2eStack({ database: 'e2e_dashboard' });
  let client: BatonClient;
  let browser: Browser;
  let a: GatewayProcess;
  let b: GatewayProcess;
  let runId: string;

  /** A token of the local issuer, for the API calls the test makes as a person. */
  async function tokenOf(username: string): Promise<string> {
    const res = await fetch(`${a.url}/dev-issuer/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }

  async function newContext(viewport = { width: 1280, height: 900 }): Promise<BrowserContext> {
    return stack.track(await browser.newContext({ viewport }), { stop: (ctx) => ctx.close(), together: 'contexts' });
  }

  beforeAll(async () => {
    await stack.start();
    client = new BatonClient(stack.nc, { timeoutMs: 20_000 });
    const dir = await stack.tempDir('baton-dashboard-');
    const handoffs = path.join(repoRoot, 'examples/handoffs');
    await stack.service('agent-registry', { HEARTBEAT_WINDOW_MS: '15000' });
    await stack.service('handoff-validator', { HANDOFFS_DIR: handoffs });
    await stack.service('scheduler', { HANDOFFS_DIR: handoffs, SCHEDULER_DISPATCH_POLL_MS: '300', SCHEDULER_TIMER_POLL_MS: '200' });
    await stack.service('escalation');
    await stack.service('metrics', { METRICS_PRICES: JSON.stringify({ '*': 3 }) });
    // Both replicas trust the same built-in issuer (replica A's URL, one key in one directory), as
    // replicas behind one address would.
    const gatewayEnv = {
      BATON_DEV_ISSUER: 'true',
      BATON_DEV_ISSUER_DIR: path.join(dir, 'issuer'),
      BATON_DEV_PASSWORD: PASSWORD,
      BATON_ACTOR_KEY_DIR: path.join(dir, 'gateway'),
      BATON_RATE_READ_PER_S: '200',
      BATON_RATE_WRITE_PER_S: '50',
      ...(testServiceCredsFile('gateway') === undefined ? {} : { NATS_CREDS: testServiceCredsFile('gateway')! }),
    };
    a = await stack.gateway(gatewayEnv);
    b = await stack.gateway({ ...gatewayEnv, BATON_PUBLIC_URL: a.url });
    // Outputs the handoff checks ask for, so the run goes through; each task takes a few seconds
    // and reports progress, so the browser sees stages change.
    const outputs = path.join(dir, 'outputs.yaml');
    await writeFile(outputs, 'execute_test_plan: { test_results.md: "# Test results\\n\\n89 passed.\\n", all_p0_tests_pass: true, coverage: 86 }\n');
    stack.track(await startSimAgents('sim-agents', ['--agents', 'examples/agents.yaml', '--duration-ms', '1500-2500', '--steps', '3', '--outputs', outputs, '--seed', '11'], stack.natsUrl));
    await client.command(RegisterWorkflow, { yaml: await readFile(path.join(repoRoot, 'examples/workflows/feature-development.yml'), 'utf8'), file: 'feature-development.yml' }, { commandId: randomUUID() });
    browser = stack.track(await launchChromium(), { stop: (br) => br.close() });
  }, 300_000);

  afterAll(() => stack.stop(), 120_000);

  it('signs in, watches a Feature Development run advance live on both replicas, approves the production deploy from the inbox, sees the run finish and opens its audit timeline', async () => {
    // Tall enough that the whole workflow graph is on one screen (a screenshot of the screen is quick).
    const ctx = await newContext({ width: 1280, height: 1400 });
    const pageA = await ctx.newPage();
    await signIn(pageA, a.url, 'approver');
    await pageA.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();

    // Someone else (an operator, over the API) starts the run: its starter may not approve it.
    const operatorToken = await tokenOf('operator');
    const started = await fetch(`${a.url}/api/workflows/execute`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${operatorToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ workflow: 'WF-FEAT-001', params: {} }),
    });
    expect(started.status).toBe(200);
    runId = ((await started.json()) as { runId: string }).runId;

    // The runs page lists it live (it was rendered before the run existed).
    await markDocument(pageA);
    await pageA.locator(`tr[data-run="${runId}"]`).waitFor({ timeout: 30_000 });
    expect(await documentMarked(pageA)).toBe(true);

    // The same run on replica A and replica B; neither page reloads from here on.
    await pageA.goto(`${a.url}/dashboard/runs/${runId}`);
    const pageB = await ctx.newPage();
    await pageB.goto(`${b.url}/dashboard/runs/${runId}`);
    for (const p of [pageA, pageB]) {
      await p.waitForFunction(() => (globalThis as unknown as BrowserGlobals).document.body.dataset['live'] === 'open', undefined, { timeout: 30_000 });
      await markDocument(p);
    }
    const first = await statusesOf(pageA);
    expect(Object.keys(first).sort()).toEqual([...STAGES].sort());

    // The agents page, also live: a progress bar with the percent and message an agent reported.
    const agentsPage = await ctx.newPage();
    await agentsPage.goto(`${a.url}/dashboard/agents`);
    await markDocument(agentsPage);
    const progressShown = agentsPage
      .locator('.agents progress')
      .first()
      .waitFor({ timeout: 240_000 })
      .then(async () => {
        const text = await agentsPage.locator('.agents .task .progress > span').first().textContent();
        await screenshot(agentsPage, 'dashboard-agents');
        return text;
      });

    // Watch the stages change colour: record every distinct picture replica A shows.
    const seen: Statuses[] = [first];
    let liveShot = false;
    await waitFor(
      async () => {
        const now = await statusesOf(pageA);
        if (JSON.stringify(now) !== JSON.stringify(seen[seen.length - 1])) seen.push(now);
        // The picture of a run in progress: the parallel implementation stage running with its
        // branches' progress bars (or, should the polling miss it, any later stage with its bar).
        const implementing = (await pageA.locator('#stage-implementation.st-running progress').count()) > 0;
        const later = now['implementation'] === 'success' && (await pageA.locator('.node.st-running progress').count()) > 0;
        if (!liveShot && (implementing || later)) {
          await screenshot(pageA, 'dashboard-run-live', false);
          // A redraw may have come between the check and the picture: keep it only if the bars stayed.
          liveShot = (await pageA.locator('.node.st-running progress').count()) > 0;
        }
        return now['production_deploy'] === 'awaiting_approval' ? now : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 250, what: 'production_deploy waiting for approval on replica A' },
    );
    // Several distinct pictures, each stage seen done, and every one of them drawn without a reload.
    expect(seen.length).toBeGreaterThanOrEqual(4);
    for (const stage of STAGES.slice(0, STAGES.indexOf('production_deploy'))) expect(seen[seen.length - 1]![stage]).toBe('success');
    expect(await documentMarked(pageA)).toBe(true);
    // Replica B, fed by its own consumer of the event stream, shows the same.
    await waitForStage(pageB, 'production_deploy', 'awaiting_approval', 30_000);
    expect(await documentMarked(pageB)).toBe(true);
    expect(Number(await pageB.evaluate(() => (globalThis as unknown as BrowserGlobals).document.body.dataset['liveVersion'] ?? '0'))).toBeGreaterThan(0);
    await screenshot(pageA, 'dashboard-run-awaiting');
    expect(await progressShown).toMatch(/^\d+% · step \d\/\d/);
    expect(await documentMarked(agentsPage)).toBe(true);

    // A viewer sees the waiting stage, but no button to decide on it; the API refuses them anyway.
    const viewerCtx = await newContext();
    const viewer = await viewerCtx.newPage();
    await signIn(viewer, a.url, 'viewer', '/dashboard/inbox');
    await viewer.locator(`[data-run="${runId}"][data-stage="production_deploy"]`).waitFor();
    expect(await viewer.getByRole('button', { name: /approve/i }).count()).toBe(0);
    expect(await viewer.getByRole('checkbox').count()).toBe(0);
    await viewer.goto(`${a.url}/dashboard/runs/${runId}`);
    await waitForStage(viewer, 'production_deploy', 'awaiting_approval', 10_000);
    expect(await viewer.getByRole('button', { name: /approve|reject|rerun/i }).count()).toBe(0);
    const refused = await viewer.evaluate(async (path) => {
      const res = await fetch(path, { method: 'POST', headers: { 'X-Baton-Dashboard': '1', 'Content-Type': 'application/json' }, body: JSON.stringify({ reason: 'viewer tries' }) });
      return { status: res.status, code: ((await res.json()) as { code?: string }).code };
    }, `/api/runs/${runId}/stages/production_deploy/approve`);
    expect(refused).toEqual({ status: 403, code: 'FORBIDDEN' });
    await screenshot(viewer, 'dashboard-viewer-run');

    // The approver approves the production deploy from the inbox.
    const inbox = await ctx.newPage();
    await inbox.goto(`${a.url}/dashboard/inbox`);
    const item = inbox.locator(`[data-run="${runId}"][data-stage="production_deploy"]`);
    await item.getByRole('checkbox').check();
    await inbox.getByLabel('Reason').fill('change window open, staging validated');
    await screenshot(inbox, 'dashboard-inbox');
    await inbox.getByRole('button', { name: 'Approve selected' }).click();
    await inbox.getByText('Approved 1 of 1.').waitFor({ timeout: 30_000 });

    // The run page on both replicas sees the run finish, still without a reload.
    for (const p of [pageA, pageB]) {
      await waitForStage(p, 'complete', 'success', 120_000);
      await p.locator('h1 .badge.st-success').waitFor({ timeout: 30_000 });
      expect(await documentMarked(p)).toBe(true);
    }
    expect((await client.query(GetRun, { runId })).state).toBe('success');
    await screenshot(pageA, 'dashboard-run-finished');

    // Its audit timeline names the approver, and replays the run at any of its events.
    await pageA.getByRole('link', { name: 'Audit timeline' }).click();
    await pageA.waitForURL(/\/audit$/);
    const approved = pageA.locator('tbody tr', { hasText: 'StageApproved' }).filter({ hasText: 'stageId: production_deploy' });
    await approved.first().waitFor();
    await expect(approved.first().textContent()).resolves.toMatch(/human:approver/);
    await expect(approved.first().textContent()).resolves.toMatch(/change window open/);
    const replayLinks = pageA.getByRole('link', { name: 'Replay here' });
    expect(await replayLinks.count()).toBeGreaterThan(10);
    await replayLinks.nth(3).click();
    await pageA.waitForURL(/audit\?at=/);
    const at = decodeURIComponent(new URL(pageA.url()).searchParams.get('at') ?? '');
    await pageA.getByRole('heading', { name: `Replay at ${at}` }).waitFor();
    const replay = await client.query(ReplayRun, { runId, at });
    expect(await pageA.locator('.replay').textContent()).toContain(`${replay.eventsApplied} events applied`);
    // The first screen of it: a whole run's timeline is many screens long.
    await screenshot(pageA, 'dashboard-audit', false);
  }, 600_000);

  it('reruns the finished run from a stage with the button, for an operator', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, a.url, 'operator', `/dashboard/runs/${runId}`);
    await page.locator('#stage-testing').getByRole('button', { name: 'Rerun from this stage' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/dashboard/runs/') && !url.pathname.endsWith(runId));
    await page.getByText(`Reruns ${runId} from testing.`).waitFor();
    const newRunId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const rerun = await client.query(GetRun, { runId: newRunId });
    expect(rerun.rerunOf).toEqual({ runId, fromStage: 'testing' });
    // Stages before testing are taken over, not run again.
    await waitForStage(page, 'architecture', 'success', 30_000);
    // Every stage that finished before testing in the source keeps its outputs and has no task in
    // the rerun; testing starts with those outputs as its upstream inputs; the source names the rerun.
    const source = await client.query(GetRun, { runId });
    expect(source.reruns).toEqual([{ runId: newRunId, fromStage: 'testing' }]);
    const order = source.steps.map((s) => s.stepId);
    const earlier = source.steps.slice(0, order.indexOf('testing')).filter((s) => s.status === 'success');
    expect(earlier.length).toBeGreaterThan(0);
    const rerunSteps = new Map(rerun.steps.map((s) => [s.stepId, s]));
    for (const s of earlier) expect(rerunSteps.get(s.stepId)).toMatchObject({ status: 'success', taskIds: [], output: s.output });
    const testingTask = await waitFor(async () => (await client.query(GetRun, { runId: newRunId })).steps.find((s) => s.stepId === 'testing')?.taskIds[0], { what: 'the rerun testing task', timeoutMs: 30_000 });
    const upstream = (await client.query(GetTask, { taskId: testingTask })).inputs['upstream'] as Record<string, unknown>;
    for (const s of earlier) expect(upstream[s.stepId]).toEqual(s.output);
  }, 120_000);

  it('shows an escalation in the escalation format, live, and an approver resolves it from the page (a viewer cannot)', async () => {
    const viewerCtx = await newContext();
    const viewer = await viewerCtx.newPage();
    await signIn(viewer, b.url, 'viewer', '/dashboard/escalations');
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, a.url, 'approver', '/dashboard/escalations');
    await markDocument(page);
    const raised = await client.command(
      RaiseEscalation,
      {
        trigger: 'manual',
        issue: 'Security vs. speed: ship the release without the pen test?',
        workflowStage: 'security_review',
        options: [
          { label: 'Ship now', tradeoff: 'pen test findings land after release' },
          { label: 'Wait two days', tradeoff: 'the launch date slips' },
        ],
        recommendation: 'Wait two days',
        blocking: 'production_deploy',
        runId,
      },
      { commandId: randomUUID(), actor: { kind: 'agent', id: 'MCT-SEC-001' } },
    );
    // It appears on both replicas' pages without a reload, as the escalation format lays it out.
    const card = page.locator(`[data-escalation="${raised.escalationId}"]`);
    await card.waitFor({ timeout: 30_000 });
    await viewer.locator(`[data-escalation="${raised.escalationId}"]`).waitFor({ timeout: 30_000 });
    const text = (await card.textContent()) ?? '';
    for (const part of ['Escalation Required', 'Security vs. speed', 'Workflow Stage', 'security_review', 'Ship now – pen test findings land after release', 'Wait two days – the launch date slips', 'Recommendation', 'Blocking', 'production_deploy']) {
      expect(text).toContain(part);
    }
    expect(await viewer.locator(`[data-escalation="${raised.escalationId}"]`).getByRole('button').count()).toBe(0);
    await card.getByLabel('Resolution').selectOption('resolved');
    await card.getByLabel('Reason').fill('wait for the pen test');
    await screenshot(page, 'dashboard-escalations');
    await card.getByRole('button', { name: 'Resolve' }).click();
    await page.getByText(`Done: Resolve ${raised.escalationId}.`).waitFor({ timeout: 30_000 });
    // The read model catches up a moment after the command's reply.
    const resolved = await waitFor(
      async () => {
        const e = await client.query(GetEscalation, { escalationId: raised.escalationId });
        return e.status === 'resolved' ? e : undefined;
      },
      { timeoutMs: 30_000, what: 'the escalation resolved in the read model' },
    );
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'resolved', resolvedBy: { kind: 'human', id: 'approver' }, resolutionReason: 'wait for the pen test' });
    await viewer.locator(`[data-escalation="${raised.escalationId}"] .badge.st-resolved`).waitFor({ state: 'attached', timeout: 30_000 });
    expect(await documentMarked(page)).toBe(true);
  }, 120_000);

  it('keeps the session cookie to the dashboard page itself: no header or another origin → 401', async () => {
    const ctx = await newContext();
    const page = await ctx.newPage();
    await signIn(page, a.url, 'admin');
    const cookie = (await ctx.cookies(a.url)).find((c) => c.name === 'baton_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const asCookie = { Cookie: `baton_session=${cookie!.value}` };
    const me = (headers: Record<string, string>) => fetch(`${a.url}/api/me`, { headers: { ...asCookie, ...headers } }).then((r) => r.status);
    expect(await me({ 'X-Baton-Dashboard': '1' })).toBe(200);
    expect(await me({})).toBe(401);
    expect(await me({ 'X-Baton-Dashboard': '1', Origin: 'http://evil.example' })).toBe(401);
    expect(await me({ 'X-Baton-Dashboard': '1', 'Sec-Fetch-Site': 'cross-site' })).toBe(401);
    // The script cannot read it.
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.cookie)).not.toContain('baton_session');
  }, 120_000);

  it('renders the runs page at phone width without horizontal scrolling', async () => {
    const ctx = await newContext({ width: 375, height: 812 });
    const page = await ctx.newPage();
    await signIn(page, a.url, 'viewer');
    await page.locator(`tr[data-run="${runId}"]`).waitFor();
    const widths = await page.evaluate(() => {
      const root = (globalThis as unknown as BrowserGlobals).document.documentElement;
      return { scroll: root.scrollWidth, client: root.clientWidth };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.client);
    await screenshot(page, 'dashboard-runs-phone');
    const wide = await newContext();
    const desk = await wide.newPage();
    await signIn(desk, a.url, 'viewer');
    await desk.locator(`tr[data-run="${runId}"]`).waitFor();
    await screenshot(desk, 'dashboard-runs');
  }, 120_000);
});

import { Controller, Get, Inject, Param, Post, Query, Req, Res, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Request, Response } from 'express';
import { decodeJwt } from 'jose';
import { z } from 'zod';
import { BatonError, RerunRun, RerunRunV1, RunState, ValidationError } from '@baton/contracts';
import { commandIdOf, sendProblem } from '../api/api.controller';
import { mayAccess, type Principal } from '../auth/principal';
import { GatewayError } from '../http/problem';
import { readJsonBody } from '../http/request-body';
import { DASHBOARD_CSS } from './assets/dashboard.css';
import { DASHBOARD_JS } from './assets/dashboard.js';
import { DashboardData, part } from './dashboard.data';
import { DASHBOARD_OPTIONS, type DashboardOptions } from './dashboard.tokens';
import type { Html } from './html';
import { LiveEvents, matches, type LiveFilter } from './live-events';
import { layout, type PageOptions, type Viewer } from './views/layout';
import { agentsPage, conflictsPage, escalationsPage, inboxPage, queuePage } from './views/lists.view';
import { loginPage } from './views/login.view';
import { auditPage, runPage } from './views/run.view';
import { runsPage } from './views/runs.view';
import { cookieOf, isDashboardRequest, ownOriginOf, SESSION_COOKIE, sessionCookie } from './session';

/** Scripts and styles from this origin only; nothing inline, no frames, forms post here. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/** An SSE stream is closed after this long; the browser reconnects, and is authenticated again. */
const STREAM_LIFETIME_MS = 10 * 60_000;
const STREAM_PING_MS = 15_000;
/** Live streams one replica serves at once. */
const MAX_STREAMS = 1000;

const RunId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
const Topics = z
  .string()
  .max(200)
  .regex(/^[a-z-]+(,[a-z-]+)*$/)
  .transform((s) => new Set(s.split(',')));
const RunsFilter = z.object({ workflowId: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/).optional().catch(undefined), state: RunState.optional().catch(undefined) });
const SessionBody = z.strictObject({ token: z.string().min(10).max(16_384).regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT (three base64url parts)') });
const RerunBody = RerunRunV1.omit({ newRunId: true });

function wantsFragment(req: Request): boolean {
  return req.query['fragment'] === '1';
}

/**
 * The live dashboard at /dashboard: server-rendered pages (runs, a run with its workflow graph and
 * audit timeline, agents, the queue, approvals, escalations, conflicts), redrawn from the event
 * stream over SSE, and the sign-in that keeps a person's token in an HttpOnly, SameSite=Strict
 * cookie. It reads through the API's call layer and acts only through the API's routes (the
 * rerun, which has no route yet, is checked here the way the API checks an `operate` route).
 */
@Controller('dashboard')
export class DashboardController implements OnModuleInit, OnModuleDestroy {
  private readonly data: DashboardData;
  private readonly live: LiveEvents;
  /** Open SSE responses, ended when the gateway stops (an open stream would hold the HTTP server open). */
  private readonly streams = new Set<Response>();

  constructor(@Inject(DASHBOARD_OPTIONS) private readonly options: DashboardOptions) {
    this.data = new DashboardData(options.calls);
    this.live = new LiveEvents(options.nc, options.logger);
  }

  onModuleInit(): void {
    this.live.start();
  }

  async onModuleDestroy(): Promise<void> {
    for (const res of this.streams) res.end();
    this.streams.clear();
    await this.live.stop();
  }

  // Sign-in ------------------------------------------------------------------------------

  @Get('login')
  login(@Query('next') next: string | undefined, @Res() res: Response): void {
    const safeNext = typeof next === 'string' && /^\/dashboard(\/[\w./%-]*)?(\?[\w=&%.-]*)?$/.test(next) ? next : '/dashboard';
    this.sendHtml(res, loginPage({ devIssuer: this.options.devIssuer, next: safeNext }));
  }

  @Post('session')
  async session(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      this.requireOwnPage(req);
      const parsed = SessionBody.safeParse(await readJsonBody(req, 32 * 1024));
      if (!parsed.success) throw new ValidationError('send {"token": "<a bearer token>"}');
      const principal = await this.options.authenticator.authenticate(`Bearer ${parsed.data.token}`, undefined);
      const exp = decodeJwt(parsed.data.token).exp;
      const maxAgeS = typeof exp === 'number' ? exp - Math.floor(Date.now() / 1000) : 3600;
      res.setHeader('Set-Cookie', sessionCookie(parsed.data.token, { secure: this.options.https, maxAgeS }));
      res.status(200).type('application/json').setHeader('Cache-Control', 'no-store').send(JSON.stringify({ subject: principal.id, roles: principal.roles }));
    } catch (err) {
      sendProblem(res, err, req.path, this.options.logger);
    }
  }

  @Post('logout')
  logout(@Req() req: Request, @Res() res: Response): void {
    try {
      this.requireOwnPage(req);
      res.setHeader('Set-Cookie', sessionCookie(null, { secure: this.options.https, maxAgeS: 0 }));
      res.status(200).type('application/json').send('{}');
    } catch (err) {
      sendProblem(res, err, req.path, this.options.logger);
    }
  }

  // Assets -------------------------------------------------------------------------------

  @Get('assets/dashboard.js')
  script(@Res() res: Response): void {
    res.status(200).type('text/javascript').setHeader('Cache-Control', 'no-cache').send(DASHBOARD_JS);
  }

  @Get('assets/dashboard.css')
  style(@Res() res: Response): void {
    res.status(200).type('text/css').setHeader('Cache-Control', 'no-cache').send(DASHBOARD_CSS);
  }

  // Live events --------------------------------------------------------------------------

  @Get('events')
  async events(@Req() req: Request, @Res() res: Response): Promise<void> {
    let filter: LiveFilter;
    try {
      const principal = await this.principalOf(req);
      this.limit('read', principal);
      const topics = Topics.safeParse(req.query['topics'] ?? '');
      const runId = req.query['runId'] === undefined || req.query['runId'] === '' ? null : RunId.safeParse(req.query['runId']);
      if (!topics.success || (runId !== null && !runId.success)) throw new ValidationError('topics: event categories, comma-separated (run,task,agent…); runId: a run id');
      if (this.live.clients >= MAX_STREAMS) throw new GatewayError('SERVICE_UNAVAILABLE', 'too many live streams on this gateway; try again later');
      filter = { categories: topics.data, runId: runId === null ? null : runId.data! };
    } catch (err) {
      sendProblem(res, err, req.path, this.options.logger);
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    const unsubscribe = this.live.subscribe((event) => {
      if (matches(filter, event)) res.write(`event: baton\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const ping = setInterval(() => res.write(': ping\n\n'), STREAM_PING_MS);
    const end = setTimeout(() => res.end(), STREAM_LIFETIME_MS);
    this.streams.add(res);
    req.on('close', () => {
      this.streams.delete(res);
      unsubscribe();
      clearInterval(ping);
      clearTimeout(end);
    });
  }

  // Actions the API has no route for -------------------------------------------------------

  @Post('actions/rerun')
  async rerun(@Req() req: Request, @Res() res: Response): Promise<void> {
    try {
      this.requireOwnPage(req);
      const principal = await this.principalOf(req);
      this.limit('write', principal);
      if (!mayAccess(principal, 'operate')) {
        throw new BatonError('FORBIDDEN', `${principal.id} (roles: ${principal.roles.join(', ') || 'none'}) may not rerun a run: it needs operate access`, { access: 'operate', roles: principal.roles });
      }
      const parsed = RerunBody.safeParse(await readJsonBody(req, 16 * 1024));
      if (!parsed.success) throw new ValidationError(`invalid rerun: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      const key = req.headers['idempotency-key'];
      const reply = await this.options.calls.command(RerunRun, parsed.data, principal, commandIdOf(principal, Array.isArray(key) ? key[0] : key), parsed.data.runId);
      res.status(200).type('application/json').send(JSON.stringify(reply));
    } catch (err) {
      sendProblem(res, err, req.path, this.options.logger);
    }
  }

  // Pages --------------------------------------------------------------------------------

  @Get()
  runs(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async () => {
      const filter = RunsFilter.parse(req.query);
      const [runs, metrics, etas] = await Promise.all([part(this.data.runs(filter)), part(this.data.metrics(filter.workflowId)), part(this.data.etas())]);
      return { title: 'Runs', page: 'runs', live: { topics: ['run'] }, main: runsPage({ runs, metrics, etas, filter, now: Date.now() }) };
    });
  }

  @Get('runs/:runId')
  run(@Param('runId') runId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async (viewer) => {
      const id = RunId.parse(runId);
      const run = await part(this.data.run(id));
      const [replay, definition, handoffs, tasks, metrics, eta] = await Promise.all([
        part(this.data.replay(id)),
        run.ok ? part(this.data.definition(run.value.workflowId, run.value.version)) : Promise.resolve(run),
        part(this.data.handoffs(id)),
        part(this.data.tasks({ runId: id, limit: 1000 })),
        part(this.data.metrics().then((m) => m.runs.find((r) => r.runId === id))),
        part(this.data.etas(id).then((e) => e[0])),
      ]);
      return { title: `Run ${id}`, page: 'run', live: { topics: ['run', 'task', 'handoff'], runId: id }, main: runPage({ runId: id, run, replay, definition, handoffs, tasks, metrics, eta, viewer, now: Date.now() }) };
    });
  }

  @Get('runs/:runId/audit')
  audit(@Param('runId') runId: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async () => {
      const id = RunId.parse(runId);
      const atRaw = req.query['at'];
      const at = typeof atRaw === 'string' && /^\d+\/\d+$/.test(atRaw) ? atRaw : undefined;
      const run = await part(this.data.run(id));
      const timeline = run.ok ? await part(this.data.audit(id)) : run;
      const replay = at === undefined ? undefined : await part(this.data.replay(id, at));
      return { title: `Audit of ${id}`, page: 'audit', live: { topics: ['run'], runId: id }, main: auditPage({ runId: id, timeline, at, replay }) };
    });
  }

  @Get('agents')
  agents(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async () => {
      const [agents, held] = await Promise.all([part(this.data.agents()), part(this.data.heldTasks())]);
      return { title: 'Agents', page: 'agents', live: { topics: ['agent', 'task'] }, main: agentsPage(agents, held, Date.now()) };
    });
  }

  @Get('queue')
  queue(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async () => {
      const queued = await part(this.data.tasks({ status: 'queued', limit: 500 }));
      return { title: 'Queue', page: 'queue', live: { topics: ['task'] }, main: queuePage(queued) };
    });
  }

  @Get('inbox')
  inbox(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async (viewer) => {
      const pending = await part(this.data.approvals());
      return { title: 'Approvals', page: 'inbox', live: { topics: ['run'] }, main: inboxPage(pending, viewer) };
    });
  }

  @Get('escalations')
  escalations(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async (viewer) => {
      const list = await part(this.data.escalations());
      return { title: 'Escalations', page: 'escalations', live: { topics: ['escalation'] }, main: escalationsPage(list, viewer) };
    });
  }

  @Get('conflicts')
  conflicts(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.page(req, res, async (viewer) => {
      const list = await part(this.data.conflicts());
      return { title: 'Conflicts', page: 'conflicts', live: { topics: ['conflict'] }, main: conflictsPage(list, viewer) };
    });
  }

  // Plumbing -----------------------------------------------------------------------------

  /**
   * A page for a signed-in person: the whole document, or only its main content when the page's
   * script asks (`?fragment=1`) to redraw it. No session: the sign-in page (a redraw gets 401).
   */
  private async page(req: Request, res: Response, render: (viewer: Viewer) => Promise<Omit<PageOptions, 'viewer'> & { main: Html }>): Promise<void> {
    let principal: Principal;
    try {
      principal = await this.principalOf(req);
    } catch (err) {
      if (wantsFragment(req)) return sendProblem(res, err, req.path);
      res.redirect(303, `/dashboard/login?next=${encodeURIComponent(req.originalUrl.replace(/[?&]fragment=1/, ''))}`);
      return;
    }
    try {
      this.limit('read', principal);
      const viewer: Viewer = { id: principal.id, roles: principal.roles, mayOperate: mayAccess(principal, 'operate'), mayApprove: mayAccess(principal, 'approve') };
      const { main, ...options } = await render(viewer);
      this.sendHtml(res, wantsFragment(req) ? main : layout({ ...options, viewer }, main));
    } catch (err) {
      if (err instanceof z.ZodError) return sendProblem(res, new ValidationError('not a valid run id or filter'), req.path);
      sendProblem(res, err, req.path, this.options.logger);
    }
  }

  private sendHtml(res: Response, body: Html): void {
    res.status(200).type('text/html; charset=utf-8').setHeader('Cache-Control', 'no-store').setHeader('Content-Security-Policy', CSP).send(body.text);
  }

  /** The signed-in person, from the session cookie, checked as the API checks a bearer token. */
  private principalOf(req: Request): Promise<Principal> {
    const token = cookieOf(req.headers.cookie, SESSION_COOKIE);
    if (token === undefined || token === '') return Promise.reject(new GatewayError('UNAUTHENTICATED', 'sign in at /dashboard/login'));
    return this.options.authenticator.authenticate(`Bearer ${token}`, undefined);
  }

  /** A state-changing dashboard request must come from the dashboard's own page (CSRF). */
  private requireOwnPage(req: Request): void {
    if (!isDashboardRequest(req.headers, ownOriginOf(req.headers, this.options.https))) {
      throw new BatonError('FORBIDDEN', 'this request must come from the dashboard page itself (X-Baton-Dashboard header, same origin)');
    }
  }

  private limit(rateClass: 'read' | 'write', principal: Principal): void {
    const decision = this.options.limiters[rateClass].take(`${principal.kind}:${principal.id}`);
    if (!decision.allowed) {
      throw new GatewayError('RATE_LIMITED', `too many ${rateClass} requests from ${principal.id}; retry after ${decision.retryAfterS} s`, { retryAfterS: decision.retryAfterS }, { 'Retry-After': String(decision.retryAfterS) });
    }
  }
}

import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { BatonError, GATEWAY_ROUTES, IdempotencyKey, shortDigest, ValidationError } from '@baton/contracts';
import type { Logger } from 'pino';
import { mayAccess, type Principal } from '../auth/principal';
import { GatewayError, PROBLEM_JSON, problemOf } from '../http/problem';
import { readJsonBody } from '../http/request-body';
import { rateLimitedError, signInsRefusedError } from '../limits/rate-gate';
import { rateKeyOf } from '../limits/rate-limiter';
import { methodNotAllowed } from './gateway-api';
import { RouteMatcher } from './route-matcher';
import { API_OPTIONS, type ApiOptions } from './api.tokens';

/** The problem+json answer of any error. */
export function sendProblem(res: Response, err: unknown, instance: string, logger?: Logger): void {
  const { problem, headers } = problemOf(err, instance);
  if (problem.code === 'INTERNAL') logger?.error({ err, instance }, 'request failed');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(problem.status).type(PROBLEM_JSON).send(JSON.stringify(problem));
}

/** Query string as one value per name; a name given twice is ambiguous and refused. */
function singleValued(query: Request['query']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== 'string') throw new ValidationError(`query parameter "${name}" must be given once, as text`, { field: name });
    out[name] = value;
  }
  return out;
}

/**
 * Every `/api/...` route of the table in `@baton/contracts` (GATEWAY_ROUTES), through one pipeline:
 * find the route, authenticate, rate-limit per principal and route class, check the role, read
 * and parse the body, then let {@link GatewayApi} answer. Any failure is problem+json; nothing is
 * sent to a service before the request has passed every check. A principal already over its rate
 * is mostly refused before it gets here (limits/rate-gate.ts).
 */
@Controller()
export class ApiController {
  private readonly matcher = new RouteMatcher(GATEWAY_ROUTES);

  constructor(@Inject(API_OPTIONS) private readonly options: ApiOptions) {}

  @All('api/{*path}')
  async handle(@Req() req: Request, @Res() res: Response): Promise<void> {
    const instance = req.path;
    try {
      const match = this.matcher.match(req.method, req.path);
      if (match === undefined) throw new GatewayError('NOT_FOUND', `no route ${req.method} ${req.path}; the routes are listed at /api/docs`);
      if ('allowed' in match) throw methodNotAllowed(match.allowed);
      const { route, params } = match;
      const address = req.socket.remoteAddress ?? 'unknown';
      if (!this.options.authFailures.peek(address).allowed) throw signInsRefusedError();
      let principal;
      try {
        principal = await this.options.authenticator.authenticate(req.headers.authorization, header(req, 'x-api-key'));
      } catch (err) {
        if ((err as { code?: unknown }).code === 'UNAUTHENTICATED') this.options.authFailures.take(address);
        throw err;
      }
      const decision = this.options.limiters[route.rateClass].take(rateKeyOf(principal));
      if (!decision.allowed) throw rateLimitedError(principal, route.rateClass, decision.retryAfterS);
      if (!mayAccess(principal, route.access)) {
        throw new BatonError('FORBIDDEN', `${principal.id} (roles: ${principal.roles.join(', ') || 'none'}) may not ${route.operationId}: it needs ${route.access} access`, {
          access: route.access,
          roles: principal.roles,
        });
      }
      const query = singleValued(req.query);
      const body = route.method === 'POST' ? await readJsonBody(req, this.options.maxBodyBytes) : undefined;
      const result = await this.options.api.handle({ route, principal, params, query, body, commandId: commandIdOf(principal, header(req, 'idempotency-key')) });
      res.status(200).type('application/json').send(JSON.stringify(result ?? null));
    } catch (err) {
      sendProblem(res, err, instance, this.options.logger);
    }
  }
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The command id a request is sent with. An `Idempotency-Key` becomes the command id (scoped to the
 * principal, so two callers' keys never meet), and the services' own idempotency returns the first
 * outcome of a retry: on every replica, with no cache of the gateway's.
 */
export function commandIdOf(principal: Principal, key: string | undefined): string {
  if (key === undefined) return `http-${randomUUID()}`;
  const parsed = IdempotencyKey.safeParse(key);
  if (!parsed.success) throw new ValidationError(`Idempotency-Key: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { field: 'Idempotency-Key' });
  return `http-${shortDigest(`${principal.kind}:${principal.id}`, 16)}-${parsed.data}`;
}


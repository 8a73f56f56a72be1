import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { RateClass } from '@baton/contracts';
import type { RouteMatcher } from '../api/route-matcher';
import type { Authenticator } from '../auth/authenticator';
import type { Principal } from '../auth/principal';
import { GatewayError, PROBLEM_JSON, problemDetails } from '../http/problem';
import { rateKeyOf, type RateLimiter } from './rate-limiter';

export interface RateGateOptions {
  /** The API's routes: a request's route class picks its limiter. */
  readonly matcher: RouteMatcher;
  readonly authenticator: Authenticator;
  /** The API controller's limiters (the same objects: the gate only reads them). */
  readonly limiters: Readonly<Record<RateClass, RateLimiter>>;
  /** The API controller's failed sign-ins per client address (read only, likewise). */
  readonly authFailures: RateLimiter;
  /** The headers every answer carries (http/security-headers.ts). */
  readonly headers: (path: string, origin: string | undefined) => Record<string, string>;
}

/** What a principal over its rate is told, at the door or by the API controller. */
function rateLimitedDetail(principal: Principal, rateClass: RateClass, retryAfterS: number): string {
  return `too many ${rateClass} requests from ${principal.id}; retry after ${retryAfterS} s`;
}

const SIGN_INS_REFUSED = 'too many failed sign-ins from this address; wait and retry';

/** The API controller's refusal of an address past its failed sign-ins (the same answer the gate writes). */
export function signInsRefusedError(): GatewayError {
  return new GatewayError('RATE_LIMITED', SIGN_INS_REFUSED, undefined, { 'Retry-After': '1' });
}

/** The API controller's refusal of a principal over its rate (the same answer the gate writes). */
export function rateLimitedError(principal: Principal, rateClass: RateClass, retryAfterS: number): GatewayError {
  return new GatewayError('RATE_LIMITED', rateLimitedDetail(principal, rateClass, retryAfterS), { retryAfterS }, { 'Retry-After': String(retryAfterS) });
}

/**
 * Refuses at the door a request whose principal has no token left for its route's class, or
 * whose address is past its failed sign-ins: first thing on the HTTP server, before Express routes
 * it, before Nest, before its body is read and before any NATS call. A refusal costs a route
 * match, a map lookup of the credentials (an API key seen before, a token this replica verified
 * before), a bucket check and one write, so a flooding principal spends little of the event loop
 * the others' requests wait on. Anything else goes on unchanged (an unknown path or credential, a
 * first request, a principal with tokens) to the API controller, which decides in full and spends
 * the token: the gate only ever refuses what the controller would refuse, with the same
 * problem+json.
 *
 * @example
 * putInFront(app.getHttpServer(), rateGate({ matcher, authenticator, limiters, authFailures, headers }));
 */
export function rateGate(options: RateGateOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const url = req.url ?? '';
    if (!url.startsWith('/api/')) return false;
    const query = url.indexOf('?');
    const path = query < 0 ? url : url.slice(0, query);
    const match = options.matcher.match(req.method ?? '', path);
    if (match === undefined || 'allowed' in match) return false;
    const refuse = (detail: string, retryAfterS: number, details?: unknown): true => {
      const body = JSON.stringify(problemDetails('RATE_LIMITED', detail, path, details));
      res.writeHead(429, {
        ...options.headers(path, req.headers.origin),
        'Retry-After': String(retryAfterS),
        'Content-Type': `${PROBLEM_JSON}; charset=utf-8`,
        'Content-Length': String(Buffer.byteLength(body)),
      });
      res.end(body);
      return true;
    };
    if (!options.authFailures.peek(req.socket.remoteAddress ?? 'unknown').allowed) return refuse(SIGN_INS_REFUSED, 1);
    const apiKey = req.headers['x-api-key'];
    const principal = options.authenticator.knownPrincipal(req.headers.authorization, Array.isArray(apiKey) ? apiKey[0] : apiKey);
    if (principal === undefined) return false;
    const rateClass = match.route.rateClass;
    const decision = options.limiters[rateClass].peek(rateKeyOf(principal));
    if (decision.allowed) return false;
    return refuse(rateLimitedDetail(principal, rateClass, decision.retryAfterS), decision.retryAfterS, { retryAfterS: decision.retryAfterS });
  };
}

/**
 * Makes `gate` the first thing a server does with each request: the handlers it has (Nest's
 * Express app, attached when the Nest application is created) see only what the gate lets by.
 * Call it before the server listens.
 */
export function putInFront(server: Server, gate: (req: IncomingMessage, res: ServerResponse) => boolean): void {
  const handlers = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (!gate(req, res)) for (const handler of handlers) handler.call(server, req, res);
  });
}

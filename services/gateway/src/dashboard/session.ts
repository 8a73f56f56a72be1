import type { IncomingHttpHeaders } from 'node:http';

/** The cookie holding a signed-in person's token: HttpOnly (no script reads it), SameSite=Strict. */
export const SESSION_COOKIE = 'baton_session';

/**
 * The header the dashboard's own scripts send with every API call. A page on another site cannot
 * send it: a cross-origin request with a custom header needs a CORS preflight, which the gateway
 * refuses unless BATON_CORS_ORIGINS names that site (and then the cookie is still not accepted
 * without a same-origin `Origin`).
 */
export const DASHBOARD_HEADER = 'x-baton-dashboard';

/** The value of one cookie of a `Cookie` header; undefined when absent. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const value = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** `Set-Cookie` for a session (a token) that lasts `maxAgeS`, or that ends it (`token` null). */
export function sessionCookie(token: string | null, options: { readonly secure: boolean; readonly maxAgeS: number }): string {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(options.secure ? ['Secure'] : [])];
  if (token === null) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attrs].join('; ');
  return [`${SESSION_COOKIE}=${encodeURIComponent(token)}`, `Max-Age=${Math.max(0, Math.floor(options.maxAgeS))}`, ...attrs].join('; ');
}

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Whether a request is one the dashboard's own page made: it carries {@link DASHBOARD_HEADER},
 * and the browser's `Origin` and `Sec-Fetch-Site` (when sent) say it comes from this very origin.
 * Only such requests may authenticate with the session cookie; anything else needs a bearer
 * token or an API key, so a forged cross-site request carries no one's authority.
 */
export function isDashboardRequest(headers: IncomingHttpHeaders, ownOrigin: string): boolean {
  if (first(headers[DASHBOARD_HEADER]) !== '1') return false;
  const site = first(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin') return false;
  const origin = first(headers.origin);
  return origin === undefined || origin === ownOrigin;
}

/** The origin a request was addressed to (`http://host:port`), as the browser sees it. */
export function ownOriginOf(headers: IncomingHttpHeaders, https: boolean): string {
  return `${https ? 'https' : 'http'}://${first(headers.host) ?? ''}`;
}

/**
 * The session token as a bearer credential, for a dashboard request that has no credentials of
 * its own; undefined otherwise (the API then answers as it would to anyone else).
 */
export function sessionAuthorization(headers: IncomingHttpHeaders, https: boolean): string | undefined {
  if (headers.authorization !== undefined || headers['x-api-key'] !== undefined) return undefined;
  const token = cookieOf(first(headers.cookie), SESSION_COOKIE);
  if (token === undefined || token === '') return undefined;
  if (!isDashboardRequest(headers, ownOriginOf(headers, https))) return undefined;
  return `Bearer ${token}`;
}

import type { NextFunction, Request, Response } from 'express';

export interface SecurityHeaderOptions {
  readonly https: boolean;
  readonly corsOrigins: readonly string[];
}

/**
 * The headers of an answer to `path` for a caller from `origin` (none for a client that is not a
 * browser): not framed, not sniffed, not cached (the API), no referrer, and CORS closed unless
 * BATON_CORS_ORIGINS names the origin (browsers then refuse cross-origin calls).
 */
export function securityHeadersFor(options: SecurityHeaderOptions): (path: string, origin: string | undefined) => Record<string, string> {
  const allowed = new Set(options.corsOrigins);
  const always: Record<string, string> = {
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=()',
    // Pages that need more (the docs page, a dashboard) set their own policy.
    'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
    ...(options.https ? { 'Strict-Transport-Security': 'max-age=31536000; includeSubDomains' } : {}),
  };
  return (path, origin) => {
    const headers = { ...always };
    if (path.startsWith('/api/')) headers['Cache-Control'] = 'no-store';
    if (origin !== undefined && allowed.has(origin)) {
      headers['Access-Control-Allow-Origin'] = origin;
      headers['Vary'] = 'Origin';
      headers['Access-Control-Expose-Headers'] = 'Retry-After, Location';
    }
    return headers;
  };
}

/** Sets {@link securityHeadersFor}'s headers on every answer, and answers CORS preflights. */
export function securityHeaders(options: SecurityHeaderOptions) {
  const allowed = new Set(options.corsOrigins);
  const headersFor = securityHeadersFor(options);
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    for (const [name, value] of Object.entries(headersFor(req.path, origin))) res.setHeader(name, value);
    if (req.method === 'OPTIONS') {
      if (origin !== undefined && allowed.has(origin)) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, Idempotency-Key, X-API-Key');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      res.status(204).end();
      return;
    }
    next();
  };
}

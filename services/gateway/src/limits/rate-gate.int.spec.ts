import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { GATEWAY_ROUTES, ProblemDetails } from '@baton/contracts';
import { RouteMatcher } from '../api/route-matcher';
import { ApiKeyRing } from '../auth/api-keys';
import { Authenticator } from '../auth/authenticator';
import { securityHeadersFor } from '../http/security-headers';
import { putInFront, rateGate } from './rate-gate';
import { RateLimiter } from './rate-limiter';

// The gate in front of a real HTTP server on loopback: what it refuses never reaches the handler
// behind it (in the gateway, Express and Nest), and what it lets by is the API controller's to decide.

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('rate gate', () => {
  const KEY = 'k-flood-0123456789';
  let now = 0;
  let issuer: Server;
  let issuerUrl: string;
  let server: Server;
  let url: string;
  let sign: (sub: string) => Promise<string>;
  const reached: string[] = [];
  const limiters = { read: new RateLimiter(1, 2, () => now), write: new RateLimiter(1, 2, () => now) };
  const authFailures = new RateLimiter(1, 2, () => now);
  let authenticator: Authenticator;
  let authNow = Date.now();

  beforeAll(async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    issuer = createServer((_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
    issuerUrl = await listen(issuer);
    sign = (sub) =>
      new SignJWT({ roles: ['viewer'] })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer(issuerUrl)
        .setAudience('baton')
        .setSubject(sub)
        .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
        .sign(privateKey);
    const ring = ApiKeyRing.of({ keys: [{ id: 'flood-bot', sha256: createHash('sha256').update(KEY).digest('hex'), roles: ['viewer'], groups: [] }] });
    authenticator = new Authenticator({ issuer: issuerUrl, audience: 'baton', jwksUrl: `${issuerUrl}/keys`, apiKeys: () => ring, rolesClaim: 'roles', groupsClaim: 'groups', roleMap: {} }, () => authNow);
    server = createServer((req, res) => {
      reached.push(`${req.method} ${req.url}`);
      res.end('behind');
    });
    putInFront(server, rateGate({ matcher: new RouteMatcher(GATEWAY_ROUTES), authenticator, limiters, authFailures, headers: securityHeadersFor({ https: false, corsOrigins: [] }) }));
    url = await listen(server);
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await new Promise((r) => issuer.close(r));
  });

  beforeEach(() => {
    reached.length = 0;
    now += 60_000;
  });

  it('refuses a known key with no token left at the door: 429 problem+json with Retry-After, nothing behind it reached', async () => {
    expect((await fetch(`${url}/api/agents`, { headers: { 'X-API-Key': KEY } })).status).toBe(200);
    // The API controller spends the tokens (here: the test, for it).
    limiters.read.take('service:flood-bot');
    limiters.read.take('service:flood-bot');
    const refused = await fetch(`${url}/api/agents?limit=5`, { headers: { 'X-API-Key': KEY } });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    expect(refused.headers.get('cache-control')).toBe('no-store');
    expect(ProblemDetails.parse(await refused.json())).toEqual({
      type: 'urn:baton:problem:rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'too many read requests from flood-bot; retry after 1 s',
      instance: '/api/agents',
      code: 'RATE_LIMITED',
      details: { retryAfterS: 1 },
    });
    // Its own class only: the same key's writes still go by, and so does another principal.
    expect((await fetch(`${url}/api/runs`, { method: 'POST', headers: { 'X-API-Key': KEY } })).status).toBe(200);
    expect((await fetch(`${url}/api/agents`, { headers: { 'X-API-Key': 'another-key' } })).status).toBe(200);
    expect(reached).toEqual(['GET /api/agents', 'POST /api/runs', 'GET /api/agents']);
  });

  it('lets by what only the API controller can answer: unknown keys and paths, other methods, no credentials', async () => {
    limiters.read.take('service:flood-bot');
    limiters.read.take('service:flood-bot');
    for (const [path, init] of [
      ['/api/agents', { headers: { 'X-API-Key': 'unknown' } }],
      ['/api/agents', {}],
      ['/api/nowhere', { headers: { 'X-API-Key': KEY } }],
      ['/api/agents', { method: 'DELETE', headers: { 'X-API-Key': KEY } }],
      ['/healthz', { headers: { 'X-API-Key': KEY } }],
    ] as const) {
      expect((await fetch(`${url}${path}`, init)).status).toBe(200);
    }
    expect(reached).toHaveLength(5);
  });

  it('refuses an address past its failed sign-ins at the door, whatever it sends, before any credential is checked', async () => {
    // The API controller counts the failures (here: the test, for it).
    authFailures.take('127.0.0.1');
    authFailures.take('127.0.0.1');
    for (const headers of [{ 'X-API-Key': 'another-guess' }, { 'X-API-Key': KEY }]) {
      const refused = await fetch(`${url}/api/agents`, { headers });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ code: 'RATE_LIMITED', detail: 'too many failed sign-ins from this address; wait and retry', instance: '/api/agents' });
    }
    expect(reached).toEqual([]);
  });

  it('refuses a token at the door only once this replica has verified it, and not after it expires', async () => {
    const token = await sign('ana');
    limiters.read.take('human:ana');
    limiters.read.take('human:ana');
    expect((await fetch(`${url}/api/agents`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    await authenticator.authenticate(`Bearer ${token}`, undefined);
    expect((await fetch(`${url}/api/agents`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(429);
    expect(authenticator.knownPrincipal(`Bearer ${token}`, undefined)?.id).toBe('ana');
    expect(authenticator.knownPrincipal(`Bearer ${token}x`, undefined)).toBeUndefined();
    authNow += 601_000;
    expect(authenticator.knownPrincipal(`Bearer ${token}`, undefined)).toBeUndefined();
    expect((await fetch(`${url}/api/agents`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(reached).toEqual(['GET /api/agents', 'GET /api/agents']);
  });

  it('does not take a forged token for one it verified: the same person signed by another key goes on to the controller', async () => {
    authNow = Date.now();
    const token = await sign('bea');
    await authenticator.authenticate(`Bearer ${token}`, undefined);
    limiters.read.take('human:bea');
    limiters.read.take('human:bea');
    const { privateKey: otherKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(issuerUrl)
      .setAudience('baton')
      .setSubject('bea')
      .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
      .sign(otherKey);
    expect(authenticator.knownPrincipal(`Bearer ${forged}`, undefined)).toBeUndefined();
    // Not refused as bea's (the controller then refuses it as unverifiable), and bea's own is.
    expect((await fetch(`${url}/api/agents`, { headers: { Authorization: `Bearer ${forged}` } })).status).toBe(200);
    expect((await fetch(`${url}/api/agents`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(429);
    await expect(authenticator.authenticate(`Bearer ${forged}`, undefined)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(reached).toEqual(['GET /api/agents']);
  });
});

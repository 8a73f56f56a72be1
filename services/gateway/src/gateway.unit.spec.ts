import { BatonError, GATEWAY_ROUTES, ListEscalations, ListTasks } from '@baton/contracts';
import { commandIdOf } from './api/api.controller';
import { queryData } from './api/gateway-api';
import { RouteMatcher } from './api/route-matcher';
import { ApiKeyRing, hashApiKey } from './auth/api-keys';
import { principalOfClaims } from './auth/claims';
import { isNamedIn, mayAccess, type Principal } from './auth/principal';
import { GatewayError, problemOf } from './http/problem';

const person = (over: Partial<Principal> = {}): Principal => ({ id: 'ana', kind: 'human', name: 'Ana', roles: ['operator'], groups: ['release-managers'], ...over });

describe('identity', () => {
  const mapping = { rolesClaim: 'realm_access.roles', groupsClaim: 'groups', roleMap: { 'baton-ops': ['operator' as const], 'baton-admins': ['admin' as const, 'approver' as const] } };

  it('maps claim values to roles through the configured map, and keeps them as groups too', () => {
    const p = principalOfClaims({ sub: 'u-1', preferred_username: 'ana', realm_access: { roles: ['baton-ops', 'unknown'] }, groups: ['CPO'] }, mapping);
    expect(p).toEqual({ id: 'u-1', kind: 'human', name: 'ana', roles: ['operator'], groups: ['CPO', 'baton-ops', 'unknown'] });
  });

  it('gives no role for values the map does not name, and refuses a token without sub', () => {
    expect(principalOfClaims({ sub: 'u-2', realm_access: { roles: ['admin'] } }, mapping)?.roles).toEqual([]);
    expect(principalOfClaims({ realm_access: { roles: ['baton-ops'] } }, mapping)).toBeUndefined();
  });

  it('checks route access by role', () => {
    expect(mayAccess(person({ roles: ['viewer'] }), 'read')).toBe(true);
    expect(mayAccess(person({ roles: ['viewer'] }), 'approve')).toBe(false);
    expect(mayAccess(person({ roles: ['approver'] }), 'operate')).toBe(false);
    expect(mayAccess(person({ roles: ['admin'] }), 'approve')).toBe(true);
  });

  it('matches trigger.authorized and requires_approval names: Human is any person, others by id, name or group', () => {
    expect(isNamedIn(person(), ['Human'])).toBe(true);
    expect(isNamedIn(person({ kind: 'service' }), ['Human'])).toBe(false);
    expect(isNamedIn(person(), ['Release-Managers'])).toBe(true);
    expect(isNamedIn(person(), ['ana'])).toBe(true);
    expect(isNamedIn(person(), ['CPO', 'security-lead'])).toBe(false);
  });

  it('finds a service account by the SHA-256 of its key, never by the key itself', () => {
    const ring = ApiKeyRing.of({ keys: [{ id: 'ci-bot', sha256: hashApiKey('k-123'), roles: ['operator'], groups: [] }] });
    expect(ring.principalOf('k-123')).toMatchObject({ id: 'ci-bot', kind: 'service', roles: ['operator'] });
    expect(ring.principalOf('k-124')).toBeUndefined();
  });

  it('scopes an Idempotency-Key to the principal and refuses a malformed one', () => {
    expect(commandIdOf(person(), 'retry-1')).toBe(commandIdOf(person(), 'retry-1'));
    expect(commandIdOf(person(), 'retry-1')).not.toBe(commandIdOf(person({ id: 'bob' }), 'retry-1'));
    expect(() => commandIdOf(person(), 'bad key!')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

describe('routes', () => {
  const matcher = new RouteMatcher(GATEWAY_ROUTES);

  it('prefers literal segments: execute is not a run id', () => {
    expect(matcher.match('POST', '/api/workflows/execute')).toMatchObject({ route: { operationId: 'executeWorkflow' } });
    expect(matcher.match('GET', '/api/workflows/run-1')).toMatchObject({ route: { operationId: 'getWorkflowStatus' }, params: { id: 'run-1' } });
    expect(matcher.match('GET', '/api/runs/r%2D1/replay')).toMatchObject({ params: { runId: 'r-1' } });
  });

  it('tells the allowed methods of a known path, and nothing for an unknown one', () => {
    expect(matcher.match('DELETE', '/api/runs/r-1')).toEqual({ allowed: ['GET'] });
    expect(matcher.match('GET', '/api/nothing')).toBeUndefined();
  });

  it('has one route per operation id and a canonical route for every forwarded message', () => {
    const ids = GATEWAY_ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const keys = GATEWAY_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('reads numbers and booleans from a query string where the message takes them', () => {
    expect(queryData(ListTasks.versions[1]!, { limit: '5', status: 'queued' })).toEqual({ limit: 5, status: 'queued' });
    expect(queryData(ListEscalations.versions[1]!, { level: '2' })).toEqual({ level: 2 });
    expect(queryData(ListTasks.versions[1]!, { runId: '123' })).toEqual({ runId: '123' });
  });
});

describe('problem details', () => {
  it('keeps the code, message and details of a service error, with the status of its code', () => {
    const { problem } = problemOf(new BatonError('ILLEGAL_TRANSITION', 'run r-1 is finished', { runId: 'r-1' }), '/api/runs/r-1/cancel');
    expect(problem).toEqual({
      type: 'urn:baton:problem:illegal-transition',
      title: 'Illegal transition',
      status: 409,
      detail: 'run r-1 is finished',
      instance: '/api/runs/r-1/cancel',
      code: 'ILLEGAL_TRANSITION',
      details: { runId: 'r-1' },
    });
  });

  it('carries the headers of an edge error, and leaks nothing of an unknown one', () => {
    expect(problemOf(new GatewayError('RATE_LIMITED', 'slow down', undefined, { 'Retry-After': '2' }), '/x')).toMatchObject({ problem: { status: 429 }, headers: { 'Retry-After': '2' } });
    expect(problemOf(new Error('password=hunter2'), '/x').problem).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'internal error' });
  });
});

import type { IncomingMessage } from 'node:http';
import { bearerTokenOf, bearerTokens } from './mcp-http';
import { natsAuthFromEnv } from './nats-auth';

const request = (authorization?: string): IncomingMessage => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe('bearer tokens', () => {
  const authenticate = bearerTokens({ 'tok-a': 'agent-a', 'tok-b': 'agent-b' });

  // Authorization header, the bearer token read from it, and the agent that token maps to.
  it.each<[string | undefined, string | null, string | null]>([
    ['Bearer tok-a', 'tok-a', 'agent-a'],
    ['bearer  tok-b ', 'tok-b', 'agent-b'],
    ['Bearer abc.def', 'abc.def', null],
    ['Bearer tok-c', 'tok-c', null],
    ['Bearer tok-a-longer', 'tok-a-longer', null],
    ['Basic tok-a', null, null],
    ['Bearer', null, null],
    [undefined, null, null],
  ])('reads the bearer token of %p (%p), and maps only a known token to its agent (%p)', (header, token, agent) => {
    expect(bearerTokenOf(request(header))).toBe(token);
    expect(authenticate(request(header))).toBe(agent);
  });
});

describe('natsAuthFromEnv', () => {
  const files: Record<string, string> = { '/secrets/agent.creds': '-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.x\n------END NATS USER JWT------\n' };
  const read = (p: string): Uint8Array => {
    const text = files[p];
    if (text === undefined) throw new Error(`ENOENT: no such file, open '${p}'`);
    return new TextEncoder().encode(text);
  };

  it('takes a creds file first, then a token, then user and password; blank means unset', () => {
    expect(typeof natsAuthFromEnv({ NATS_CREDS: '/secrets/agent.creds', NATS_TOKEN: 't' }, read).authenticator).toBe('function');
    expect(natsAuthFromEnv({ NATS_CREDS: ' ', NATS_TOKEN: 't', NATS_USER: 'u', NATS_PASSWORD: 'p' })).toEqual({ token: 't' });
    expect(natsAuthFromEnv({ NATS_USER: 'u', NATS_PASSWORD: 'p' })).toEqual({ user: 'u', pass: 'p' });
    expect(natsAuthFromEnv({})).toEqual({});
  });

  it('refuses a creds file it cannot read, and a user without a password, naming the variable', () => {
    expect(() => natsAuthFromEnv({ NATS_CREDS: '/secrets/missing.creds' }, read)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { variable: 'NATS_CREDS' } }));
    expect(() => natsAuthFromEnv({ NATS_USER: 'u' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', details: { variable: 'NATS_PASSWORD' } }));
  });
});

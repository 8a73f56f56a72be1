import type { IncomingMessage } from 'node:http';
import { bearerTokenOf, bearerTokens } from './mcp-http';
import { natsAuthFromEnv } from './nats-auth';

const request = (authorization?: string): IncomingMessage => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe('bearer tokens', () => {
  it('reads the token of an Authorization: Bearer header, and nothing else', () => {
    expect(bearerTokenOf(request('Bearer abc.def'))).toBe('abc.def');
    expect(bearerTokenOf(request('bearer  abc '))).toBe('abc');
    expect(bearerTokenOf(request('Basic abc'))).toBeNull();
    expect(bearerTokenOf(request('Bearer'))).toBeNull();
    expect(bearerTokenOf(request())).toBeNull();
  });

  it('maps each known token to its agent; anything else is nobody', () => {
    const authenticate = bearerTokens({ 'tok-a': 'agent-a', 'tok-b': 'agent-b' });
    expect(authenticate(request('Bearer tok-a'))).toBe('agent-a');
    expect(authenticate(request('Bearer tok-b'))).toBe('agent-b');
    expect(authenticate(request('Bearer tok-c'))).toBeNull();
    expect(authenticate(request('Bearer tok-a-longer'))).toBeNull();
    expect(authenticate(request())).toBeNull();
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

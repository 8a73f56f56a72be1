import { DEFAULT_HEARTBEAT_WINDOW_MS, DEFAULT_HTTP_PORT, readAgentRegistryConfig } from './config';

const good = { DATABASE_URL: 'postgres://baton:baton@127.0.0.1:5432/baton', NATS_URL: 'nats://127.0.0.1:4222' };

describe('readAgentRegistryConfig', () => {
  it('reads the variables, with the default HTTP port and host', () => {
    expect(readAgentRegistryConfig(good)).toEqual({
      databaseUrl: good.DATABASE_URL,
      natsUrl: good.NATS_URL,
      httpPort: DEFAULT_HTTP_PORT,
      httpHost: '127.0.0.1',
      heartbeatWindowMs: DEFAULT_HEARTBEAT_WINDOW_MS,
      eventStore: { kind: 'postgres' },
    });
    expect(readAgentRegistryConfig({ ...good, HTTP_PORT: ' 8080 ', HTTP_HOST: '127.0.0.1' })).toMatchObject({ httpPort: 8080, httpHost: '127.0.0.1' });
  });

  it('reads the heartbeat window and the agents file', () => {
    expect(readAgentRegistryConfig({ ...good, HEARTBEAT_WINDOW_MS: '1000', AGENTS_FILE: ' /etc/baton/agents.yaml ' })).toMatchObject({
      heartbeatWindowMs: 1000,
      agentsFile: '/etc/baton/agents.yaml',
    });
    expect(readAgentRegistryConfig({ ...good, AGENTS_FILE: '  ' })).not.toHaveProperty('agentsFile');
  });

  it('selects the KurrentDB event store when configured', () => {
    expect(readAgentRegistryConfig({ ...good, BATON_EVENT_STORE: 'kurrentdb', EVENTSTORE_URL: 'kurrentdb://kurrentdb:2113?tls=false' }).eventStore).toEqual({
      kind: 'kurrentdb',
      kurrentUrl: 'kurrentdb://kurrentdb:2113?tls=false',
    });
  });

  it('treats blank as unset', () => {
    expect(readAgentRegistryConfig({ ...good, HTTP_PORT: '  ' }).httpPort).toBe(DEFAULT_HTTP_PORT);
    expect(() => readAgentRegistryConfig({ ...good, DATABASE_URL: '   ' })).toThrow(/^DATABASE_URL is not set/);
  });

  it.each([
    [{ DATABASE_URL: undefined }, 'DATABASE_URL', /^DATABASE_URL is not set: expected an absolute URL with scheme postgres:\/\/ or postgresql:\/\//],
    [{ DATABASE_URL: 'not a url' }, 'DATABASE_URL', /^DATABASE_URL is invalid: expected an absolute URL/],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL', /^DATABASE_URL is invalid: expected an absolute URL with scheme postgres:\/\//],
    [{ NATS_URL: undefined }, 'NATS_URL', /^NATS_URL is not set/],
    [{ HTTP_PORT: 'eighty' }, 'HTTP_PORT', /^HTTP_PORT is invalid: expected an integer from 0 to 65535, got "eighty"/],
    [{ HTTP_PORT: '70000' }, 'HTTP_PORT', /^HTTP_PORT is invalid/],
    [{ HEARTBEAT_WINDOW_MS: 'soon' }, 'HEARTBEAT_WINDOW_MS', /^HEARTBEAT_WINDOW_MS is invalid: expected an integer from 100 to 86400000, got "soon"/],
    [{ HEARTBEAT_WINDOW_MS: '5' }, 'HEARTBEAT_WINDOW_MS', /^HEARTBEAT_WINDOW_MS is invalid: expected an integer from 100/],
  ])('stops on %p with an error naming the variable', (override, variable, message) => {
    const env = { ...good, ...override };
    expect(() => readAgentRegistryConfig(env)).toThrow(message);
    expect(() => readAgentRegistryConfig(env)).toThrow(expect.objectContaining({ code: 'INVALID_ENV', variable }));
  });

  it.each([
    [{ BATON_EVENT_STORE: 'mongo' }, /^BATON_EVENT_STORE: must be "postgres" or "kurrentdb"/],
    [{ BATON_EVENT_STORE: 'kurrentdb' }, /^EVENTSTORE_URL: is required when BATON_EVENT_STORE=kurrentdb/],
  ])('stops on a bad event store selection %p', (override, message) => {
    expect(() => readAgentRegistryConfig({ ...good, ...override })).toThrow(message);
  });
});

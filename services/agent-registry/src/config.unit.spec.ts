import { DEFAULT_HEARTBEAT_WINDOW_MS, DEFAULT_HTTP_PORT, readConfig } from './config';

const good = { DATABASE_URL: 'postgres://baton:baton@127.0.0.1:5432/baton', NATS_URL: 'nats://127.0.0.1:4222' };

describe('readConfig', () => {
  it('reads the variables, with the default HTTP port', () => {
    expect(readConfig(good)).toEqual({
      databaseUrl: good.DATABASE_URL,
      natsUrl: good.NATS_URL,
      httpPort: DEFAULT_HTTP_PORT,
      heartbeatWindowMs: DEFAULT_HEARTBEAT_WINDOW_MS,
      eventStore: { kind: 'postgres' },
    });
    expect(readConfig({ ...good, HTTP_PORT: ' 8080 ' }).httpPort).toBe(8080);
  });

  it('reads the heartbeat window and the agents file', () => {
    expect(readConfig({ ...good, HEARTBEAT_WINDOW_MS: '1000', AGENTS_FILE: ' /etc/baton/agents.yaml ' })).toMatchObject({
      heartbeatWindowMs: 1000,
      agentsFile: '/etc/baton/agents.yaml',
    });
    expect(readConfig({ ...good, AGENTS_FILE: '  ' })).not.toHaveProperty('agentsFile');
  });

  it('selects the KurrentDB event store when configured', () => {
    expect(readConfig({ ...good, BATON_EVENT_STORE: 'kurrentdb', EVENTSTORE_URL: 'kurrentdb://kurrentdb:2113?tls=false' }).eventStore).toEqual({
      kind: 'kurrentdb',
      kurrentUrl: 'kurrentdb://kurrentdb:2113?tls=false',
    });
  });

  it('treats blank as unset', () => {
    expect(readConfig({ ...good, HTTP_PORT: '  ' }).httpPort).toBe(DEFAULT_HTTP_PORT);
    expect(() => readConfig({ ...good, DATABASE_URL: '   ' })).toThrow(/^DATABASE_URL: is required/);
  });

  it.each([
    [{ DATABASE_URL: undefined }, /^DATABASE_URL: is required/],
    [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: is not a URL/],
    [{ DATABASE_URL: 'mysql://x/y' }, /^DATABASE_URL: must use postgres: or postgresql:/],
    [{ NATS_URL: undefined }, /^NATS_URL: is required/],
    [{ NATS_URL: 'nats://a:4222,http://b' }, /^NATS_URL: "http:\/\/b" must use nats:\/\//],
    [{ HTTP_PORT: 'eighty' }, /^HTTP_PORT: must be a port number/],
    [{ HTTP_PORT: '70000' }, /^HTTP_PORT: must be a port number/],
    [{ HEARTBEAT_WINDOW_MS: 'soon' }, /^HEARTBEAT_WINDOW_MS: expected an integer from 100 to 86400000, got "soon"/],
    [{ HEARTBEAT_WINDOW_MS: '5' }, /^HEARTBEAT_WINDOW_MS: expected an integer from 100/],
    [{ BATON_EVENT_STORE: 'mongo' }, /^BATON_EVENT_STORE: must be "postgres" or "kurrentdb"/],
    [{ BATON_EVENT_STORE: 'kurrentdb' }, /^EVENTSTORE_URL: is required when BATON_EVENT_STORE=kurrentdb/],
  ])('stops on %p with a message naming the variable', (override, message) => {
    const env = { ...good, ...override };
    expect(() => readConfig(env)).toThrow(message);
    expect(() => readConfig(env)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

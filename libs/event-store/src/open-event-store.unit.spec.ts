import { eventStoreSelectionFromEnv } from './open-event-store';

describe('eventStoreSelectionFromEnv', () => {
  it('defaults to postgres, treating blank as unset', () => {
    expect(eventStoreSelectionFromEnv({})).toEqual({ kind: 'postgres' });
    expect(eventStoreSelectionFromEnv({ BATON_EVENT_STORE: '  ' })).toEqual({ kind: 'postgres' });
  });

  it('selects kurrentdb with its connection string from EVENTSTORE_URL or KURRENTDB_URL', () => {
    expect(eventStoreSelectionFromEnv({ BATON_EVENT_STORE: 'kurrentdb', EVENTSTORE_URL: 'kurrentdb://k:2113?tls=false' })).toEqual({
      kind: 'kurrentdb',
      kurrentUrl: 'kurrentdb://k:2113?tls=false',
    });
    expect(eventStoreSelectionFromEnv({ BATON_EVENT_STORE: 'kurrentdb', KURRENTDB_URL: 'esdb://k:2113?tls=false' }).kurrentUrl).toBe('esdb://k:2113?tls=false');
  });

  it('names the variable when a value is wrong or missing', () => {
    expect(() => eventStoreSelectionFromEnv({ BATON_EVENT_STORE: 'mysql' })).toThrow(/BATON_EVENT_STORE: must be "postgres" or "kurrentdb", got "mysql"/);
    expect(() => eventStoreSelectionFromEnv({ BATON_EVENT_STORE: 'kurrentdb' })).toThrow(/EVENTSTORE_URL: is required/);
    expect(() => eventStoreSelectionFromEnv({ BATON_EVENT_STORE: 'kurrentdb', EVENTSTORE_URL: 'http://k:2113' })).toThrow(/EVENTSTORE_URL: must be a kurrentdb:\/\//);
  });
});

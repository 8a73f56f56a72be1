import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { jsonEvent, KurrentDBClient } from '@kurrent/kurrentdb-client';
import { env } from '@baton/testing';
import { runEventStoreContract } from '../testing/contract';
import { createKurrentEventStore, type KurrentEventStore } from './kurrent-event-store';

/**
 * Where a KurrentDB server comes from: a URL in the environment, else Testcontainers when a
 * container engine is present, else nowhere (and the suite says so).
 */
function resolveServer(): { kind: 'url'; url: string } | { kind: 'container' } | { kind: 'none'; reason: string } {
  const url = env('KURRENTDB_URL') ?? env('EVENTSTORE_URL') ?? env('TEST_KURRENTDB_URL');
  if (url) return { kind: 'url', url };
  if (env('DOCKER_HOST') || existsSync('/var/run/docker.sock')) return { kind: 'container' };
  return {
    kind: 'none',
    reason: 'no KurrentDB server: KURRENTDB_URL / EVENTSTORE_URL are unset and there is no Docker socket for Testcontainers',
  };
}

const server = resolveServer();

if (server.kind === 'none') {
  describe('EventStore contract: kurrent', () => {
    console.log(`[event-store] KurrentDB contract suite not run: ${server.reason}`);
    it('is not run because no KurrentDB server is reachable', () => {
      expect(server.reason).toMatch(/^no KurrentDB server/);
    });
  });
} else {
  let stopContainer: (() => Promise<unknown>) | undefined;
  runEventStoreContract(
    'kurrent',
    async () => {
      let url: string;
      if (server.kind === 'url') {
        url = server.url;
      } else {
        const { KurrentDbContainer } = await import('@testcontainers/kurrentdb');
        const started = await new KurrentDbContainer('kurrentplatform/kurrentdb:25.1').start();
        stopContainer = () => started.stop();
        url = started.getConnectionString();
      }
      const store = createKurrentEventStore({ connectionString: url });
      const raw = KurrentDBClient.connectionString(url);
      const opened: KurrentEventStore[] = [];
      return {
        store,
        openStore: async () => {
          const s = createKurrentEventStore({ connectionString: url });
          opened.push(s);
          return s;
        },
        tamper: async (streamId) => {
          // KurrentDB events are immutable, so the forgery is an event written around the
          // store whose chain fields do not match.
          const r = await raw.appendToStream(
            streamId,
            jsonEvent({
              id: randomUUID(),
              type: 'Forged',
              data: { n: 99 },
              metadata: { occurredAt: '2026-01-01T00:00:00Z', _baton: { schemaVersion: 1, prevHash: '0'.repeat(64), hash: 'f'.repeat(64) } },
            }),
          );
          return Number(r.nextExpectedRevision);
        },
        close: async () => {
          await Promise.all(opened.map((s) => s.close()));
          await store.close();
          await raw.dispose();
          await stopContainer?.();
        },
      };
    },
    { writers: 4, appendsPerWriter: 50 },
  );
}

import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { createTestDatabase, testNatsAuth, testNatsUrl, uniqueId, waitFor } from './index';

describe('test harness', () => {
  it('gives each test file its own empty, real Postgres database', async () => {
    const a = await createTestDatabase('harness_a');
    const b = await createTestDatabase('harness_b');
    try {
      expect(a.name).not.toEqual(b.name);
      await a.pool.query('CREATE TABLE only_in_a (id int)');
      const { rows } = await b.pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_in_a'`);
      expect(rows[0].n).toBe(0);
      const v = await a.pool.query('SHOW server_version_num');
      expect(Number(v.rows[0].server_version_num)).toBeGreaterThanOrEqual(150000);
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  it('reaches a real NATS server with JetStream enabled', async () => {
    const nc = await connect({ servers: testNatsUrl(), ...testNatsAuth() });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.getAccountInfo();
      expect(info.limits).toBeDefined();
      const subject = `test.${uniqueId('h')}`;
      const got: string[] = [];
      const sub = nc.subscribe(subject, { callback: (_e, m) => {
        got.push(m.string());
      },
    });
      nc.publish(subject, 'ping');
      await waitFor(() => got.length === 1, { what: 'message' });
      expect(got).toEqual(['ping']);
      sub.unsubscribe();
    } finally {
      await nc.close();
    }
  });
});

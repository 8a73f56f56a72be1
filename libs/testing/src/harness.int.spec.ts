import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import net from 'node:net';
import { createTestDatabase, ephemeralPortLow, freePort, FREE_PORT_FLOOR, portFree, testNatsAuth, testNatsUrl, uniqueId, waitFor } from './index';

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

  it('hands out ports below the range outgoing connections take theirs from, and tells a taken one', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(FREE_PORT_FLOOR);
    expect(port).toBeLessThan(ephemeralPortLow());
    expect(await portFree(port)).toBe(true);
    const srv = net.createServer();
    await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
    try {
      expect(await portFree(port)).toBe(false);
    } finally {
      await new Promise((resolve) => srv.close(resolve));
    }
    // An outgoing connection holds its local port too: that is why the picks stay below the range.
    const listener = net.createServer((socket) => socket.on('error', () => undefined)).listen(port, '127.0.0.1');
    await new Promise((resolve) => listener.once('listening', resolve));
    const conn = net.connect(port, '127.0.0.1');
    try {
      await new Promise<void>((resolve, reject) => conn.once('connect', resolve).once('error', reject));
      expect(conn.localPort).toBeGreaterThanOrEqual(ephemeralPortLow());
      expect(await portFree(conn.localPort!)).toBe(false);
    } finally {
      conn.destroy();
      await new Promise((resolve) => listener.close(resolve));
    }
  });
});

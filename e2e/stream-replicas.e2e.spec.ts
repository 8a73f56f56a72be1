// BATON_STREAM_REPLICAS (the Helm chart's `streamReplicas`, compose's default 1) as a compiled
// service sees it, against a nats-server of this file alone. One server can hold one replica
// only, so what this shows is the pass-through: a bad value stops start-up naming the
// variable; 3 reaches the server's stream-create request (which a single server refuses with its
// own error); 1 creates R1 streams; and 3 on existing streams is written into their config
// (a single server records it without placing replicas; a three-node cluster would place them).
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { DEAD_LETTER_STREAM, EVENTS_STREAM } from '@baton/contracts';
import { waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import { spawnService } from './support/stack';

describe('BATON_STREAM_REPLICAS reaches the JetStream streams (e2e, compiled agent-registry)', () => {
  const stack = new E2eStack({
    database: 'e2e_stream_replicas',
    privateNatsOnly: 'this file needs a nats-server of its own (it creates and reconfigures BATON_EVENTS): install one with bash scripts/infra.sh up',
  });
  let jsm: JetStreamManager;

  beforeAll(async () => {
    await stack.start();
    jsm = await jetstreamManager(stack.nc);
  });

  afterAll(() => stack.stop());

  async function exitOutput(replicas: string): Promise<{ code: number | null; output: string }> {
    const { svc } = await spawnService('agent-registry', { ...stack.common, BATON_STREAM_REPLICAS: replicas });
    stack.track(svc, { together: 'services' });
    await waitFor(() => !svc.running, { timeoutMs: 60_000, intervalMs: 100, what: `agent-registry with BATON_STREAM_REPLICAS=${replicas} to exit` });
    return { code: svc.proc.exitCode, output: svc.output.join('') };
  }

  const streamExists = (name: string): Promise<boolean> =>
    jsm.streams.info(name).then(
      () => true,
      (err: unknown) => {
        if ((err as { name?: string }).name === 'StreamNotFoundError') return false;
        throw err;
      },
    );

  it('a value that is not a whole number from 1 to 5 stops start-up with a message naming BATON_STREAM_REPLICAS, and creates no stream', async () => {
    const { code, output } = await exitOutput('0');
    expect(code).not.toBe(0);
    expect(output).toContain('BATON_STREAM_REPLICAS: must be a whole number from 1 to 5');
    expect(await streamExists(EVENTS_STREAM)).toBe(false);
  });

  it('3 is sent to the server: a single server refuses to create an R3 stream, and start-up stops', async () => {
    const { code, output } = await exitOutput('3');
    expect(code).not.toBe(0);
    expect(output).toContain('replicas > 1 not supported in non-clustered mode');
    expect(await streamExists(EVENTS_STREAM)).toBe(false);
  });

  it('1 creates the event and dead-letter streams with one replica', async () => {
    const svc = await stack.service('agent-registry', { BATON_STREAM_REPLICAS: '1' });
    expect((await jsm.streams.info(EVENTS_STREAM)).config.num_replicas).toBe(1);
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).config.num_replicas).toBe(1);
    await svc.stop();
  });

  it('3 on existing streams is written into their config (what a cluster would then replicate)', async () => {
    const svc = await stack.service('agent-registry', { BATON_STREAM_REPLICAS: '3' });
    expect((await jsm.streams.info(EVENTS_STREAM)).config.num_replicas).toBe(3);
    expect((await jsm.streams.info(DEAD_LETTER_STREAM)).config.num_replicas).toBe(3);
    await svc.stop();
  });
});

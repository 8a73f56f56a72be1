// The set-up and tear-down every e2e file shares: a fresh database, a NATS server of the file
// (private-nats.ts), a connection to it, the services and agents the file starts, and whatever
// else it holds (sims, gateways, browsers, temp dirs), all stopped by one call in reverse order
// of start, so a failing stop does not keep the others from stopping.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { BatonAgent, type BatonAgentOptions } from '@baton/agent-sdk';
import { createTestDatabase, testNatsAuth, type TestDatabase } from '@baton/testing';
import { startGatewayProcess, type GatewayProcess } from './gateway';
import { startE2eNats, type E2eNats } from './private-nats';
import { repoRoot, startServiceWithPort, type RunningProcess, type ServiceName } from './stack';

export interface E2eStackOptions {
  /** The label of the test database (`createTestDatabase`). */
  readonly database: string;
  /**
   * The stack's own NATS connection: options beyond the server and `testNatsAuth()` (a `name`…),
   * or `false` for a file that needs none. Default: a plain connection.
   */
  readonly connection?: Omit<Partial<ConnectionOptions>, 'servers'> | false;
  /** Set when the file cannot run on the shared NATS server: `start` fails with this message when the server is not private. */
  readonly privateNatsOnly?: string;
}

/** How {@link E2eStack.track} stops a thing. */
export interface StopHow<T> {
  /** Default: `thing.stop()`. */
  readonly stop?: (thing: T) => unknown;
  /** Things tracked one after another with the same key stop together (services, agents, gateway replicas). */
  readonly together?: string;
}

/** A service {@link E2eStack.service} started, with the HTTP port of its health and metrics. */
export interface StackService {
  readonly name: ServiceName;
  readonly proc: RunningProcess;
  readonly port: number;
}

/** `name` with what a JetStream consumer name may not hold (dots, spaces…) replaced by `_`. */
function consumerName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_');
}

interface Tracked {
  readonly stop: () => unknown;
  readonly together: string | undefined;
}

/**
 * What an e2e file runs against: {@link start} creates the test database, starts the file's NATS
 * server and connects to it (with `testNatsAuth()`); services, agents and anything else the file
 * starts are tracked as they start; {@link stop} (the `afterAll`) stops all of it in reverse
 * order of start, each stop's error settled, and drops the database last. Whatever was started
 * before a failure in `beforeAll` is stopped all the same.
 *
 * @example
 * const stack = new E2eStack({ database: 'e2e_feature_dev' });
 * beforeAll(async () => {
 *   await stack.start();
 *   client = new BatonClient(stack.nc, { timeoutMs: 20_000 });
 *   await stack.workflowServices(uniqueId('e2e-feat'));
 *   stack.track(await startSimAgents('sim-agents', ['--agents', 'examples/agents.yaml'], stack.natsUrl));
 * });
 * afterAll(() => stack.stop());
 */
export class E2eStack {
  /** The services started through {@link service}, in order of start. */
  readonly services: StackService[] = [];
  private readonly tracked: Tracked[] = [];
  private database: TestDatabase | undefined;
  private server: E2eNats | undefined;
  private connection: NatsConnection | undefined;

  constructor(private readonly options: E2eStackOptions) {}

  get db(): TestDatabase {
    return E2eStack.started(this.database, 'db');
  }

  get nats(): E2eNats {
    return E2eStack.started(this.server, 'nats');
  }

  get natsUrl(): string {
    return this.nats.url;
  }

  /** The stack's own connection (none with `connection: false`). */
  get nc(): NatsConnection {
    return E2eStack.started(this.connection, 'nc');
  }

  /** The environment every service of the stack gets: its database and its NATS server. */
  get common(): { readonly DATABASE_URL: string; readonly NATS_URL: string } {
    return { DATABASE_URL: this.db.url, NATS_URL: this.natsUrl };
  }

  /** Creates the database, starts the NATS server and connects to it, in this order. */
  async start(): Promise<this> {
    const db = await createTestDatabase(this.options.database);
    this.database = this.track(db, { stop: (d) => d.drop() });
    const nats = await startE2eNats();
    this.server = this.track(nats);
    if (this.options.privateNatsOnly !== undefined && nats.kind !== 'private') throw new Error(this.options.privateNatsOnly);
    if (this.options.connection !== false) {
      const nc = await connect({ servers: nats.url, ...testNatsAuth(), ...this.options.connection });
      this.connection = this.track(nc, { stop: (c) => c.close() });
    }
    return this;
  }

  /**
   * Stops `thing` on {@link stop}, before everything tracked earlier and after everything
   * tracked later; returns it.
   */
  track<T extends { stop(): unknown }>(thing: T, how?: StopHow<T>): T;
  track<T>(thing: T, how: StopHow<T> & { readonly stop: (thing: T) => unknown }): T;
  track<T>(thing: T, how: StopHow<T> = {}): T {
    const stop = how.stop ?? ((t: T) => (t as { stop(): unknown }).stop());
    this.tracked.push({ stop: () => stop(thing), together: how.together });
    return thing;
  }

  /**
   * Starts a service with the stack's database and NATS server (`env` adds to and overrides
   * them) and waits for its `/health/ready`, as `startService` does; it stops with the others.
   */
  async service(name: ServiceName, env: Record<string, string> = {}): Promise<RunningProcess> {
    const { svc, port } = await startServiceWithPort(name, { ...this.common, ...env });
    this.track(svc, { together: 'services' });
    this.services.push({ name, proc: svc, port });
    return svc;
  }

  /**
   * The scheduler with durable consumers of its own, named after `consumer`, that read agent
   * events from now on: other runs' schedulers on the same NATS server share neither. The same
   * `consumer` again (a restart) takes the same consumers up. `env` adds to and overrides that.
   */
  scheduler(consumer: string, env: Record<string, string> = {}): Promise<RunningProcess> {
    return this.service('scheduler', { SCHEDULER_CONSUMER_NAME: consumerName(consumer), SCHEDULER_AGENT_EVENTS_FROM: 'new', ...env });
  }

  /**
   * The services a whole workflow run needs, started as the run specs start them, in this order:
   * agent-registry (10 s heartbeat window), handoff-validator (the example handoff specs),
   * escalation, and the scheduler (the same specs; dispatch polled every 300 ms, timers every
   * 200 ms; its durable consumers named after `schedulerConsumer`). `env` goes to all four.
   */
  async workflowServices(schedulerConsumer: string, env: Record<string, string> = {}): Promise<void> {
    const HANDOFFS_DIR = path.join(repoRoot, 'examples/handoffs');
    await this.service('agent-registry', { ...env, HEARTBEAT_WINDOW_MS: '10000' });
    await this.service('handoff-validator', { ...env, HANDOFFS_DIR });
    await this.service('escalation', env);
    await this.service('scheduler', {
      ...env,
      HANDOFFS_DIR,
      SCHEDULER_DISPATCH_POLL_MS: '300',
      SCHEDULER_TIMER_POLL_MS: '200',
      SCHEDULER_CONSUMER_NAME: consumerName(schedulerConsumer),
    });
  }

  /** A gateway on the stack's NATS server (`env` adds to and overrides it), stopped with the services. */
  async gateway(env: Record<string, string>): Promise<GatewayProcess> {
    const gateway = await startGatewayProcess({ NATS_URL: this.natsUrl, ...env });
    this.track(gateway.proc, { together: 'services' });
    return gateway;
  }

  /** An SDK agent on the stack's NATS server, stopped (with 5 s for its tasks) with the other agents. */
  async agent(options: Omit<BatonAgentOptions, 'servers'>): Promise<BatonAgent> {
    const agent = await BatonAgent.connect({ ...options, servers: this.natsUrl });
    return this.track(agent, { stop: (a) => a.stop({ timeoutMs: 5000 }), together: 'agents' });
  }

  /** A fresh directory under the OS temp dir, removed on {@link stop}. */
  async tempDir(prefix: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    return this.track(dir, { stop: (d) => rm(d, { recursive: true, force: true }) });
  }

  /** Stops everything tracked, newest first (a run tracked `together` at once), every error settled. */
  async stop(): Promise<void> {
    const batches: Tracked[][] = [];
    for (const t of this.tracked.splice(0).reverse()) {
      const last = batches.at(-1);
      if (last !== undefined && t.together !== undefined && last[0]!.together === t.together) last.push(t);
      else batches.push([t]);
    }
    for (const batch of batches) await Promise.allSettled(batch.map(async (t) => t.stop()));
  }

  private static started<T>(value: T | undefined, what: string): T {
    if (value === undefined) throw new Error(`E2eStack.${what}: not started (call stack.start() in beforeAll)`);
    return value;
  }
}

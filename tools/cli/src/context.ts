import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { DataOf, MessageDefinition, ReplyOf } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { EventStoreUnreachableError, openEventStoreFromEnv, type EventStoreOpener, type EventStoreSession } from './event-store';
import { paintFor, type Paint } from './format';
import { GatewayRpcClient, gatewayTarget } from './http/gateway-client';
import { connectBaton, connectFailureReason, DEFAULT_NATS_URL, type Connector, type RpcClient, type RpcSession } from './rpc';

/** Where the CLI writes. Each call writes one line (a newline is added). */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stdout is a terminal (colours only then). */
  readonly isTTY: boolean;
}

/** Everything the commands touch outside themselves, injected so tests can replace it. */
export interface CliDeps {
  readonly io: CliIo;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly connect: Connector;
  readonly now: () => Date;
  /** Waits between polls of a followed run. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Fresh ids for command ids and generated entity ids. */
  readonly newId: () => string;
  readonly fileExists: (path: string) => boolean;
  /** Opens the event store (`baton audit` reads it directly, not through the services). */
  readonly openEventStore: EventStoreOpener;
}

/** The real process: stdout/stderr, process.env, NATS, the clock. */
export function processDeps(): CliDeps {
  return {
    io: {
      stdout: (t) => process.stdout.write(`${t}\n`),
      stderr: (t) => process.stderr.write(`${t}\n`),
      isTTY: process.stdout.isTTY === true,
    },
    env: process.env,
    connect: connectBaton,
    now: () => new Date(),
    sleep: (ms) => delay(ms),
    newId: () => randomUUID(),
    fileExists: (p) => existsSync(p),
    openEventStore: openEventStoreFromEnv,
  };
}

/** Options every command accepts. */
export interface GlobalOptions {
  readonly nats?: string | undefined;
  /** The gateway to talk to over HTTP instead of NATS (see http/gateway-client.ts). */
  readonly gateway?: string | undefined;
  readonly json?: boolean | undefined;
  readonly requestTimeout?: number | undefined;
}

/**
 * One invocation: the resolved options, a lazily opened client (commands that need no
 * service, like local validation, never connect), and output helpers.
 */
export class CliContext {
  private session: Promise<RpcSession> | undefined;
  private storeSession: Promise<EventStoreSession> | undefined;
  /** Exit code the command asks for when it returns normally (e.g. 1 after a failed run). */
  exitCode = 0;

  constructor(
    readonly deps: CliDeps,
    private readonly globals: () => GlobalOptions,
  ) {}

  get natsUrl(): string {
    const fromEnv = this.deps.env['NATS_URL'];
    return this.globals().nats ?? (fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : DEFAULT_NATS_URL);
  }

  get json(): boolean {
    return this.globals().json === true;
  }

  get paint(): Paint {
    return this.json ? paintFor(false, this.deps.env) : paintFor(this.deps.io.isTTY, this.deps.env);
  }

  now(): Date {
    return this.deps.now();
  }

  newId(): string {
    return this.deps.newId();
  }

  async client(): Promise<RpcClient> {
    const timeoutMs = this.globals().requestTimeout ?? 5000;
    const gateway = gatewayTarget(this.deps.env, this.globals());
    this.session ??= gateway ? Promise.resolve({ client: new GatewayRpcClient(gateway, timeoutMs), close: async () => undefined }) : this.deps.connect(this.natsUrl, { timeoutMs });
    return (await this.session).client;
  }

  /**
   * The event store, opened once per invocation: `databaseUrl` (`--database-url`) overrides
   * `DATABASE_URL`; `BATON_EVENT_STORE`/`EVENTSTORE_URL` choose the adapter as for the services.
   */
  async eventStore(databaseUrl?: string): Promise<EventStore> {
    this.storeSession ??= this.deps.openEventStore({ env: this.deps.env, databaseUrl });
    return (await this.storeSession).store;
  }

  /** Where the event store is (for messages); undefined before {@link eventStore}. */
  async eventStoreTarget(): Promise<string | undefined> {
    return this.storeSession === undefined ? undefined : (await this.storeSession).target;
  }

  /**
   * Runs a read against the event store; a failure to reach it (UNAVAILABLE from the adapter)
   * becomes {@link EventStoreUnreachableError}, reported like an unreachable NATS (exit 2).
   */
  async readStore<T>(databaseUrl: string | undefined, read: (store: EventStore) => Promise<T>): Promise<T> {
    const store = await this.eventStore(databaseUrl);
    try {
      return await read(store);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'UNAVAILABLE') {
        throw new EventStoreUnreachableError((await this.eventStoreTarget()) ?? 'the configured event store', connectFailureReason(err), { cause: err });
      }
      throw err;
    }
  }

  /** Prints the human text, or with `--json` the data as one JSON document. */
  emit(data: unknown, human: () => string): void {
    if (this.json) this.deps.io.stdout(JSON.stringify(data, null, 2));
    else this.deps.io.stdout(human());
  }

  /**
   * What a list command does: asks `def` and prints the `key` list of its reply, as
   * `{ [key]: list }` with `--json`, else laid out by `format`.
   */
  async printList<D extends MessageDefinition, K extends keyof ReplyOf<D> & string>(
    def: D,
    data: DataOf<D>,
    key: K,
    format: (list: ReplyOf<D>[K], now: Date, paint: Paint) => string,
  ): Promise<void> {
    const list = (await (await this.client()).query(def, data))[key];
    this.emit({ [key]: list }, () => format(list, this.now(), this.paint));
  }

  /** What a show command does: asks `def` and prints its reply (as it is with `--json`, else laid out by `format`). */
  async printOne<D extends MessageDefinition>(def: D, data: DataOf<D>, format: (reply: ReplyOf<D>, now: Date, paint: Paint) => string): Promise<void> {
    const reply = await (await this.client()).query(def, data);
    this.emit(reply, () => format(reply, this.now(), this.paint));
  }

  /** A line for people only (progress, hints); nothing with `--json`. */
  say(text: string): void {
    if (!this.json) this.deps.io.stdout(text);
  }

  warn(text: string): void {
    this.deps.io.stderr(text);
  }

  async close(): Promise<void> {
    if (this.storeSession !== undefined) {
      const st = this.storeSession;
      this.storeSession = undefined;
      try {
        await (await st).close();
      } catch {
        // The store never opened (the failure was already reported).
      }
    }
    if (this.session === undefined) return;
    const s = this.session;
    this.session = undefined;
    try {
      await (await s).close();
    } catch {
      // The connection never opened (the failure was already reported) or is already closed.
    }
  }
}

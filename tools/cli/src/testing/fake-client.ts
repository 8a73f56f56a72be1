import { BatonError, type Actor, type DataOf, type ErrorCode, type MessageDefinition, type ReplyOf } from '@baton/contracts';
import type { CommandOptions } from '@baton/messaging';
import { runCli } from '../cli';
import type { CliDeps, CliIo } from '../context';
import type { RpcClient } from '../rpc';
import { human } from './views';

/** A handler per message name (`list-agents`, `start-run`, …): returns the reply data or throws. */
export type FakeHandlers = Readonly<Record<string, (data: unknown) => unknown>>;

/** One call the fake client received. */
export interface FakeCall {
  readonly kind: 'command' | 'query';
  readonly name: string;
  readonly data: unknown;
  /** The command envelope's actor and correlation id, when the command set them. */
  readonly actor?: Actor;
  readonly correlationId?: string;
}

/** The call a command sent for a person makes: `name` with `data`, its actor `human:<by>`. */
export function humanCommandCall(name: string, data: unknown, by: string, correlationId?: string): FakeCall {
  return { kind: 'command', name, data, actor: human(by), ...(correlationId === undefined ? {} : { correlationId }) };
}

/** A fake handler that refuses every call the way a service does: a {@link BatonError} with `code`. */
export function refusing(code: ErrorCode, message: string, details?: unknown): () => never {
  return () => {
    throw new BatonError(code, message, details);
  };
}

/** An in-memory {@link RpcClient} for command-layer tests; unknown messages fail the test loudly. */
export function fakeClient(handlers: FakeHandlers): RpcClient & { readonly calls: FakeCall[] } {
  const calls: FakeCall[] = [];
  const call = async (kind: 'command' | 'query', def: MessageDefinition, data: unknown, options?: CommandOptions): Promise<unknown> => {
    calls.push({
      kind,
      name: def.name,
      data,
      ...(options?.actor === undefined ? {} : { actor: options.actor }),
      ...(options?.correlationId === undefined ? {} : { correlationId: options.correlationId }),
    });
    const h = handlers[def.name];
    if (h === undefined) throw new Error(`fake client: no handler for ${def.kind} ${def.name}`);
    return h(data);
  };
  return {
    calls,
    command: <D extends MessageDefinition>(def: D, data: DataOf<D>, options: CommandOptions) => call('command', def, data, options) as Promise<ReplyOf<D>>,
    query: <D extends MessageDefinition>(def: D, data: DataOf<D>) => call('query', def, data) as Promise<ReplyOf<D>>,
  };
}

/** Captured output of one CLI invocation. */
export interface CapturedIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
}

export function captureIo(isTTY = false): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, isTTY, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

/** Deps for the command layer with a fake client, a fixed clock that advances on each sleep, and counted ids. */
export function fakeDeps(client: RpcClient, overrides: Partial<CliDeps> = {}): CliDeps & { readonly io: CapturedIo; readonly connectedTo: string[] } {
  let clock = Date.parse('2026-11-22T10:00:00.000Z');
  let ids = 0;
  const connectedTo: string[] = [];
  return {
    io: captureIo(),
    env: {},
    connect: (url) => {
      connectedTo.push(url);
      return Promise.resolve({ client, close: () => Promise.resolve() });
    },
    now: () => new Date(clock),
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    newId: () => `id-${++ids}`,
    fileExists: () => false,
    openEventStore: () => Promise.reject(new Error('fake deps: no event store (pass openEventStore)')),
    connectedTo,
    ...overrides,
  } as CliDeps & { readonly io: CapturedIo; readonly connectedTo: string[] };
}

/**
 * Runs a command line whose message the service behind `name` refuses with `code`: it must
 * print the refusal as `baton: CODE: message` and exit 1.
 */
export async function expectRefusal(argv: readonly string[], name: string, code: ErrorCode, message: string): Promise<void> {
  const deps = fakeDeps(fakeClient({ [name]: refusing(code, message) }));
  expect(await runCli(argv, deps)).toBe(1);
  expect(deps.io.err).toEqual([`baton: ${code}: ${message}`]);
}

/** A command line that is a usage error: exit 1 with `error` on stderr, before connecting (so nothing is sent). */
export async function expectUsageError(argv: readonly string[], error: string): Promise<void> {
  const deps = fakeDeps(fakeClient({}));
  expect(await failingStderr(argv, deps)).toContain(error);
  expect(deps.connectedTo).toEqual([]);
}

/**
 * Runs a command line that must fail with exit 1 (a usage error, a refusal) and returns what
 * `deps` has written to stderr so far, one line after another.
 */
export async function failingStderr(argv: readonly string[], deps: CliDeps & { readonly io: CapturedIo }): Promise<string> {
  expect(await runCli(argv, deps)).toBe(1);
  return deps.io.err.join('\n');
}

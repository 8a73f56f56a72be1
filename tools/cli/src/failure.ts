import { errorCodeOf } from '@baton/contracts';
import { EventStoreUnreachableError } from './event-store';
import { NatsUnreachableError } from './rpc';

/** Exit codes: 0 done, 1 the request failed or the answer says "no", 2 Baton is not reachable. */
export const ExitCode = { ok: 0, failed: 1, unreachable: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A failure the CLI itself detected (bad input, a run that failed); printed as `baton: <message>`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = ExitCode.failed,
    readonly detailLines: readonly string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** What to print on stderr and which code to exit with. */
export interface Failure {
  readonly lines: readonly string[];
  readonly exitCode: ExitCode;
}

const START_HINT = 'Is Baton running? Start it with: npm start';

/** `baton.cmd.scheduler.start-run` → `scheduler`; anything else → undefined. */
export function serviceOfSubject(subject: unknown): string | undefined {
  if (typeof subject !== 'string') return undefined;
  const m = /^baton\.(?:cmd|qry)\.([a-z0-9-]+)\./.exec(subject);
  return m?.[1];
}

function detailLines(code: string, details: unknown): string[] {
  if (code !== 'VALIDATION_FAILED' || typeof details !== 'object' || details === null) return [];
  const out: string[] = [];
  const d = details as { errors?: unknown; issues?: unknown };
  if (Array.isArray(d.errors)) {
    for (const e of d.errors as { text?: unknown; file?: unknown; line?: unknown; column?: unknown; message?: unknown }[]) {
      if (typeof e.text === 'string') out.push(`  ${e.text}`);
      else if (typeof e.message === 'string') out.push(`  ${String(e.file ?? 'workflow')}:${String(e.line ?? 0)}:${String(e.column ?? 0)}: ${e.message}`);
    }
  }
  if (Array.isArray(d.issues)) {
    for (const i of d.issues as { path?: unknown; message?: unknown }[]) out.push(`  ${String(i.path ?? '(root)')}: ${String(i.message ?? '')}`);
  }
  return out;
}

/**
 * Turns anything a command threw into the lines to print and the exit code:
 * - no NATS, or no service answering (UNAVAILABLE) or none in time (TIMEOUT): exit 2 with the start hint;
 * - no event store (`baton audit`): exit 2 with the start hint;
 * - an error reply: `baton: <CODE>: <message>` (+ each diagnostic or issue for VALIDATION_FAILED), exit 1;
 * - a {@link CliError}: its message and its code.
 */
export function describeFailure(err: unknown, natsUrl: string): Failure {
  if (err instanceof NatsUnreachableError) {
    return { exitCode: ExitCode.unreachable, lines: [`baton: cannot reach NATS at ${err.natsUrl} (${err.reason}). ${START_HINT}`] };
  }
  if (err instanceof EventStoreUnreachableError) {
    return { exitCode: ExitCode.unreachable, lines: [`baton: cannot reach the event store at ${err.target} (${err.reason}). ${START_HINT}`] };
  }
  if (err instanceof CliError) {
    return { exitCode: err.exitCode, lines: [`baton: ${err.message}`, ...err.detailLines] };
  }
  const code = errorCodeOf(err);
  if (code !== undefined) {
    const e = err as { message?: unknown; details?: unknown };
    const message = typeof e.message === 'string' ? e.message : '';
    const subject = typeof e.details === 'object' && e.details !== null ? (e.details as { subject?: unknown }).subject : undefined;
    const service = serviceOfSubject(subject) ?? 'Baton services';
    if (code === 'UNAVAILABLE') {
      const why = /no service is answering/.test(message) ? 'no responders' : message;
      return { exitCode: ExitCode.unreachable, lines: [`baton: cannot reach the ${service} at ${natsUrl} (${why}). ${START_HINT}`] };
    }
    if (code === 'TIMEOUT') {
      return { exitCode: ExitCode.unreachable, lines: [`baton: the ${service} at ${natsUrl} did not answer in time (${message}). ${START_HINT}`] };
    }
    const [head = '', ...rest] = message.split('\n');
    const extra = detailLines(code, e.details).filter((l) => !rest.some((r) => r.trim() === l.trim()));
    return { exitCode: ExitCode.failed, lines: [`baton: ${code}: ${head}`, ...rest.map((r) => `  ${r.trim()}`), ...extra] };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { exitCode: ExitCode.failed, lines: [`baton: ${message}`] };
}

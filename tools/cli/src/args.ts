import { InvalidArgumentError, Option } from '@commander-js/extra-typings';

/**
 * Argument parsers for the commands. Each throws commander's InvalidArgumentError, which
 * commander prints as `error: option '…' argument '…' is invalid. <reason>`.
 */

const JSON_LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)$/;

/**
 * The value of `--param k=v`: JSON when it reads as JSON (`true`, `3`, `null`, `[1,2]`,
 * `{"a":1}`, `"quoted"`), the text itself otherwise (`env=prod`).
 */
export function parseParamValue(text: string): unknown {
  const t = text.trim();
  if (JSON_LITERAL.test(t) || /^[[{"]/.test(t)) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/** Splits `k=v` (the first `=`); the key must be non-empty. */
export function parseKeyValue(pair: string): [string, unknown] {
  const i = pair.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`expected key=value, got "${pair}"`);
  const key = pair.slice(0, i).trim();
  if (key === '') throw new InvalidArgumentError(`expected key=value, got "${pair}"`);
  return [key, parseParamValue(pair.slice(i + 1))];
}

/** Commander collector for a repeatable `--param k=v`: builds one record, last value wins. */
export function collectParam(pair: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const [k, v] = parseKeyValue(pair);
  return { ...previous, [k]: v };
}

export const PRIORITIES = ['P0', 'P1', 'P2'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** `P0`, `P1` or `P2` (case-insensitive). */
export function parsePriority(text: string): Priority {
  const p = text.trim().toUpperCase();
  if (!(PRIORITIES as readonly string[]).includes(p)) throw new InvalidArgumentError(`expected one of ${PRIORITIES.join(', ')}`);
  return p as Priority;
}

/** A whole number ≥ 1 (limits, seconds). */
export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number of at least 1');
  return n;
}

/** The queries' page limit: `--limit` above it asks for this many. */
export const MAX_LIST_LIMIT = 1000;

/** `--limit <n>` of the list commands: a whole number ≥ 1, default 100, capped at {@link MAX_LIST_LIMIT}. */
export function limitOption() {
  return new Option('--limit <n>', `at most this many (1-${MAX_LIST_LIMIT})`).argParser((text) => Math.min(parsePositiveInt(text), MAX_LIST_LIMIT)).default(100);
}

/** A parser that accepts one of `values` exactly. */
export function oneOf<T extends string>(values: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(values as readonly string[]).includes(text)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return text as T;
  };
}

/** `--status <status>` of a list command: only `things` with one of `statuses`. */
export function statusOption<T extends string>(things: string, statuses: readonly T[]) {
  return new Option('--status <status>', `only ${things} with this status (${statuses.join(', ')})`).argParser(oneOf(statuses));
}

/** `--run <runId>` of a list command: only `things` of one run. */
export function runOption(things: string) {
  return new Option('--run <runId>', `only ${things} of this run`);
}

/** `--reassign-to <agentId>` of a resolve command that can hand the work to another agent (`help` says when). */
export function reassignToOption(help: string) {
  return new Option('--reassign-to <agentId>', help).argParser(parseName);
}

/** `--resolution <resolution>` of a resolve command: one of `resolutions`, required. */
export function resolutionOption<T extends string>(resolutions: readonly T[]) {
  return new Option('--resolution <resolution>', resolutions.join(', ')).argParser(oneOf(resolutions)).makeOptionMandatory();
}

/** `--reason <text>` of a command that records a person's decision: required; `why` says where it is kept. */
export function reasonOption(why: string) {
  return new Option('--reason <text>', why).argParser(parseReason).makeOptionMandatory();
}

/** True when the argument of `workflows execute` names a file rather than a workflow id. */
export function looksLikeWorkflowFile(arg: string, exists: (path: string) => boolean): boolean {
  return /\.ya?ml$/i.test(arg) || arg.includes('/') || exists(arg);
}

/** A whole number ≥ 0 (stream revisions). */
export function parseNonNegativeInt(text: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of at least 0');
  return n;
}

/** A global event position `<commit>/<prepare>` (as `baton audit` prints it), returned as given. */
export function parsePositionArg(text: string): string {
  const t = text.trim();
  if (!/^\d+\/\d+$/.test(t)) throw new InvalidArgumentError('expected a position "<commit>/<prepare>", e.g. 812/44 (the POSITION column of baton audit)');
  return t;
}

/** An escalation level: `0`-`3` or `L0`-`L3`. */
export function parseEscalationLevel(text: string): 0 | 1 | 2 | 3 {
  const m = /^[Ll]?([0-3])$/.exec(text.trim());
  if (!m) throw new InvalidArgumentError('expected a level from 0 to 3 (or L0 to L3)');
  return Number(m[1]) as 0 | 1 | 2 | 3;
}

/** A non-blank name (the person an approval is recorded for). */
export function parseName(text: string): string {
  const t = text.trim();
  if (t === '' || t.length > 200) throw new InvalidArgumentError('expected a name of 1 to 200 characters');
  return t;
}

/** A PostgreSQL connection URL (`postgres://…` or `postgresql://…`). */
export function parseDatabaseUrl(text: string): string {
  const t = text.trim();
  if (!/^postgres(?:ql)?:\/\/./.test(t)) throw new InvalidArgumentError('expected a postgres:// or postgresql:// URL');
  return t;
}

/** A reason (non-blank, at most 2000 characters, the shortest limit of the commands that take one). */
export function parseReason(text: string): string {
  const t = text.trim();
  if (t === '') throw new InvalidArgumentError('expected a non-empty reason');
  if (t.length > 2000) throw new InvalidArgumentError('expected at most 2000 characters');
  return t;
}

import { InvalidArgumentError } from '@commander-js/extra-typings';

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

/** A parser that accepts one of `values` exactly. */
export function oneOf<T extends string>(values: readonly T[]): (text: string) => T {
  return (text) => {
    if (!(values as readonly string[]).includes(text)) throw new InvalidArgumentError(`expected one of ${values.join(', ')}`);
    return text as T;
  };
}

/** True when the argument of `workflows execute` names a file rather than a workflow id. */
export function looksLikeWorkflowFile(arg: string, exists: (path: string) => boolean): boolean {
  return /\.ya?ml$/i.test(arg) || arg.includes('/') || exists(arg);
}

import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { closestMatch } from './did-you-mean.util';
import { ConditionEvaluationError } from './workflow.errors';

/**
 * A CEL expression checked at load time. Evaluate it with {@link evaluateCondition}; never with
 * `eval`/`Function` (CEL is sandboxed and not Turing-complete).
 */
export interface CompiledCondition {
  /** The expression as written. */
  readonly source: string;
  /** Top-level identifiers it reads (stage/branch ids, `params`, `trigger`, output names). */
  readonly identifiers: readonly string[];
  /** @internal the compiled CEL program. */
  readonly program: ParseResult;
}

/** What a condition may refer to, computed per stage by the compiler. */
export interface ConditionScope {
  /** Stage and branch ids, plus the roots `params` and `trigger`. */
  readonly known: readonly string[];
  /** Output names declared (as identifiers) by upstream stages. */
  readonly outputNames: readonly string[];
  /**
   * True when some upstream stage declares no `outputs`: then an identifier that is neither known
   * nor a near-miss of a known id is taken as one of its outputs (seed 003's `error_rate`).
   */
  readonly openOutputs: boolean;
  /**
   * True when some stage or branch id could not be read (the schema check set it aside): then any
   * unknown identifier may be that id, so none is reported. Defaults to false.
   */
  readonly idsIncomplete?: boolean;
}

/** Compile result: the condition, or the reason and the 0-based offset in the expression. */
export type ConditionCompileResult =
  | { readonly ok: true; readonly condition: CompiledCondition }
  | { readonly ok: false; readonly message: string; readonly offset: number };

/** Roots every condition can read besides stages, branches and outputs. */
export const CONDITION_ROOTS = ['params', 'trigger'] as const;

const BASE_ENV = new Environment({ homogeneousAggregateLiterals: false });

/**
 * Compiles a CEL condition against a scope. Unknown identifiers are compile errors (with a
 * did-you-mean), unless the scope is open (see {@link ConditionScope.openOutputs}). The result
 * must be a bool (or dyn, decided at run time).
 *
 * @example compileCondition('build.success && params.deploy', { known: ['build', 'params', 'trigger'], outputNames: [], openOutputs: false })
 */
export function compileCondition(expression: string, scope: ConditionScope): ConditionCompileResult {
  const env = BASE_ENV.clone();
  const declared = new Set<string>();
  for (const name of [...scope.known, ...scope.outputNames]) {
    if (!declared.has(name)) {
      env.registerVariable(name, 'dyn');
      declared.add(name);
    }
  }
  // Register open output names one by one as the checker finds them.
  for (let guard = 0; guard < 64; guard++) {
    const checked = env.check(expression);
    if (checked.valid) {
      if (checked.type !== 'bool' && checked.type !== 'dyn') {
        return { ok: false, message: `must be a boolean expression, but it yields ${checked.type ?? 'an unknown type'}`, offset: 0 };
      }
      const program = env.parse(expression);
      return { ok: true, condition: { source: expression, identifiers: [...declared].filter((n) => mentions(expression, n)), program } };
    }
    const error = checked.error;
    const summary = error?.summary ?? 'invalid expression';
    const offset = error?.range?.start ?? 0;
    const unknown = /^Unknown variable: (.+)$/.exec(summary)?.[1];
    if (error?.code === 'unknown_variable' && unknown !== undefined) {
      const suggestion = closestMatch(unknown, [...scope.known, ...scope.outputNames]);
      if ((scope.openOutputs && suggestion === undefined) || scope.idsIncomplete === true) {
        env.registerVariable(unknown, 'dyn');
        declared.add(unknown);
        continue;
      }
      return {
        ok: false,
        message: `unknown identifier "${unknown}"${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`,
        offset,
      };
    }
    return { ok: false, message: summary.replace(/\s+/g, ' ').trim(), offset };
  }
  return { ok: false, message: 'too many unknown identifiers', offset: 0 };
}

function mentions(expression: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_.])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^A-Za-z0-9_]|$)`).test(expression);
}

/** A plain JSON-like value; numbers that are integers are handed to CEL as ints. */
export type ConditionContext = Readonly<Record<string, unknown>>;

/**
 * Evaluates a compiled condition to a boolean. The context maps identifiers to plain values
 * (build it with `conditionContext` from the graph helpers). Integers in the context become CEL
 * ints; the result must be a bool.
 *
 * @throws ConditionEvaluationError (code VALIDATION_FAILED) on a missing key, a type mismatch or a
 *   non-boolean result.
 */
export function evaluateCondition(condition: CompiledCondition, context: ConditionContext): boolean {
  const value = evaluateExpression(condition, context);
  if (typeof value !== 'boolean') {
    throw new ConditionEvaluationError(condition.source, `expected a boolean result, got ${describeValue(value)}`, 'not_boolean');
  }
  return value;
}

/**
 * Evaluates a compiled expression to a plain value: CEL ints (BigInt) come back as numbers,
 * lists and maps as arrays and objects.
 */
export function evaluateExpression(condition: CompiledCondition, context: ConditionContext): unknown {
  const input: Record<string, unknown> = {};
  for (const name of condition.identifiers) {
    if (name in context) input[name] = toCel(context[name]);
  }
  try {
    return fromCel(condition.program(input));
  } catch (err) {
    const e = err as { summary?: unknown; code?: unknown; message?: unknown };
    const reason = typeof e.summary === 'string' ? e.summary : typeof e.message === 'string' ? e.message : String(err);
    throw new ConditionEvaluationError(condition.source, reason, typeof e.code === 'string' ? e.code : 'evaluation_error', { cause: err });
  }
}

function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value instanceof Date || value instanceof Uint8Array || value === null) return value;
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, toCel(v)]));
  if (typeof value === 'object' && value !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (v !== undefined) out[k] = toCel(v);
    return out;
  }
  return value;
}

function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (value instanceof Date || value instanceof Uint8Array || value === null) return value;
  if (typeof value === 'object' && value !== undefined) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, fromCel(v)]));
  }
  return value;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Typed environment getters for composition roots (`main.ts`). Read env once, at start-up,
 * and pass plain values into modules; libs never read `process.env` themselves.
 *
 * Rules shared by every getter:
 * - a variable that is unset, empty or only whitespace counts as unset;
 * - unset with a default returns the default; unset without one throws;
 * - a value that does not parse throws an {@link EnvError} naming the variable and what
 *   was expected, so a misconfigured service stops at start-up instead of misbehaving later.
 */

/** Where values come from; `process.env` unless a test passes its own record. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/** Thrown when an environment variable is missing or malformed. Branch on `code`. */
export class EnvError extends Error {
  readonly code = 'INVALID_ENV' as const;

  constructor(
    /** The variable that was missing or malformed. */
    readonly variable: string,
    /** What a valid value looks like, in words. */
    readonly expected: string,
    /** Why it failed: the variable was unset, or its value did not parse. */
    readonly reason: 'missing' | 'malformed',
    /** The offending value when safe to show (never for URLs, which may hold credentials). */
    readonly shownValue?: string,
  ) {
    super(
      reason === 'missing'
        ? `${variable} is not set: expected ${expected}`
        : `${variable} is invalid: expected ${expected}${shownValue === undefined ? '' : `, got "${shownValue}"`}`,
    );
    this.name = 'EnvError';
  }
}

/**
 * Reads one variable; blank means unset.
 *
 * @example
 * rawEnv('HTTP_PORT') // '3000', or undefined when unset or blank
 */
export function rawEnv(name: string, source: EnvSource = process.env): string | undefined {
  const value = source[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function required<T>(name: string, value: T | undefined, expected: string): T {
  if (value === undefined) throw new EnvError(name, expected, 'missing');
  return value;
}

/** Options common to every getter. */
export interface EnvOptions {
  /** Read from this record instead of `process.env` (tests). */
  readonly source?: EnvSource;
}

/**
 * A string variable (trimmed). Throws {@link EnvError} when unset and no default is given.
 *
 * @example
 * const region = envString('AWS_REGION', 'eu-west-1');
 * const secret = envString('WEBHOOK_SECRET'); // required
 */
export function envString(name: string, defaultValue?: string, options: EnvOptions = {}): string {
  return required(name, rawEnv(name, options.source) ?? defaultValue, 'a non-empty string');
}

/** Bounds for {@link envInt}. */
export interface EnvIntOptions extends EnvOptions {
  readonly min?: number;
  readonly max?: number;
}

/**
 * A base-10 integer variable, optionally bounded (inclusive).
 *
 * @example
 * const port = envInt('HTTP_PORT', 3000, { min: 0, max: 65535 });
 */
export function envInt(name: string, defaultValue?: number, options: EnvIntOptions = {}): number {
  const { min, max } = options;
  const expected =
    'an integer' +
    (min !== undefined && max !== undefined
      ? ` from ${min} to ${max}`
      : min !== undefined
        ? ` >= ${min}`
        : max !== undefined
          ? ` <= ${max}`
          : '');
  const raw = rawEnv(name, options.source);
  if (raw === undefined) return required(name, defaultValue, expected);
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || (min !== undefined && value < min) || (max !== undefined && value > max)) {
    throw new EnvError(name, expected, 'malformed', raw);
  }
  return value;
}

/** Allowed schemes for {@link envUrl}. */
export interface EnvUrlOptions extends EnvOptions {
  /** Accepted protocols without the colon, e.g. `['postgres', 'postgresql']`. Any when omitted. */
  readonly protocols?: readonly string[];
}

/**
 * An absolute URL variable, returned as given (trimmed) so connection strings keep their
 * exact form. The value is never echoed in errors because URLs often carry passwords.
 *
 * @example
 * const databaseUrl = envUrl('DATABASE_URL', 'postgres://baton:baton@127.0.0.1:5432/baton', {
 *   protocols: ['postgres', 'postgresql'],
 * });
 */
export function envUrl(name: string, defaultValue?: string, options: EnvUrlOptions = {}): string {
  const protocols = options.protocols;
  const expected =
    protocols && protocols.length > 0
      ? `an absolute URL with scheme ${protocols.map((p) => `${p}://`).join(' or ')}`
      : 'an absolute URL';
  const raw = rawEnv(name, options.source);
  const value = raw ?? required(name, defaultValue, expected);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new EnvError(name, expected, 'malformed');
  }
  if (protocols && protocols.length > 0 && !protocols.includes(parsed.protocol.replace(/:$/, ''))) {
    throw new EnvError(name, expected, 'malformed');
  }
  return value;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off']);

/**
 * A boolean variable: `true/false`, `1/0`, `yes/no` or `on/off`, any case.
 *
 * @example
 * const pretty = envBool('LOG_PRETTY', false);
 */
export function envBool(name: string, defaultValue?: boolean, options: EnvOptions = {}): boolean {
  const expected = 'one of true, false, 1, 0, yes, no, on, off';
  const raw = rawEnv(name, options.source);
  if (raw === undefined) return required(name, defaultValue, expected);
  const word = raw.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new EnvError(name, expected, 'malformed', raw);
}

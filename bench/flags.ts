/**
 * A whole-number flag of a bench (`--tasks 5000`, or the environment variable standing in for
 * it): `dflt` when it is not given, else its value, which must be an integer ≥ `min`; anything
 * else is a BAD_ARGUMENT error naming the flag.
 */
export function intFlag<D extends number | undefined>(name: string, text: string | undefined, dflt: D, min = 1): number | D {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`BAD_ARGUMENT: --${name} must be an integer >= ${min}, got ${text}`);
  return n;
}

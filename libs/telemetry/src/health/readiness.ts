/**
 * One dependency the service needs before it can take traffic (NATS, Postgres, the event store).
 * `check` resolves when the dependency answers and throws (or rejects) when it does not.
 */
export interface ReadinessCheck {
  /** Short stable name, reported when the check fails (e.g. `nats`, `postgres`). */
  readonly name: string;
  check(): Promise<void> | void;
}

/** Outcome of one check. */
export interface ReadinessCheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly durationMs: number;
  /** Why it failed; for logs, not for HTTP responses (messages can carry hosts or credentials). */
  readonly error?: string;
}

/** Outcome of all checks. */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: readonly ReadinessCheckResult[];
  /** Names of the failing checks, in the order the checks were given. */
  readonly failing: readonly string[];
}

/** Options for {@link checkReadiness}. */
export interface CheckReadinessOptions {
  /** A check that has not settled after this long fails (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Clock for durations (tests). */
  readonly now?: () => number;
}

/** Default per-check timeout, kept below typical probe timeouts (Kubernetes default: 1 s ×3). */
export const DEFAULT_READINESS_TIMEOUT_MS = 2000;

/**
 * Throws when two checks share a name, since failures are reported by name.
 *
 * @example
 * assertUniqueCheckNames([natsCheck, postgresCheck]);
 */
export function assertUniqueCheckNames(checks: readonly ReadinessCheck[]): void {
  const seen = new Set<string>();
  for (const c of checks) {
    if (c.name.trim() === '') throw new Error('a readiness check has an empty name');
    if (seen.has(c.name)) throw new Error(`two readiness checks are named "${c.name}"`);
    seen.add(c.name);
  }
}

async function runOne(check: ReadinessCheck, timeoutMs: number, now: () => number): Promise<ReadinessCheckResult> {
  const started = now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    // Promise.resolve().then(...) turns a synchronous throw into a rejection.
    await Promise.race([Promise.resolve().then(() => check.check()), timeout]);
    return { name: check.name, ok: true, durationMs: now() - started };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    return { name: check.name, ok: false, durationMs: now() - started, error };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Runs every check concurrently, each bounded by a timeout, and reports the service
 * ready only when all pass. No checks means ready.
 *
 * @example
 * const report = await checkReadiness([{ name: 'nats', check: () => nc.flush() }]);
 * if (!report.ready) logger.warn({ failing: report.failing }, 'not ready');
 */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  options: CheckReadinessOptions = {},
): Promise<ReadinessReport> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  const now = options.now ?? (() => performance.now());
  const results = await Promise.all(checks.map((c) => runOne(c, timeoutMs, now)));
  const failing = results.filter((r) => !r.ok).map((r) => r.name);
  return { ready: failing.length === 0, checks: results, failing };
}

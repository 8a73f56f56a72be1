const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

const HUMAN = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i;
const ISO = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Result of {@link parseDuration}: milliseconds, or the reason the text is not a duration. */
export type DurationParse = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/**
 * Parses a duration written the way the seeds write them into milliseconds.
 *
 * Accepts `"4 hours"`, `"30m"`, `"48h"`, `"2 days"`, `"90 s"`, `"1h30m"` (compound, no spaces
 * needed) and ISO-8601 durations without years/months (`"PT4H"`, `"P2D"`, `"P1DT12H"`).
 * A bare number is rejected: a duration needs a unit. Zero is rejected: a zero SLA or timeout
 * is always a mistake.
 *
 * @example parseDuration('4 hours') // { ok: true, ms: 14_400_000 }
 */
export function parseDuration(text: string): DurationParse {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, reason: 'is empty' };
  let ms: number | undefined;
  const iso = ISO.exec(trimmed);
  if (iso && trimmed.length > 1 && !/T$/i.test(trimmed)) {
    const [, w, d, h, m, s] = iso;
    ms = [w, d, h, m, s].reduce<number>((sum, part, i) => {
      const unit = [604_800_000, 86_400_000, 3_600_000, 60_000, 1000][i] ?? 0;
      return sum + (part === undefined ? 0 : Number(part) * unit);
    }, 0);
  } else {
    const parts = trimmed.split(/\s*(?<=[a-z])(?=\d)\s*|\s+(?=\d)/i);
    let total = 0;
    for (const part of parts) {
      const match = HUMAN.exec(part.trim());
      if (!match) {
        return /^\d+(\.\d+)?$/.test(trimmed)
          ? { ok: false, reason: `"${text}" has no unit (write e.g. "${trimmed}s", "${trimmed}m" or "${trimmed} hours")` }
          : { ok: false, reason: `"${text}" is not a duration (write e.g. "30m", "4 hours", "2 days" or "PT4H")` };
      }
      const unit = UNIT_MS[(match[2] ?? '').toLowerCase()];
      if (unit === undefined) return { ok: false, reason: `"${text}" has an unknown unit "${match[2] ?? ''}" (use ms, s, m, h, d or w)` };
      total += Number(match[1]) * unit;
    }
    ms = total;
  }
  if (!Number.isFinite(ms) || ms <= 0) return { ok: false, reason: `"${text}" must be longer than zero` };
  return { ok: true, ms: Math.round(ms) };
}

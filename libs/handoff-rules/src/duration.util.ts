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

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/giy;
const ISO = /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i;

/** Milliseconds, or why the text is not a duration (phrased to follow `sla.first_output `). */
export type DurationResult = { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

/**
 * Parses an SLA duration as the seeds write them: `"30 minutes"`, `"4 hours"`, `"2 days"`,
 * `"1h30m"`, or ISO-8601 without years/months (`"PT4H"`). A unit is required and zero is rejected.
 *
 * @example parseSlaDuration('4 hours') // { ok: true, ms: 14_400_000 }
 */
export function parseSlaDuration(text: string): DurationResult {
  const trimmed = text.trim();
  const example = 'write e.g. "30 minutes", "4 hours", "2 days" or "PT4H"';
  if (trimmed === '') return { ok: false, reason: `is empty: ${example}` };
  if (/^\d+(\.\d+)?$/.test(trimmed)) return { ok: false, reason: `"${text}" has no unit: write e.g. "${trimmed} minutes" or "${trimmed} hours"` };
  let ms = 0;
  const iso = ISO.exec(trimmed);
  if (iso && /\d/.test(trimmed) && !/T$/i.test(trimmed)) {
    const units = [604_800_000, 86_400_000, 3_600_000, 60_000, 1000];
    iso.slice(1).forEach((part, i) => {
      if (part !== undefined) ms += Number(part) * (units[i] ?? 0);
    });
  } else {
    const compact = trimmed.replace(/\s*(,|and)\s*/gi, ' ');
    PART.lastIndex = 0;
    let consumed = 0;
    for (;;) {
      while (compact[consumed] === ' ') consumed++;
      if (consumed >= compact.length) break;
      PART.lastIndex = consumed;
      const match = PART.exec(compact);
      if (!match) return { ok: false, reason: `"${text}" is not a duration: ${example}` };
      const unit = UNIT_MS[(match[2] ?? '').toLowerCase()];
      if (unit === undefined) return { ok: false, reason: `"${text}" has an unknown unit "${match[2] ?? ''}": use minutes, hours, days or weeks (or ms, s, m, h, d, w)` };
      ms += Number(match[1]) * unit;
      consumed = PART.lastIndex;
    }
  }
  if (!Number.isFinite(ms) || ms <= 0) return { ok: false, reason: `"${text}" must be longer than zero: ${example}` };
  return { ok: true, ms: Math.round(ms) };
}

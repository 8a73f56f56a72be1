/**
 * Name matching shared by the rules: a rule key (`user_stories`), a markdown heading
 * ("User Stories"), a JSON field (`userStories`) and a reported output (`code-coverage`) are the
 * same name when their words match, ignoring case, separators and a plural `s`.
 */

const KEEP_AS_IS = new Set(['status', 'analysis', 'basis', 'criteria', 'data', 'series', 'news', 'success', 'process', 'access', 'progress', 'address', 'class']);

/** `stories` → `story`, `metrics` → `metric`; words ending -ss/-us/-is and a few others unchanged. */
export function singular(word: string): string {
  if (word.length <= 3 || KEEP_AS_IS.has(word)) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (/(ss|us|is)$/.test(word)) return word;
  if (/(ches|shes|xes|sses)$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s')) return word.slice(0, -1);
  return word;
}

/** The words of a name, lower-case and singular: `userStories`, `User Stories:`, `user-stories` → `['user', 'story']`. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter((w) => w !== '')
    .map(singular);
}

/** True when two names have the same words (see the module comment). */
export function sameName(a: string, b: string): boolean {
  const x = nameWords(a);
  const y = nameWords(b);
  return x.length > 0 && x.length === y.length && x.every((w, i) => w === y[i]);
}

/** True when `heading` starts with the words of `key` ("Success Metrics and KPIs" for `success_metrics`). */
export function nameStartsWith(heading: string, key: string): boolean {
  const x = nameWords(heading);
  const y = nameWords(key);
  return y.length > 0 && x.length > y.length && y.every((w, i) => w === x[i]);
}

/** `user_stories` → `User Stories` (for messages that name a section to add). */
export function titleCase(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => (w.length <= 3 && w === w.toUpperCase() ? w : `${w[0]?.toUpperCase() ?? ''}${w.slice(1).toLowerCase()}`))
    .join(' ');
}

/** `user_stories` → `user stories` (for "2 more user stories"). */
export function humanize(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/** Cuts text to `max` characters with an ellipsis. */
export function truncate(text: string, max = 48): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/** `1 item` / `3 items`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Starts of each line (offsets), for turning many offsets into line numbers cheaply. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** 1-based line of `offset` given {@link lineStarts}. */
export function lineFromStarts(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** True for null, undefined, blank strings, empty arrays and empty objects. */
export function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** A short description of a value's type for messages: `the string "yes"`, `a list`, `null`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${truncate(value, 40)}"`;
  if (typeof value === 'boolean') return String(value);
  return `${typeof value} ${String(value)}`;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops markdown emphasis and code marks (`**x**`, `_x_`, `` `x` ``) but keeps underscores inside words (`problem_statement`). */
export function stripEmphasis(text: string): string {
  return text.replace(/[*`]/g, '').replace(/(^|[\s(])_+|_+(?=[\s):]|$)/g, '$1');
}

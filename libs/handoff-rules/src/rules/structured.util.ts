import { isRecord, nameWords, sameName } from '../text.util';

/** A field found in a JSON/YAML mapping, under its key as written. */
export interface Field {
  readonly key: string;
  readonly value: unknown;
}

/**
 * The field of `record` that `name` means: the exact key, else one with the same words
 * (`userStories`, `user-stories`, `user_story`).
 */
export function fieldOf(record: Readonly<Record<string, unknown>>, name: string): Field | undefined {
  if (Object.hasOwn(record, name)) return { key: name, value: record[name] };
  const key = Object.keys(record).find((k) => sameName(k, name));
  return key === undefined ? undefined : { key, value: record[key] };
}

/**
 * The field a metric or flag `name` means, loosely: exact, same words, a key containing all of
 * `name`'s words (`coverage` → `code_coverage`, `coverage_percent`), or a key whose words end
 * `name`'s (`code_coverage` → `coverage`).
 */
export function metricFieldOf(record: Readonly<Record<string, unknown>>, name: string): Field | undefined {
  const direct = fieldOf(record, name);
  if (direct) return direct;
  const want = nameWords(name);
  if (want.length === 0) return undefined;
  const keys = Object.keys(record);
  const superset = keys.find((k) => {
    const words = nameWords(k);
    return want.every((w) => words.includes(w));
  });
  if (superset !== undefined) return { key: superset, value: record[superset] };
  const suffix = keys.find((k) => {
    const words = nameWords(k);
    return words.length > 0 && words.length < want.length && words.every((w, i) => w === want[want.length - words.length + i]);
  });
  return suffix === undefined ? undefined : { key: suffix, value: record[suffix] };
}

/** A readable label for a list element: its id, key, title or name, else `#n`. */
export function elementLabel(element: unknown, index: number): string {
  if (isRecord(element)) {
    for (const k of ['id', 'key', 'identifier', 'title', 'name', 'summary']) {
      const v = fieldOf(element, k)?.value;
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
      if (typeof v === 'number') return String(v);
    }
  }
  if (typeof element === 'string' && element.trim() !== '') return element.trim();
  return `#${index + 1}`;
}

/** All string leaves of a value, with their JSON-pointer-like path (`/tickets/0/title`). */
export function stringLeaves(value: unknown, path = ''): { path: string; text: string }[] {
  if (typeof value === 'string') return [{ path: path === '' ? '/' : path, text: value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, `${path}/${i}`));
  if (isRecord(value)) return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, `${path}/${k}`));
  return [];
}

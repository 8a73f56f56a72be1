import { lineFromStarts, lineStarts, truncate } from '../text.util';
import type { TextHit } from './markers.rule';

/** True when the pattern matches somewhere (the stateful `g`/`y` flags are dropped). */
export function testRegex(text: string, pattern: string, flags: string): boolean {
  return new RegExp(pattern, flags.replace(/[gy]/g, '')).test(text);
}

/** Every line the pattern matches, once per line, with the (shortened) line text. */
export function regexHits(text: string, pattern: string, flags: string): TextHit[] {
  const re = new RegExp(pattern, `${flags.replace(/[gy]/g, '')}g`);
  const starts = lineStarts(text);
  const lines = text.split('\n');
  const hits: TextHit[] = [];
  const seen = new Set<number>();
  for (const m of text.matchAll(re)) {
    const line = lineFromStarts(starts, m.index);
    if (seen.has(line)) continue;
    seen.add(line);
    hits.push({ line, found: truncate(lines[line - 1] ?? m[0], 60) });
  }
  return hits;
}

/** `console.log(` / `console.debug(` calls, as no_console_logs looks for them. */
export const CONSOLE_LOG_PATTERN = String.raw`\bconsole\.(?:log|debug)\s*\(`;

/**
 * Failing test names found in a test run's output, for the feedback file. Recognises the
 * common runners' failure lines: Jest/Vitest (`● Suite › test`, `✕ test`, `FAIL file`), TAP
 * (`not ok 3 - test`), pytest (`FAILED path::test`), Go (`--- FAIL: TestX`), Mocha (`1) test`
 * under "failing"), RSpec (`rspec ./spec/x_spec.rb:12`). At most `limit` names, first seen first.
 */
export function failingTestsIn(output: string, limit = 50): string[] {
  const found: string[] = [];
  const add = (name: string | undefined) => {
    const n = name?.trim();
    if (n && !found.includes(n) && found.length < limit) found.push(n);
  };
  // eslint-disable-next-line no-control-regex
  const clean = output.replace(/\u001b\[[0-9;]*m/g, '');
  let inMochaFailures = false;
  for (const line of clean.split(/\r?\n/)) {
    let m: RegExpExecArray | null;
    if ((m = /^\s*●\s+(.+?)\s*$/.exec(line)) && !/^Test suite failed to run/.test(m[1]!)) add(m[1]);
    else if ((m = /^\s*(?:✕|×|✗)\s+(.+?)(?:\s+\(\d+(?:\.\d+)?\s*m?s\))?\s*$/.exec(line))) add(m[1]);
    else if ((m = /^\s*FAIL\s+(\S+)/.exec(line))) add(m[1]);
    else if ((m = /^\s*not ok \d+\s*-?\s*(.+?)\s*$/.exec(line))) add(m[1]);
    else if ((m = /^FAILED\s+(\S+)/.exec(line))) add(m[1]);
    else if ((m = /^\s*--- FAIL:\s+(\S+)/.exec(line))) add(m[1]);
    else if ((m = /^rspec\s+(\S+)/.exec(line))) add(m[1]);
    else if (/^\s*\d+ failing\s*$/.test(line)) inMochaFailures = true;
    else if (inMochaFailures && (m = /^\s*\d+\)\s+(.+?)\s*$/.exec(line))) add(m[1]);
  }
  return found;
}

/** The last `maxLines` lines of `text` (what goes into a feedback file). */
export function lastLines(text: string, maxLines = 200): string {
  const lines = text.replace(/\s+$/, '').split(/\r?\n/);
  return (lines.length > maxLines ? [`… ${lines.length - maxLines} earlier lines left out …`, ...lines.slice(-maxLines)] : lines).join('\n');
}

import { isProse, structuredView, type ArtifactContent, type HandoffInput } from '../artifact';
import { describeValue, isRecord, nameWords, plural, truncate } from '../text.util';
import type { Rule } from './rule.model';
import { capList, type Problem } from './rule.types';
import { elementLabel, fieldOf, metricFieldOf } from './structured.util';

/** A value found for a metric or flag, and where (`outputs.coverage`, `pull_request.tests_passing`). */
interface Found {
  readonly value: unknown;
  readonly from: string;
  readonly artifact: string | null;
}

const NESTED = ['metrics', 'gates', 'checks'] as const;

/** Looks `name` up in the outputs: top level, then `outputs.metrics`, `outputs.gates`, `outputs.checks`. */
function fromOutputs(outputs: Readonly<Record<string, unknown>>, name: string, loose: boolean): Found | undefined {
  const lookup = loose ? metricFieldOf : fieldOf;
  const top = lookup(outputs, name);
  if (top) return { value: top.value, from: `outputs.${top.key}`, artifact: null };
  for (const group of NESTED) {
    const inner = fieldOf(outputs, group)?.value;
    if (!isRecord(inner)) continue;
    const hit = lookup(inner, name);
    if (hit) return { value: hit.value, from: `outputs.${group}.${hit.key}`, artifact: null };
  }
  return undefined;
}

/** Looks `name` up in a JSON/YAML artifact: top level, then its `metrics`, `gates`, `checks`. */
function fromStructured(artifact: ArtifactContent, name: string, loose: boolean): Found | undefined {
  const view = structuredView(artifact);
  if (view === null || !view.ok || !isRecord(view.value)) return undefined;
  const lookup = loose ? metricFieldOf : fieldOf;
  const top = lookup(view.value, name);
  if (top) return { value: top.value, from: `${artifact.name} field "${top.key}"`, artifact: artifact.name };
  for (const group of NESTED) {
    const inner = fieldOf(view.value, group)?.value;
    if (!isRecord(inner)) continue;
    const hit = lookup(inner, name);
    if (hit) return { value: hit.value, from: `${artifact.name} field "${group}.${hit.key}"`, artifact: artifact.name };
  }
  return undefined;
}

/** `coverage: 85%`, `Coverage 85.2 %`, `| Code coverage | 91% |`, `**Coverage:** 88` in prose. */
function fromProse(artifact: ArtifactContent, name: string): Found | undefined {
  const text = artifact.text;
  if (text === null) return undefined;
  const words = nameWords(name);
  const phrases = [words];
  const last = words[words.length - 1];
  if (words.length > 1 && last !== undefined && last.length >= 6) phrases.push([last]);
  for (const phrase of phrases) {
    const label = phrase.map((w) => `${w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}s?`).join('[\\s_-]+');
    const re = new RegExp(`(?<![\\w-])${label}(?![\\w-])[\\s*_|:=]*(?:is\\s+|of\\s+|at\\s+)?(-?\\d+(?:\\.\\d+)?)\\s*(%)?`, 'i');
    const m = re.exec(text);
    if (m) {
      const line = text.slice(0, m.index).split('\n').length;
      return { value: `${m[1] ?? ''}${m[2] ?? ''}`, from: `${artifact.name} line ${line}`, artifact: artifact.name };
    }
  }
  return undefined;
}

/** Reads a reported number: 85, "85", "85%", "85.2 %". */
function toNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
    if (m) return Number(m[1]);
  }
  return null;
}

function compare(actual: number, op: Extract<Rule, { kind: 'threshold' }>['op'], limit: number): boolean {
  switch (op) {
    case '>=':
      return actual >= limit;
    case '>':
      return actual > limit;
    case '<=':
      return actual <= limit;
    case '<':
      return actual < limit;
    case '==':
      return actual === limit;
    case '!=':
      return actual !== limit;
  }
}

/**
 * `coverage >= 80%`: finds the value in the outputs (loosely named), then in the JSON/YAML
 * artifacts, then in prose (`coverage: 85%`), and compares. Numbers are taken as written.
 */
export function checkThreshold(rule: Extract<Rule, { kind: 'threshold' }>, artifact: ArtifactContent | null, input: HandoffInput): Problem | null {
  const candidates = artifact !== null ? [artifact] : input.artifacts;
  const found =
    fromOutputs(input.outputs, rule.key, true) ??
    candidates.map((a) => fromStructured(a, rule.key, true)).find((f) => f !== undefined) ??
    candidates.filter((a) => isProse(a)).map((a) => fromProse(a, rule.key)).find((f) => f !== undefined);
  const limit = `${rule.value}${rule.percent ? '%' : ''}`;
  if (found === undefined) {
    const where = artifact === null ? '' : ` (or write "${rule.key}: <value>" in ${artifact.name})`;
    return { message: `no value for ${rule.key} was reported: report outputs.${rule.key} (a number)${where}; it must be ${rule.op} ${limit}`, missing: [`outputs.${rule.key}`], artifact: null };
  }
  const actual = toNumber(found.value);
  if (actual === null) {
    return {
      message: `${rule.key} was reported as ${describeValue(found.value)} (${found.from}), not a number: report a number such as 85 or "85%"`,
      missing: [`outputs.${rule.key} as a number`],
      artifact: found.artifact,
    };
  }
  if (compare(actual, rule.op, rule.value)) return null;
  const shown = `${actual}${rule.percent ? '%' : ''}`;
  return {
    message: `${rule.key} is ${shown} (${found.from}); it must be ${rule.op} ${limit}: improve it, then report the new value`,
    missing: [`${rule.key} ${rule.op} ${limit} (reported ${shown})`],
    artifact: found.artifact,
  };
}

const TRUE_WORDS = new Set(['true', 'yes', 'pass', 'passed', 'passing', 'ok']);

function isTrue(value: unknown): boolean {
  return value === true || (typeof value === 'string' && TRUE_WORDS.has(value.trim().toLowerCase()));
}

function findFlag(name: string, artifact: ArtifactContent | null, input: HandoffInput): Found | undefined {
  const candidates = artifact !== null ? [artifact] : input.artifacts;
  return fromOutputs(input.outputs, name, false) ?? candidates.map((a) => fromStructured(a, name, false)).find((f) => f !== undefined);
}

/**
 * A reported flag (`tests_passing`): `outputs[name]`, `outputs.gates[name]`,
 * `outputs.checks[name]`, or the JSON/YAML artifact's own field must be true.
 */
export function checkFlag(name: string, artifact: ArtifactContent | null, input: HandoffInput): Problem | null {
  const found = findFlag(name, artifact, input);
  if (found === undefined) {
    const where = artifact === null ? '' : ` (or set "${name}": true in ${artifact.name})`;
    return { message: `${name} was not reported: report outputs.${name} = true when it holds${where}`, missing: [`outputs.${name}`], artifact: null };
  }
  if (isTrue(found.value)) return null;
  return {
    message: `${name} is ${describeValue(found.value)} (${found.from}): it must hold before handing over; fix what makes it fail, then report ${name} = true`,
    missing: [name],
    artifact: found.artifact,
  };
}

function findingsIn(artifact: ArtifactContent | null, input: HandoffInput): Found | undefined {
  const candidates = artifact !== null ? [artifact] : input.artifacts;
  const names = ['findings', 'vulnerabilities'];
  for (const n of names) {
    const hit = fromOutputs(input.outputs, n, false);
    if (hit) return hit;
  }
  for (const a of candidates) {
    for (const n of names) {
      const hit = fromStructured(a, n, false);
      if (hit) return hit;
    }
    const view = structuredView(a);
    if (view?.ok && Array.isArray(view.value) && view.value.some((f) => isRecord(f) && fieldOf(f, 'severity') !== undefined)) return { value: view.value, from: a.name, artifact: a.name };
  }
  return undefined;
}

/** A finding's title (title, name, message, summary), else its id or position. */
function findingTitle(finding: unknown, index: number): string {
  if (isRecord(finding)) {
    for (const k of ['title', 'name', 'message', 'summary', 'description']) {
      const v = fieldOf(finding, k)?.value;
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  return elementLabel(finding, index);
}

/**
 * `no_critical_vulnerabilities`: no finding with severity "critical" in `outputs.findings` or a
 * JSON/YAML artifact's `findings`. With no findings reported, a reported
 * `no_critical_vulnerabilities: true` flag is accepted instead.
 */
export function checkNoCriticalVulnerabilities(ruleName: string, artifact: ArtifactContent | null, input: HandoffInput): Problem | null {
  const found = findingsIn(artifact, input);
  if (found === undefined) {
    const flag = findFlag(ruleName, artifact, input);
    if (flag !== undefined) return checkFlag(ruleName, artifact, input);
    return {
      message: `no scan findings were reported: report outputs.findings (a list of { severity, title }, empty when the scan found nothing) or outputs.${ruleName} = true`,
      missing: ['outputs.findings'],
      artifact: null,
    };
  }
  if (!Array.isArray(found.value)) return { message: `findings (${found.from}) must be a list of { severity, title }, not ${describeValue(found.value)}`, missing: ['findings as a list'], artifact: found.artifact };
  const critical = found.value
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => isRecord(f) && String(fieldOf(f, 'severity')?.value ?? '').trim().toLowerCase() === 'critical')
    .map(({ f, i }) => truncate(findingTitle(f, i), 80));
  if (critical.length === 0) return null;
  return {
    message: `${plural(critical.length, 'critical finding')} (${found.from}): ${critical.slice(0, 5).map((t) => `"${t}"`).join(', ')}: fix ${critical.length === 1 ? 'it' : 'them'} and report the scan again`,
    missing: capList(critical),
    artifact: found.artifact,
  };
}

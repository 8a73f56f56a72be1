import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import * as contracts from '../index';
import type { MessageDefinition } from '../messages';
import { buildAsyncApiDocument } from './index';

// The document must list every subject the services, libraries, tools and SDKs use. This reads
// their sources (tests excluded) for each way a subject is made: a message definition imported
// from the contracts, a Subjects/eventSubjectFor/deadLetterSubject call, or a `baton.…` string
// literal (TypeScript, and the Python SDK's strings); and for the event types each aggregate
// writes. Each one must fall on a channel.

const root = path.resolve(__dirname, '../../../..');
const SCANNED = ['libs', 'services', 'tools', 'sdk'];
const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'fixtures', 'tests', '.venv', '__pycache__', 'build']);

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return SKIPPED_DIRS.has(e.name) || e.name.startsWith('.') ? [] : sources(p);
    if (/\.py$/.test(e.name)) return /^test_|_test\.py$/.test(e.name) ? [] : [p];
    return /\.ts$/.test(e.name) && !/\.spec\.ts$|\.d\.ts$/.test(e.name) ? [p] : [];
  });
}

/** The code without comments (a `//` right after `:` is a URL, not a comment; `#` starts a Python comment). */
function code(file: string, text: string): string {
  if (file.endsWith('.py')) return text.replace(/^\s*#.*$/gm, '');
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

const files = SCANNED.flatMap((d) => sources(path.join(root, d))).map((file) => ({ file: path.relative(root, file), text: code(file, readFileSync(file, 'utf8')) }));

const addresses = Object.values(buildAsyncApiDocument({ version: '0' }).channels)
  .map((c) => c['address'])
  .filter((a): a is string => typeof a === 'string');

/**
 * Whether a channel address (`{param}` = any one token) can carry a subject the code uses, where
 * `*` stands for one token the code computes and `>` for the rest.
 */
function covers(address: string, subject: string): boolean {
  const a = address.split('.');
  const s = subject.split('.');
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '>') return a.length > i;
    if (i >= a.length) return false;
    if (s[i] === '*' || /^\{.+\}$/.test(a[i]!)) continue;
    if (s[i] !== a[i]) return false;
  }
  return a.length === s.length;
}

interface Use {
  readonly file: string;
  readonly subject: string;
}

function isDefinition(value: unknown): value is MessageDefinition {
  return typeof value === 'object' && value !== null && 'subject' in value && 'versions' in value && 'reply' in value;
}

const lit = `'([^'\\\\]+)'`;

/** Fewest tokens a subject of each kind has (`baton.agent.<id>.inbox`, `baton.dlq.<consumer>` …); shorter strings are other names (span attributes). */
const MIN_TOKENS: Record<string, number> = { cmd: 4, qry: 4, evt: 4, agent: 4, dlq: 3 };

function looksLikeSubject(value: string): boolean {
  const m = /^baton\.(cmd|qry|evt|agent|dlq)\.\S*$/.exec(value);
  if (!m || /[<…]/.test(value)) return false;
  return value.endsWith('>') || value.split('.').length >= MIN_TOKENS[m[1]!]!;
}

/**
 * Subjects written out as whole string literals: `'baton.evt.task.>'`, `` `baton.agent.${id}.heartbeat` ``
 * (an interpolation is one token, `*`), and the Python SDK's `f"baton.agent.{agent_id}.inbox"`.
 * TypeScript is read with its own scanner, so prose that mentions a subject is not taken for one.
 */
function subjectLiterals(file: string, text: string): string[] {
  if (file.endsWith('.py')) {
    return [...text.matchAll(/\bf?(['"])(baton\.[^'"\s]*)\1/g)].map((m) => m[2]!.replace(/\{[^}]*\}/g, '*')).filter(looksLikeSubject);
  }
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) found.push(node.text);
    else if (ts.isTemplateExpression(node)) found.push(node.head.text + node.templateSpans.map((span) => `*${span.literal.text}`).join(''));
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false));
  return found.filter(looksLikeSubject);
}

function usesIn(file: string, text: string): Use[] {
  const uses: Use[] = [];
  const add = (subject: string) => uses.push({ file, subject });
  // Message definitions imported from the contracts: their subjects.
  for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@baton\/contracts'/g)) {
    for (const raw of m[1]!.split(',')) {
      const name = raw.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]!;
      const value = (contracts as Record<string, unknown>)[name];
      if (isDefinition(value)) add(value.subject);
    }
  }
  // The subject builders, with literal arguments where the code has them.
  for (const m of text.matchAll(/Subjects\.(command|query)\(\s*(?:'([^']+)'|[^,)]+)\s*,\s*(?:'([^']+)'|[^)]+)\)/g)) {
    add(`baton.${m[1] === 'command' ? 'cmd' : 'qry'}.${m[2] ?? '*'}.${m[3] ?? '*'}`);
  }
  for (const m of text.matchAll(/Subjects\.event\(\s*(?:'([^']+)'|[^,)]+)\s*,\s*(?:'([^']+)'|[^)]+)\)/g)) add(`baton.evt.${m[1] ?? '*'}.${m[2] ?? '*'}`);
  for (const m of text.matchAll(new RegExp(`eventSubjectFor\\(\\s*(?:${lit}|[^,)]+)\\s*,\\s*(?:${lit}|[^)]+)\\)`, 'g'))) {
    add(m[1] !== undefined && m[2] !== undefined ? contracts.eventSubjectFor(m[1], m[2]) : `baton.evt.${m[1] ?? '*'}.*`);
  }
  if (/Subjects\.agentInbox\(/.test(text)) add('baton.agent.*.inbox');
  if (/Subjects\.agentHeartbeat\(/.test(text)) add('baton.agent.*.heartbeat');
  if (/Subjects\.allEvents\b/.test(text)) add('baton.evt.>');
  if (/deadLetterSubject\(/.test(text)) add('baton.dlq.*');
  for (const literal of subjectLiterals(file, text)) add(literal);
  return uses;
}

describe('every subject used in libs/, services/ and tools/ is a channel of the AsyncAPI document', () => {
  const uses = files.flatMap((f) => usesIn(f.file, f.text));

  it('finds the subjects the code uses (the scan itself works)', () => {
    const subjects = new Set(uses.map((u) => u.subject));
    for (const expected of ['baton.cmd.scheduler.complete-task', 'baton.cmd.agent-registry.register-agent', 'baton.agent.*.heartbeat', 'baton.agent.*.inbox', 'baton.evt.>', 'baton.dlq.*']) {
      expect(subjects).toContain(expected);
    }
    expect(uses.length).toBeGreaterThan(100);
    // …and a subject no channel carries would be reported.
    for (const unknown of ['baton.cmd.scheduler.no-such-command', 'baton.agent.*.progress', 'baton.evt.task.no-such-event']) {
      expect(addresses.some((a) => covers(a, unknown))).toBe(false);
    }
  });

  it('each one falls on a channel', () => {
    const missing = uses.filter((u) => !addresses.some((a) => covers(a, u.subject))).map((u) => `${u.file}: ${u.subject}`);
    expect(missing).toEqual([]);
  });

  it('each event type an aggregate writes has its channel', () => {
    const missing: string[] = [];
    for (const { file, text } of files.filter((f) => /^services\/[^/]+\/src\/domain\//.test(f.file))) {
      const reader = /eventReader<\w+>\(\s*'([a-z]+)'\s*,\s*(\w+)?/.exec(text);
      if (!reader) continue;
      const category = reader[1]!;
      // The event types: the keys of a schema map from the contracts, and past-tense names in the
      // file (events are named in the past tense, STYLE.md; the commands beside them are not).
      const map = reader[2] === undefined ? undefined : (contracts as Record<string, unknown>)[reader[2]];
      const types = [...(typeof map === 'object' && map !== null ? Object.keys(map) : []), ...[...text.matchAll(/'([A-Z][a-z]+(?:[A-Z][a-z]+)*ed)'/g)].map((m) => m[1]!)];
      for (const type of types) {
        const subject = contracts.eventSubjectFor(category, type);
        if (!addresses.includes(subject)) missing.push(`${file}: ${type} → ${subject}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { didYouMean } from './did-you-mean.util';
import { compileWorkflow, type Reporter } from './workflow.compiler';
import { WorkflowDefinitionError, type WorkflowDiagnostic } from './workflow.errors';
import type { WorkflowDefinition } from './workflow.model';
import { SetAside, type Path, type SetAsideRequest } from './workflow.salvage';
import { KNOWN_KEYS, RawWorkflowBody, STAGE_KEYS } from './workflow.schema';
import { z } from 'zod';

/** Options for {@link parseWorkflow}. */
export interface ParseWorkflowOptions {
  /** Name used in error locations (`feature.yml:42:7`). Defaults to `workflow.yml`. */
  readonly file?: string;
}

/** Result of {@link parseWorkflow}. */
export type ParseWorkflowResult =
  | { readonly ok: true; readonly workflow: WorkflowDefinition }
  | { readonly ok: false; readonly errors: readonly WorkflowDiagnostic[] };

const WrappedBody = z.strictObject({ workflow: RawWorkflowBody });

/**
 * Setting a value aside can uncover another schema problem (a required key removed for its type is
 * then missing). Each round settles one layer; the longest chain the schema allows takes three
 * (`workflow: null` → an empty body → its placeholder `name`). The bound only guards against a loop.
 */
const MAX_SCHEMA_ROUNDS = 8;

/**
 * Parses and validates a workflow written in YAML, in either shape the seeds use (`workflow:` with
 * `stages:`, or root-level `name`/`steps:`), into the normalized {@link WorkflowDefinition}.
 * Never throws for bad input: every problem comes back as a located diagnostic, sorted by position,
 * each once. One call finds them all: a value that breaks the schema is reported and set aside, and
 * the references, cycles, conditions and durations of the rest are still checked (checks that would
 * only restate the set-aside mistake, such as an "unreachable" stage behind a misspelled `next`,
 * stay quiet).
 *
 * @example
 * const r = parseWorkflow(text, { file: 'feature.yml' });
 * if (!r.ok) console.error(r.errors.map(formatDiagnostic).join('\n'));
 */
export function parseWorkflow(text: string, options: ParseWorkflowOptions = {}): ParseWorkflowResult {
  const file = options.file ?? 'workflow.yml';
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const errors: WorkflowDiagnostic[] = [];
  const at = (offset: number, path: Path, message: string): void => {
    const pos = lineCounter.linePos(offset);
    errors.push({ file, line: pos.line, column: pos.col, message, path });
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) at(e.pos[0], [], `YAML syntax error: ${e.message.split(' at line ')[0]}`);
    return { ok: false, errors: sortDiagnostics(errors) };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    at(doc.contents?.range?.[0] ?? 0, [], 'a workflow file must be a mapping with "workflow:" or "name:" and "steps:"');
    return { ok: false, errors };
  }
  const report: Reporter = (path, message, target = 'value', offset) => at(locate(doc, path, target, offset), path, message);
  const wrapped = 'workflow' in raw;
  const body = stripExtensions(raw);
  const schema = wrapped ? WrappedBody : RawWorkflowBody;
  const setAside = new SetAside();
  let parsed = schema.safeParse(body, { reportInput: true });
  for (let round = 0; !parsed.success; round++) {
    // Only the first round's problems are the user's; later ones follow from setting those aside.
    if (round === MAX_SCHEMA_ROUNDS) return { ok: false, errors: sortDiagnostics(errors) };
    const problems = parsed.error.issues.flatMap((issue) => schemaProblems(issue, [], body));
    if (round === 0) for (const problem of problems) report(problem.at, problem.message, problem.target);
    for (const problem of problems) setAside.apply(body, problem.setAside);
    parsed = schema.safeParse(body, { reportInput: true });
  }
  const basePath: Path = wrapped ? ['workflow'] : [];
  const bodyValue = (wrapped ? (parsed.data as { workflow: unknown }).workflow : parsed.data) as z.infer<typeof RawWorkflowBody>;
  const stageSource = (path: Path) => ({ line: lineCounter.linePos(locate(doc, path, 'value', undefined)).line });
  const workflow = compileWorkflow(bodyValue, basePath, { file, report, stageSource, setAside });
  if (errors.length > 0 || workflow === null) return { ok: false, errors: sortDiagnostics(errors) };
  return { ok: true, workflow };
}

/**
 * Like {@link parseWorkflow}, but returns the definition or throws a {@link WorkflowDefinitionError}
 * (code VALIDATION_FAILED) whose message lists every error as `file:line:col: message`.
 */
export function parseWorkflowOrThrow(text: string, options: ParseWorkflowOptions = {}): WorkflowDefinition {
  const result = parseWorkflow(text, options);
  if (!result.ok) throw new WorkflowDefinitionError(result.errors);
  return result.workflow;
}

function sortDiagnostics(list: WorkflowDiagnostic[]): WorkflowDiagnostic[] {
  const seen = new Set<string>();
  return list
    .filter((d) => {
      const key = `${d.line}:${d.column}:${d.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Drops `x-…` keys (allowed everywhere) except inside free-form `params` and `metadata`. */
function stripExtensions(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripExtensions);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k.startsWith('x-')) continue;
    out[k] = k === 'params' || k === 'metadata' ? v : stripExtensions(v);
  }
  return out;
}

/** Offset of the node at `path` (its key when `target` is 'key'), falling back to the deepest existing parent. */
function locate(doc: Document, path: Path, target: 'key' | 'value', offset: number | undefined): number {
  let node: unknown = doc.contents;
  let pos = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return pos;
      const keyNode = pair.key as Node;
      if (last && target === 'key') return keyNode.range?.[0] ?? pos;
      const valueNode = pair.value as Node | null;
      pos = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? pos;
      node = valueNode;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return pos;
      pos = item.range?.[0] ?? pos;
      node = item;
    } else {
      return pos;
    }
  }
  if (offset !== undefined && isScalar(node)) {
    const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
    const block = node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED';
    return block ? pos : pos + (quoted ? 1 : 0) + offset;
  }
  return pos;
}

// ---------------------------------------------------------------------------------------------
// zod issues → diagnostics
// ---------------------------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;

const STAGE_LISTS = new Set(['stages', 'steps', 'then']);
const BRANCH_LISTS = new Set(['parallel_agents', 'parallel']);

/** `stage "design": ` (or the empty string outside any stage) and the field path inside it. */
export function describePath(root: unknown, path: Path): { prefix: string; field: string } {
  let node: unknown = root;
  let prefix = '';
  let fieldStart = 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string | number;
    const parent = path[i - 1];
    node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
    if (typeof seg === 'number' && typeof parent === 'string' && STAGE_LISTS.has(parent)) {
      const s = (node ?? {}) as Record<string, unknown>;
      const name = [s['stage'], s['id'], s['action']].find((v) => typeof v === 'string');
      prefix = typeof name === 'string' ? `stage "${name}": ` : `${parent}[${seg}]: `;
      fieldStart = i + 1;
    }
  }
  const field = path
    .slice(fieldStart)
    .map((seg, j) => (typeof seg === 'number' ? `[${seg}]` : j === 0 ? seg : `.${seg}`))
    .join('');
  return { prefix, field: prefix === '' && path[0] === 'workflow' ? field.replace(/^workflow\.?/, '') : field };
}

function knownKeysAt(path: Path): readonly string[] {
  const last = path[path.length - 1];
  const parent = path[path.length - 2];
  if (path.length === 0) return KNOWN_KEYS.root;
  if (path.length === 1 && last === 'workflow') return KNOWN_KEYS.body;
  if (typeof last === 'number' && typeof parent === 'string') {
    if (STAGE_LISTS.has(parent)) return STAGE_KEYS;
    if (BRANCH_LISTS.has(parent)) return KNOWN_KEYS.branch;
    if (parent === 'on_failure') return KNOWN_KEYS.failureStep;
  }
  const underField = KNOWN_KEYS.underField;
  return typeof last === 'string' && Object.hasOwn(underField, last) ? underField[last]! : [];
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value}"`;
  return `${typeof value} ${String(value)}`;
}

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
  int: 'a whole number',
};

/** A schema error: what to report where, and which value to set aside so the rest can be checked. */
interface SchemaProblem {
  readonly at: Path;
  readonly message: string;
  readonly target: 'key' | 'value';
  readonly setAside: SetAsideRequest;
}

function schemaProblems(issue: Issue, base: Path, root: unknown): SchemaProblem[] {
  const path: Path = [...base, ...(issue.path as (string | number)[])];
  const { prefix, field } = describePath(root, path);
  const subject = field === '' ? '' : `"${field}" `;
  const atValue = (message: string): SchemaProblem[] => [{ at: path, message, target: 'value', setAside: { path, missing: false } }];
  switch (issue.code) {
    case 'unrecognized_keys': {
      const where = field === '' ? '' : ` in "${field}"`;
      return issue.keys.map((key) => ({
        at: [...path, key],
        message: `${prefix}unknown key "${key}"${where}${didYouMean(key, knownKeysAt(path))}`,
        target: 'key',
        setAside: { path: [...path, key], missing: false },
      }));
    }
    case 'invalid_type': {
      const input = (issue as { input?: unknown }).input;
      if (input === undefined) return missingKey(path, root);
      return atValue(`${prefix}${subject}must be ${EXPECTED[issue.expected] ?? issue.expected} (got ${typeName(input)})`);
    }
    case 'invalid_union': {
      const branches = issue.errors.filter((errs) => !errs.every((e) => e.code === 'invalid_type' && e.path.length === 0));
      if (branches.length === 1) return (branches[0] ?? []).flatMap((e) => schemaProblems(e, path, root));
      const expected = [...new Set(issue.errors.flatMap((errs) => errs.map((e) => (e.code === 'invalid_type' ? (EXPECTED[e.expected] ?? e.expected) : null))).filter((x): x is string => x !== null))];
      const input = (issue as { input?: unknown }).input;
      const branchHint = branches[0]?.[0];
      if (expected.length > 0 && branchHint === undefined) return atValue(`${prefix}${subject}must be ${expected.join(' or ')} (got ${typeName(input)})`);
      // The hint names one way the value could be fixed; the whole value is set aside, as no branch fits.
      if (branchHint !== undefined) return schemaProblems(branchHint, path, root).map((p) => ({ ...p, setAside: { path, missing: false } }));
      return atValue(`${prefix}${subject}${issue.message}`);
    }
    case 'invalid_value': {
      const input = (issue as { input?: unknown }).input;
      // A required enum key that is absent (`trigger: { cron: … }`) comes as a bad value of undefined.
      if (input === undefined) return missingKey(path, root);
      const values = issue.values.map((v) => String(v));
      return atValue(`${prefix}${subject}must be one of ${values.join(', ')} (got ${typeName(input)})${typeof input === 'string' ? didYouMean(input, values) : ''}`);
    }
    default:
      return atValue(`${prefix}${subject}${issue.message}`);
  }
}

function missingKey(path: Path, root: unknown): SchemaProblem[] {
  const parentPath = path.slice(0, -1);
  const { prefix, field } = describePath(root, parentPath);
  return [{ at: parentPath, message: `${prefix}missing required key "${String(path[path.length - 1])}"${field === '' ? '' : ` in "${field}"`}`, target: 'value', setAside: { path, missing: true } }];
}

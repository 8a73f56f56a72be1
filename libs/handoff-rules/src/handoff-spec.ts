import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node, type Pair } from 'yaml';
import { didYouMean } from '@baton/workflow-dsl';
import { parseSlaDuration } from './duration.util';
import { HandoffSpecError, type SpecDiagnostic } from './handoff.errors';
import type { ContextRequirement, Rule } from './rules/rule.model';
import { parseContextRequirement, parseRule } from './rules/rule.parser';
import { truncate } from './text.util';

/** A handoff spec (seed 000 "HANDOFF SPECIFICATIONS"): what one agent must hand the next. */
export interface HandoffSpec {
  readonly id: string;
  /** Agents that hand over (a spec applies when the sender is one of them). */
  readonly from: readonly string[];
  /** Agents that receive. */
  readonly to: readonly string[];
  readonly artifacts: readonly ArtifactSpec[];
  readonly context: readonly ContextRequirement[];
  readonly sla: { readonly acknowledgmentMs: number | null; readonly firstOutputMs: number | null };
  /** The file the spec was read from. */
  readonly source: string;
}

/** A required artifact and the rules its content must satisfy. */
export interface ArtifactSpec {
  readonly name: string;
  readonly rules: readonly Rule[];
}

export type { ContextRequirement, Rule, RuleKind, ThresholdOp } from './rules/rule.model';

/** Options for {@link parseHandoffSpec}. */
export interface ParseHandoffSpecOptions {
  /** Custom rules that take arguments (`my_rule: 3 reviewers`), so such rules parse (see RuleRegistry.ruleNames()). */
  readonly customRules?: Iterable<string>;
}

const ROOT_KEYS = ['handoff'] as const;
const SPEC_KEYS = ['id', 'from', 'to', 'required_artifacts', 'required_context', 'sla', 'description'] as const;
const ARTIFACT_KEYS = ['name', 'validation', 'description'] as const;
const SLA_KEYS = ['acknowledgment', 'acknowledgement', 'first_output'] as const;
const SPEC_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,199}$/;
const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

class Reporter {
  readonly errors: SpecDiagnostic[] = [];
  constructor(
    private readonly file: string,
    private readonly source: string,
    private readonly lines: LineCounter,
  ) {}

  at(offset: number, message: string, text?: string): void {
    const pos = this.lines.linePos(offset);
    const lineText = this.source.split('\n')[pos.line - 1] ?? '';
    this.errors.push({ file: this.file, line: pos.line, column: pos.col, message, text: truncate(text ?? lineText.trim(), 200) });
  }

  node(node: unknown, fallback: number, message: string): void {
    const range = (node as Node | null | undefined)?.range;
    const start = range?.[0] ?? fallback;
    const text = range ? this.source.slice(range[0], range[1]).trim() : undefined;
    this.at(start, message, text);
  }
}

function startOf(node: unknown, fallback = 0): number {
  return (node as Node | null | undefined)?.range?.[0] ?? fallback;
}

function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** A list of non-empty strings from a scalar or a sequence of scalars (for from/to). */
function stringList(node: unknown, field: string, specLabel: string, r: Reporter, fallback: number): string[] | null {
  const items: unknown[] = isSeq(node) ? node.items : [node];
  if (isSeq(node) && node.items.length === 0) {
    r.node(node, fallback, `${specLabel}: "${field}" is an empty list: name at least one agent id ("MCT-PM-001")`);
    return null;
  }
  const out: string[] = [];
  for (const item of items) {
    const value = isScalar(item) ? item.value : undefined;
    if (typeof value !== 'string' || value.trim() === '') {
      r.node(item, fallback, `${specLabel}: "${field}" must be an agent id or a list of agent ids (e.g. "MCT-BE-001")`);
      return null;
    }
    if (!AGENT_ID.test(value.trim())) {
      r.node(item, fallback, `${specLabel}: "${field}" agent id "${value}" is not valid: use letters, digits, dot, dash or underscore (1-128 chars)`);
      return null;
    }
    out.push(value.trim());
  }
  return out;
}

/**
 * Parses a handoff spec file: one `handoff:` document, or several separated by `---`. Throws a
 * {@link HandoffSpecError} (code VALIDATION_FAILED) listing every problem at `file:line:col`:
 * bad YAML, missing id/from/to, unknown keys (with a did-you-mean), rules or context
 * requirements that do not parse, bad SLA durations.
 *
 * @example
 * const [spec] = parseHandoffSpecs(text, 'examples/handoffs/ho-pm-arch.yaml');
 */
export function parseHandoffSpecs(text: string, file: string, options: ParseHandoffSpecOptions = {}): HandoffSpec[] {
  const lines = new LineCounter();
  const r = new Reporter(file, text, lines);
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [];
  const specs: HandoffSpec[] = [];
  for (const doc of list) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) r.at(e.pos[0], `YAML syntax error: ${e.message.split(' at line ')[0] ?? e.message}: fix the indentation or quoting`);
      continue;
    }
    if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === ''))) continue;
    const spec = parseDoc(doc, file, r, options);
    if (spec !== null) specs.push(spec);
  }
  if (r.errors.length === 0 && specs.length === 0) r.at(0, 'the file holds no handoff spec: write "handoff:" with id, from, to, required_artifacts and required_context', '');
  const seen = new Map<string, HandoffSpec>();
  for (const spec of specs) {
    if (seen.has(spec.id)) r.at(text.indexOf(spec.id), `handoff id "${spec.id}" appears twice in this file: give each spec its own id`, spec.id);
    seen.set(spec.id, spec);
  }
  if (r.errors.length > 0) throw new HandoffSpecError([...r.errors].sort((a, b) => a.line - b.line || a.column - b.column));
  return specs;
}

/**
 * Parses a file holding exactly one handoff spec (see {@link parseHandoffSpecs} for files with
 * several). Throws a {@link HandoffSpecError} naming `file:line:col` for every problem.
 *
 * @example
 * const spec = parseHandoffSpec(await readFile(path, 'utf8'), path);
 */
export function parseHandoffSpec(text: string, file: string, options: ParseHandoffSpecOptions = {}): HandoffSpec {
  const specs = parseHandoffSpecs(text, file, options);
  if (specs.length > 1) {
    throw new HandoffSpecError([{ file, line: 1, column: 1, message: `the file holds ${specs.length} handoff specs (${specs.map((s) => s.id).join(', ')}); parseHandoffSpec reads one: use parseHandoffSpecs or loadHandoffCatalog`, text: '' }]);
  }
  return specs[0] as HandoffSpec;
}

function parseDoc(doc: Document.Parsed, file: string, r: Reporter, options: ParseHandoffSpecOptions): HandoffSpec | null {
  const root = doc.contents;
  if (!isMap(root)) {
    r.node(root, 0, 'a handoff spec document must be a mapping with a "handoff:" key (id, from, to, required_artifacts, required_context, sla)');
    return null;
  }
  let body: unknown;
  let bodyPair: Pair | undefined;
  for (const pair of root.items) {
    const key = keyName(pair);
    if (key === 'handoff') {
      body = pair.value;
      bodyPair = pair;
    } else if (!key.startsWith('x-')) r.node(pair.key, startOf(root), `unknown top-level key "${key}"${didYouMean(key, ROOT_KEYS)}: a spec document has one key, "handoff:"`);
  }
  if (bodyPair === undefined) {
    if (r.errors.length === 0) r.node(root, 0, 'missing "handoff:": put the spec (id, from, to, required_artifacts, required_context, sla) under a "handoff:" key');
    return null;
  }
  if (!isMap(body)) {
    r.node(body ?? bodyPair.key, startOf(bodyPair.key), '"handoff" must be a mapping with id, from, to, required_artifacts, required_context and sla');
    return null;
  }
  const errorsBefore = r.errors.length;
  const fields = new Map<string, Pair>();
  for (const pair of body.items) {
    const key = keyName(pair);
    if (key.startsWith('x-')) continue;
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      r.node(pair.key, startOf(body), `unknown key "${key}" in handoff${didYouMean(key, SPEC_KEYS)}: allowed keys are ${SPEC_KEYS.join(', ')}`);
      continue;
    }
    fields.set(key, pair);
  }
  const idNode = fields.get('id')?.value;
  const idValue = isScalar(idNode) ? idNode.value : undefined;
  let id = '';
  if (idNode === undefined) r.node(body, 0, 'handoff: missing required key "id": add id: "HO-<FROM>-<TO>" (e.g. "HO-PM-ARCH")');
  else if (typeof idValue !== 'string' || !SPEC_ID.test(idValue)) r.node(idNode, startOf(body), `handoff "id" must be a string of letters, digits, dot, colon, dash or underscore (e.g. "HO-PM-ARCH")`);
  else id = idValue;
  const label = id === '' ? 'handoff' : `handoff "${id}"`;

  const endpoint = (field: 'from' | 'to', hint: string): string[] => {
    const pair = fields.get(field);
    if (pair === undefined || pair.value === null) {
      r.node(pair?.key ?? body, 0, `${label}: missing required key "${field}": add ${field}: "<agent id>" or a list of agent ids (${hint})`);
      return [];
    }
    return stringList(pair.value, field, label, r, startOf(pair.key)) ?? [];
  };
  const from = endpoint('from', 'the agents that hand over');
  const to = endpoint('to', 'the agents that receive');
  const artifacts = parseArtifacts(doc, fields.get('required_artifacts'), label, r, options);
  const context = parseContext(doc, fields.get('required_context'), label, r);
  const sla = parseSla(fields.get('sla'), label, r);
  const description = fields.get('description');
  if (description !== undefined && !(isScalar(description.value) && typeof description.value.value === 'string')) r.node(description.value, startOf(description.key), `${label}: "description" must be a string`);
  if (r.errors.length > errorsBefore) return null;
  return { id, from, to, artifacts, context, sla, source: file };
}

function parseArtifacts(doc: Document.Parsed, pair: Pair | undefined, label: string, r: Reporter, options: ParseHandoffSpecOptions): ArtifactSpec[] {
  if (pair === undefined || pair.value === null) return [];
  if (!isSeq(pair.value)) {
    r.node(pair.value, startOf(pair.key), `${label}: "required_artifacts" must be a list of { name, validation } entries`);
    return [];
  }
  const out: ArtifactSpec[] = [];
  for (const item of pair.value.items) {
    if (isScalar(item) && typeof item.value === 'string' && item.value.trim() !== '') {
      out.push({ name: item.value.trim(), rules: [] });
      continue;
    }
    if (!isMap(item)) {
      r.node(item, startOf(pair.key), `${label}: each required artifact must be a mapping with "name" and "validation" (or just the artifact name)`);
      continue;
    }
    let name: string | null = null;
    let validation: unknown;
    for (const p of item.items) {
      const key = keyName(p);
      if (key.startsWith('x-')) continue;
      if (key === 'name') {
        if (isScalar(p.value) && typeof p.value.value === 'string' && p.value.value.trim() !== '') name = p.value.value.trim();
        else r.node(p.value ?? p.key, startOf(p.key), `${label}: artifact "name" must be a non-empty string such as "prd.md", "designs/" or "linear_tickets[]"`);
      } else if (key === 'validation') validation = p.value;
      else if (key === 'description') continue;
      else r.node(p.key, startOf(item), `${label}: unknown key "${key}" in a required artifact${didYouMean(key, ARTIFACT_KEYS)}: allowed keys are ${ARTIFACT_KEYS.join(', ')}`);
    }
    if (name === null) {
      if (!item.items.some((p) => keyName(p) === 'name')) r.node(item, startOf(pair.key), `${label}: a required artifact is missing "name": add name: "<artifact name>" (e.g. "prd.md")`);
      continue;
    }
    if (out.some((a) => a.name === name)) r.node(item, startOf(pair.key), `${label}: artifact "${name}" is listed twice: merge its validation lists`);
    const rules: Rule[] = [];
    if (validation !== undefined && validation !== null) {
      if (!isSeq(validation)) r.node(validation, startOf(item), `${label}: "validation" of ${name} must be a list of rules (e.g. - "user_stories: min 3")`);
      else {
        for (const ruleNode of validation.items) {
          const value: unknown = ruleNode === null ? null : (ruleNode as Node).toJS(doc, { maxAliasCount: 100 });
          const parsed = parseRule(value, options);
          if (parsed.ok) rules.push(parsed.rule);
          else r.node(ruleNode, startOf(validation), `${label}: artifact ${name}: ${parsed.message}`);
        }
      }
    }
    out.push({ name, rules });
  }
  return out;
}

function parseContext(doc: Document.Parsed, pair: Pair | undefined, label: string, r: Reporter): ContextRequirement[] {
  if (pair === undefined || pair.value === null) return [];
  if (!isSeq(pair.value)) {
    r.node(pair.value, startOf(pair.key), `${label}: "required_context" must be a list such as ["priority_level", "changed_files[]", "auth_changes: boolean"]`);
    return [];
  }
  const out: ContextRequirement[] = [];
  for (const item of pair.value.items) {
    const value: unknown = item === null ? null : (item as Node).toJS(doc, { maxAliasCount: 100 });
    const parsed = parseContextRequirement(value);
    if (!parsed.ok) {
      r.node(item, startOf(pair.key), `${label}: ${parsed.message}`);
      continue;
    }
    if (out.some((c) => c.key === parsed.requirement.key)) {
      r.node(item, startOf(pair.key), `${label}: context "${parsed.requirement.key}" is listed twice: keep one`);
      continue;
    }
    out.push(parsed.requirement);
  }
  return out;
}

function parseSla(pair: Pair | undefined, label: string, r: Reporter): HandoffSpec['sla'] {
  const sla: { acknowledgmentMs: number | null; firstOutputMs: number | null } = { acknowledgmentMs: null, firstOutputMs: null };
  if (pair === undefined || pair.value === null) return sla;
  if (!isMap(pair.value)) {
    r.node(pair.value, startOf(pair.key), `${label}: "sla" must be a mapping such as { acknowledgment: "30 minutes", first_output: "4 hours" }`);
    return sla;
  }
  for (const p of pair.value.items) {
    const key = keyName(p);
    if (key.startsWith('x-')) continue;
    if (!(SLA_KEYS as readonly string[]).includes(key)) {
      r.node(p.key, startOf(pair.value), `${label}: unknown key "${key}" in sla${didYouMean(key, SLA_KEYS)}: allowed keys are acknowledgment, first_output`);
      continue;
    }
    const raw = isScalar(p.value) ? p.value.value : undefined;
    const parsed = typeof raw === 'string' ? parseSlaDuration(raw) : typeof raw === 'number' ? parseSlaDuration(String(raw)) : { ok: false as const, reason: 'must be a duration string such as "30 minutes" or "4 hours"' };
    if (!parsed.ok) {
      r.node(p.value ?? p.key, startOf(p.key), `${label}: sla.${key} ${parsed.reason}`);
      continue;
    }
    if (key === 'first_output') sla.firstOutputMs = parsed.ms;
    else sla.acknowledgmentMs = parsed.ms;
  }
  return sla;
}

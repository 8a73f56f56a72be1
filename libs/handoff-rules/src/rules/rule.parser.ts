import { closestMatch } from '@baton/workflow-dsl';
import { isRecord } from '../text.util';
import { compileJsonSchema } from './json-schema.rule';
import type { ContextRequirement, Rule, ThresholdOp } from './rule.model';

/** Result of {@link parseRule}: the rule, or what is wrong with the text and how to write it. */
export type RuleParse = { readonly ok: true; readonly rule: Rule } | { readonly ok: false; readonly message: string };

export interface ParseRuleOptions {
  /** Names of custom rules that take arguments (`my_rule: some args`); bare identifiers need no registration. */
  readonly customRules?: Iterable<string>;
}

/** How to write a rule, appended to every "not understood" message. */
export const RULE_SYNTAX_HELP =
  'write one of: "<section>: present", "<section>: min N" (or "<section>: N"), "<item>: present for each <word>", ' +
  '"<section>: complete", "<metric> >= N%" (also >, <=, <, ==, !=), "matches: /regex/flags", "not_matches: /regex/flags", ' +
  '"schema: <registered name or inline JSON Schema>", or one identifier: no_tbd_markers, valid_json, valid_yaml, ' +
  'openapi_3.0_valid, openapi_valid, all_endpoints_documented, error_responses_defined, no_secrets, no_console_logs, ' +
  'no_ambiguous_terms, no_critical_vulnerabilities, or a flag the agent reports (tests_passing)';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*$/;
const KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const THRESHOLD = /^([A-Za-z_][A-Za-z0-9_-]*)\s*(>=|<=|==|!=|=>|=<|>|<|=)\s*(.+)$/;

/** Keywords that are syntax, not names: they cannot be registered as custom rules. */
export const RESERVED_RULE_NAMES: ReadonlySet<string> = new Set(['schema', 'matches', 'not_matches']);

type BareKind = Exclude<Rule['kind'], 'present' | 'min_count' | 'present_for_each' | 'complete' | 'threshold' | 'json_schema' | 'matches' | 'not_matches' | 'custom'>;

const BARE: Readonly<Record<string, { kind: BareKind; format?: 'json' | 'yaml'; version?: '3.0' | '3.1' | '3' }>> = {
  no_tbd_markers: { kind: 'no_tbd_markers' },
  no_tbd: { kind: 'no_tbd_markers' },
  valid_json: { kind: 'parses_as', format: 'json' },
  parses_as_json: { kind: 'parses_as', format: 'json' },
  json_valid: { kind: 'parses_as', format: 'json' },
  valid_yaml: { kind: 'parses_as', format: 'yaml' },
  parses_as_yaml: { kind: 'parses_as', format: 'yaml' },
  yaml_valid: { kind: 'parses_as', format: 'yaml' },
  openapi_valid: { kind: 'openapi_valid', version: '3' },
  openapi_3_valid: { kind: 'openapi_valid', version: '3' },
  'openapi_3.x_valid': { kind: 'openapi_valid', version: '3' },
  'openapi_3.0_valid': { kind: 'openapi_valid', version: '3.0' },
  'openapi_3.1_valid': { kind: 'openapi_valid', version: '3.1' },
  all_endpoints_documented: { kind: 'all_endpoints_documented' },
  error_responses_defined: { kind: 'error_responses_defined' },
  no_secrets: { kind: 'no_secrets' },
  no_secrets_exposed: { kind: 'no_secrets' },
  no_console_logs: { kind: 'no_console_logs' },
  no_ambiguous_terms: { kind: 'no_ambiguous_terms' },
  no_critical_vulnerabilities: { kind: 'no_critical_vulnerabilities' },
};

/** The built-in identifiers (for did-you-mean hints and docs). */
export const BUILT_IN_RULE_NAMES: readonly string[] = Object.keys(BARE);

const fail = (text: string, reason: string): RuleParse => ({ ok: false, message: `rule "${text}" is not understood: ${reason}` });

/**
 * Parses one validation rule, as a string (`"user_stories: min 3"`) or as the YAML map forms a
 * spec may use (`{ schema: { type: object } }`, or an unquoted `- user_stories: min 3`).
 * Never throws; an unknown form comes back with a message that says how to write it.
 *
 * @example parseRule('coverage >= 80%') // { ok: true, rule: { kind: 'threshold', key: 'coverage', op: '>=', value: 80, percent: true, … } }
 */
export function parseRule(input: unknown, options: ParseRuleOptions = {}): RuleParse {
  if (isRecord(input)) {
    const keys = Object.keys(input);
    if (keys.length !== 1) return { ok: false, message: `a rule written as a mapping must have exactly one key (got ${keys.length === 0 ? 'none' : keys.map((k) => `"${k}"`).join(', ')}); ${RULE_SYNTAX_HELP}` };
    const key = keys[0] as string;
    const value = input[key];
    if (key === 'schema' && isRecord(value)) return schemaRule(`schema: ${JSON.stringify(value)}`, value, null);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return parseRuleText(`${key}: ${String(value)}`, options);
    return { ok: false, message: `rule "${key}" has ${value === null ? 'no value' : 'a list or mapping as its value'}; ${RULE_SYNTAX_HELP}` };
  }
  if (typeof input === 'number' || typeof input === 'boolean') return { ok: false, message: `rule ${String(input)} is not a rule; ${RULE_SYNTAX_HELP}` };
  if (typeof input !== 'string') return { ok: false, message: `a rule must be a string (or a one-key mapping such as "schema: {…}"); ${RULE_SYNTAX_HELP}` };
  return parseRuleText(input, options);
}

function parseRuleText(raw: string, options: ParseRuleOptions): RuleParse {
  const text = raw.trim();
  if (text === '') return { ok: false, message: `a rule is empty; ${RULE_SYNTAX_HELP}` };
  const custom = new Set(options.customRules ?? []);

  const threshold = THRESHOLD.exec(text);
  if (threshold && !text.includes(':')) return thresholdRule(text, threshold);

  const colon = text.indexOf(':');
  if (colon < 0) {
    if (IDENT.test(text)) {
      const known = BARE[text];
      if (known) return { ok: true, rule: { ...known, text, name: text, args: null } as Rule };
      return { ok: true, rule: { kind: 'flag', text, name: text, args: null } };
    }
    const ident = text.replace(/[^A-Za-z0-9_.]+/g, '_').replace(/^_+|_+$/g, '');
    return fail(text, `a flag or built-in check is one identifier (letters, digits, underscore): write "${ident}"; ${RULE_SYNTAX_HELP}`);
  }

  const key = text.slice(0, colon).trim();
  const args = text.slice(colon + 1).trim();
  if (key === 'matches' || key === 'not_matches') return regexRule(text, key, args);
  if (key === 'schema') return schemaText(text, args);
  if (!KEY.test(key)) return fail(text, `"${key}" is not a section or key name (use letters, digits and underscores, e.g. "user_stories"); ${RULE_SYNTAX_HELP}`);
  if (args === '') return fail(text, `nothing follows "${key}:"; write "${key}: present", "${key}: min 3" or "${key}: complete"`);

  const base = { text, name: key, args } as const;
  if (/^present$/i.test(args)) return { ok: true, rule: { ...base, kind: 'present', key } };
  if (/^complete$/i.test(args)) return { ok: true, rule: { ...base, kind: 'complete', key } };
  const min = /^(?:(?:min(?:imum)?|at\s+least|>=)\s*)?(\d+)$/i.exec(args);
  if (min) {
    const n = Number(min[1]);
    if (n < 1) return fail(text, `a minimum count must be at least 1 (write "${key}: min 1", or "${key}: present")`);
    return { ok: true, rule: { ...base, kind: 'min_count', key, min: n } };
  }
  const each = /^present\s+(?:for|in)\s+(?:each|every|all)\s+([A-Za-z_][A-Za-z0-9_ -]*)$/i.exec(args);
  if (each) return { ok: true, rule: { ...base, kind: 'present_for_each', key, each: (each[1] ?? '').trim() } };
  if (custom.has(key)) return { ok: true, rule: { ...base, kind: 'custom' } };

  const first = args.split(/\s+/)[0] ?? '';
  let hint = '';
  if (/^present\b/i.test(args)) hint = ` (to require it in every item write "${key}: present for each <item>", e.g. "present for each story")`;
  else {
    const near = closestMatch(first.toLowerCase(), ['present', 'complete', 'min']);
    if (near !== undefined) hint = ` (did you mean "${[near, ...args.split(/\s+/).slice(1)].join(' ')}"?)`;
    else if (/^min/i.test(first)) hint = ` (write "${key}: min 3" with a whole number)`;
  }
  return fail(text, `"${args}" after "${key}:" is not a check${hint}; ${RULE_SYNTAX_HELP}`);
}

function thresholdRule(text: string, m: RegExpExecArray): RuleParse {
  const key = m[1] ?? '';
  const rawOp = m[2] ?? '';
  const rawValue = (m[3] ?? '').trim();
  const fixes: Readonly<Record<string, ThresholdOp>> = { '=>': '>=', '=<': '<=', '=': '==' };
  const fixed = fixes[rawOp];
  if (fixed !== undefined) return fail(text, `"${rawOp}" is not an operator: write "${key} ${fixed} ${rawValue}"`);
  const value = /^(-?\d+(?:\.\d+)?)\s*(%)?$/.exec(rawValue);
  if (!value) {
    const unit = /^-?\d+(?:\.\d+)?\s*([A-Za-z]+)$/.exec(rawValue);
    if (unit) return fail(text, `units other than % are not supported ("${unit[1] ?? ''}"): compare a plain number, e.g. "${key} ${rawOp} ${rawValue.replace(/[A-Za-z]+$/, '').trim()}", and report the value in that unit`);
    return fail(text, `"${rawValue}" is not a number: write e.g. "${key} ${rawOp} 80%" or "${key} ${rawOp} 0.5"`);
  }
  return { ok: true, rule: { kind: 'threshold', text, name: null, args: null, key, op: rawOp as ThresholdOp, value: Number(value[1]), percent: value[2] === '%' } };
}

function regexRule(text: string, key: 'matches' | 'not_matches', args: string): RuleParse {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(args);
  if (!m) return fail(text, `write the pattern between slashes, with optional flags: "${key}: /console\\.log/" or "${key}: /^# .+/m"`);
  const pattern = m[1] ?? '';
  const flags = m[2] ?? '';
  const bad = flags.replace(/[dgimsuvy]/g, '');
  if (bad !== '') return fail(text, `unknown regex flag "${bad}": use any of d g i m s u v y`);
  if (pattern === '') return fail(text, `the pattern is empty: write e.g. "${key}: /console\\.log/"`);
  try {
    new RegExp(pattern, flags);
  } catch (e) {
    return fail(text, `the pattern is not a valid regular expression (${e instanceof Error ? e.message : String(e)}): fix it or escape special characters with \\`);
  }
  return { ok: true, rule: { kind: key, text, name: null, args: null, pattern, flags } };
}

function schemaText(text: string, args: string): RuleParse {
  if (args.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch (e) {
      return fail(text, `the inline schema is not valid JSON (${e instanceof Error ? e.message : String(e)}): write it as a YAML mapping ("- schema: { type: object }") or as valid JSON`);
    }
    if (!isRecord(parsed)) return fail(text, 'an inline schema must be a JSON object');
    return schemaRule(text, parsed, null);
  }
  if (!KEY.test(args)) return fail(text, `"${args}" is not a schema name: write "schema: <name>" for a schema registered with registry.registerSchema(name, schema), or an inline schema mapping`);
  return { ok: true, rule: { kind: 'json_schema', text, name: null, args: null, schema: null, schemaName: args } };
}

function schemaRule(text: string, schema: Record<string, unknown>, name: string | null): RuleParse {
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) return { ok: false, message: `rule "${text}" has an invalid JSON Schema: ${compiled.reason}` };
  return { ok: true, rule: { kind: 'json_schema', text, name: null, args: null, schema, schemaName: name } };
}

/** Result of {@link parseContextRequirement}. */
export type ContextParse = { readonly ok: true; readonly requirement: ContextRequirement } | { readonly ok: false; readonly message: string };

const CONTEXT_TYPES = ['boolean', 'bool', 'array', 'list', 'string', 'number', 'any'] as const;

/**
 * Parses one `required_context` entry: `priority_level` (present and not empty),
 * `changed_files[]` (a list), `auth_changes: boolean`, `owner: string`, `budget: number`,
 * `reviewers: array`. Unquoted YAML (`- auth_changes: boolean`) arrives as a one-key mapping.
 */
export function parseContextRequirement(input: unknown): ContextParse {
  let text: string;
  if (isRecord(input) && Object.keys(input).length === 1) {
    const [k, v] = Object.entries(input)[0] as [string, unknown];
    if (typeof v !== 'string') return { ok: false, message: `context requirement "${k}" must name a type as a string ("${k}: boolean"); use one of ${CONTEXT_TYPES.join(', ')}` };
    text = `${k}: ${v}`;
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    return { ok: false, message: 'a context requirement must be a string such as "priority_level", "changed_files[]" or "auth_changes: boolean"' };
  }
  const m = /^([A-Za-z_][A-Za-z0-9_.-]*)(\[\])?\s*(?::\s*(.*))?$/.exec(text);
  if (!m) return { ok: false, message: `context requirement "${text}" is not understood: write a key ("priority_level"), a list key ("changed_files[]") or "key: type" with type boolean, array, string or number` };
  const key = m[1] ?? '';
  const list = m[2] === '[]';
  const typeText = m[3]?.trim().toLowerCase();
  if (typeText === undefined || typeText === '') {
    if (m[3] !== undefined) return { ok: false, message: `context requirement "${text}" has nothing after the colon: write "${key}: boolean" (or array, string, number), or just "${key}"` };
    return { ok: true, requirement: { key, type: list ? 'array' : 'any', text } };
  }
  if (!(CONTEXT_TYPES as readonly string[]).includes(typeText)) {
    const near = closestMatch(typeText, CONTEXT_TYPES);
    return { ok: false, message: `context requirement "${text}" has unknown type "${typeText}"${near === undefined ? '' : ` (did you mean "${near}"?)`}: use boolean, array, string or number` };
  }
  const type = typeText === 'list' ? 'array' : typeText === 'bool' ? 'boolean' : (typeText as ContextRequirement['type']);
  if (list && type !== 'array') return { ok: false, message: `context requirement "${text}" says both a list ([]) and ${type}: write "${key}[]" or "${key}: ${type}"` };
  return { ok: true, requirement: { key, type, text } };
}

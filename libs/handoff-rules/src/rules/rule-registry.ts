import type { ArtifactContent, HandoffInput } from '../artifact';
import { RuleRegistrationError } from '../handoff.errors';
import { isRecord } from '../text.util';
import { compileJsonSchema } from './json-schema.rule';
import { RESERVED_RULE_NAMES } from './rule.parser';

/** What a custom rule is given. */
export interface CustomRuleContext {
  /** The artifact the rule is attached to, or null for a quality gate / criterion. */
  readonly artifact: ArtifactContent | null;
  /** The whole handoff: every artifact, the context and the reported outputs. */
  readonly input: HandoffInput;
  /** Text after `name:` (`my_rule: 3 reviewers` → `3 reviewers`), or null for a bare `my_rule`. */
  readonly args: string | null;
  /** The rule as written. */
  readonly ruleText: string;
}

/** A custom rule's verdict. `message` should say what is wrong and how to fix it. */
export type CustomRuleResult = { readonly ok: true } | { readonly ok: false; readonly message: string; readonly missing?: readonly string[] };

/** A custom rule: pure, synchronous, and it should not throw (a throw is reported as a failure). */
export type CustomRule = (ctx: CustomRuleContext) => CustomRuleResult;

const NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*$/;

/**
 * Custom rules and named JSON Schemas the evaluator may use. A custom rule registered under a
 * name takes the place of any built-in check or reported flag of that name, wherever the name
 * appears as a rule (`tests_passing`, or `my_rule: args`).
 *
 * @example
 * const registry = createDefaultRegistry()
 *   .register('has_owner', ({ input }) => (typeof input.context['owner'] === 'string' ? { ok: true } : { ok: false, message: 'no owner: pass context.owner' }))
 *   .registerSchema('ticket', { type: 'object', required: ['id', 'estimate'] });
 */
export class RuleRegistry {
  private readonly rules = new Map<string, CustomRule>();
  private readonly schemas = new Map<string, Readonly<Record<string, unknown>>>();

  /** Adds a custom rule. Throws (code DUPLICATE) when the name is taken, VALIDATION_FAILED when it is not an identifier. */
  register(name: string, rule: CustomRule): this {
    if (!NAME.test(name)) throw new RuleRegistrationError('VALIDATION_FAILED', `custom rule name "${name}" is not an identifier: use letters, digits and underscores (e.g. "auth_review_passed")`, { name });
    if (RESERVED_RULE_NAMES.has(name)) throw new RuleRegistrationError('VALIDATION_FAILED', `"${name}" is rule syntax and cannot be a custom rule name: pick another name`, { name });
    if (typeof rule !== 'function') throw new RuleRegistrationError('VALIDATION_FAILED', `custom rule "${name}" must be a function (ctx) => { ok: true } | { ok: false, message }`, { name });
    if (this.rules.has(name)) throw new RuleRegistrationError('DUPLICATE', `custom rule "${name}" is already registered: register each name once (use a new name or a new registry)`, { name });
    this.rules.set(name, rule);
    return this;
  }

  /** Adds a JSON Schema (draft 2020-12) that rules can name with `schema: <name>`. Throws when the name is taken or the schema does not compile. */
  registerSchema(name: string, schema: Readonly<Record<string, unknown>>): this {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name)) throw new RuleRegistrationError('VALIDATION_FAILED', `schema name "${name}" is not an identifier: use letters, digits, underscores and dashes`, { name });
    if (!isRecord(schema)) throw new RuleRegistrationError('VALIDATION_FAILED', `schema "${name}" must be a JSON Schema object`, { name });
    if (this.schemas.has(name)) throw new RuleRegistrationError('DUPLICATE', `schema "${name}" is already registered: register each name once`, { name });
    const compiled = compileJsonSchema(schema);
    if (!compiled.ok) throw new RuleRegistrationError('VALIDATION_FAILED', `schema "${name}" is not a valid JSON Schema: ${compiled.reason}`, { name });
    this.schemas.set(name, schema);
    return this;
  }

  /** The custom rule registered under `name`, if any. */
  rule(name: string): CustomRule | undefined {
    return this.rules.get(name);
  }

  /** The schema registered under `name`, if any. */
  schema(name: string): Readonly<Record<string, unknown>> | undefined {
    return this.schemas.get(name);
  }

  /** Names of the registered custom rules (pass them to the spec parser so `name: args` forms parse). */
  ruleNames(): string[] {
    return [...this.rules.keys()];
  }

  /** Names of the registered schemas. */
  schemaNames(): string[] {
    return [...this.schemas.keys()];
  }
}

/** A registry with no custom rules or schemas: only the built-in checks apply. */
export function createDefaultRegistry(): RuleRegistry {
  return new RuleRegistry();
}

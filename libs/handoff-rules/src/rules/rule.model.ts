/** Every kind of rule the handoff rule language knows (see examples/handoffs/README.md). */
export const RULE_KINDS = [
  'present',
  'min_count',
  'present_for_each',
  'complete',
  'no_tbd_markers',
  'threshold',
  'parses_as',
  'openapi_valid',
  'all_endpoints_documented',
  'error_responses_defined',
  'json_schema',
  'matches',
  'not_matches',
  'no_secrets',
  'no_console_logs',
  'no_ambiguous_terms',
  'no_critical_vulnerabilities',
  'flag',
  'custom',
] as const;

export type RuleKind = (typeof RULE_KINDS)[number];

export type ThresholdOp = '>=' | '>' | '<=' | '<' | '==' | '!=';

interface RuleBase {
  /** The rule as written in the spec or stage (`user_stories: min 3`). */
  readonly text: string;
  /**
   * The rule's leading identifier (`tests_passing`, `problem_statement`, `no_tbd_markers`): a
   * custom rule registered under this name takes its place. Null for thresholds, regex and schema rules.
   */
  readonly name: string | null;
  /** Text after `name:` (`min 3`), or null for a bare identifier. Passed to custom rules. */
  readonly args: string | null;
}

/** A parsed validation rule. `kind` says which check runs; the other fields are its arguments. */
export type Rule =
  /** `problem_statement: present`: the section (or JSON/YAML key) exists and is not empty. */
  | (RuleBase & { readonly kind: 'present'; readonly key: string })
  /** `user_stories: min 3` or `responsive_variants: 3`: at least `min` items. */
  | (RuleBase & { readonly kind: 'min_count'; readonly key: string; readonly min: number })
  /** `acceptance_criteria: present for each story`: every item of the `each` section has a non-empty `key`. */
  | (RuleBase & { readonly kind: 'present_for_each'; readonly key: string; readonly each: string })
  /** `component_specs: complete`: present, non-empty, and free of TBD markers. */
  | (RuleBase & { readonly kind: 'complete'; readonly key: string })
  /** `coverage >= 80%`: a reported (or written) number compared with `value`. */
  | (RuleBase & { readonly kind: 'threshold'; readonly key: string; readonly op: ThresholdOp; readonly value: number; readonly percent: boolean })
  /** `valid_json`, `parses_as_yaml`. */
  | (RuleBase & { readonly kind: 'parses_as'; readonly format: 'json' | 'yaml' })
  /** `openapi_3.0_valid` (3.0), `openapi_3.1_valid` (3.1), `openapi_3_valid` (3.x), `openapi_valid` (any 3.x). */
  | (RuleBase & { readonly kind: 'openapi_valid'; readonly version: '3.0' | '3.1' | '3' })
  /** `schema: {type: object, …}` (inline) or `schema: ticket` (registered on the RuleRegistry). */
  | (RuleBase & { readonly kind: 'json_schema'; readonly schema: Readonly<Record<string, unknown>> | null; readonly schemaName: string | null })
  /** `matches: /^# .+/m` / `not_matches: /console\.log/`. */
  | (RuleBase & { readonly kind: 'matches' | 'not_matches'; readonly pattern: string; readonly flags: string })
  /** Built-in checks and reported flags named by a bare identifier; `custom` is `name: args` for a registered rule. */
  | (RuleBase & {
      readonly kind:
        | 'no_tbd_markers'
        | 'all_endpoints_documented'
        | 'error_responses_defined'
        | 'no_secrets'
        | 'no_console_logs'
        | 'no_ambiguous_terms'
        | 'no_critical_vulnerabilities'
        | 'flag'
        | 'custom';
    });

/** One `required_context` entry: `priority_level` (any non-empty value), `changed_files[]` (a list), `auth_changes: boolean`. */
export interface ContextRequirement {
  readonly key: string;
  readonly type: 'any' | 'boolean' | 'array' | 'string' | 'number';
  /** The requirement as written. */
  readonly text: string;
}

import { isProse, parseJson, parseYaml, structuredView, type ArtifactContent } from '../artifact';
import { isRecord, plural } from '../text.util';
import { compileJsonSchema, formatSchemaErrors } from './json-schema.rule';
import { describeHits, findAmbiguousTerms, findTbdMarkers } from './markers.rule';
import { checkOperations, checkOpenApiValid, looksLikeOpenApi } from './openapi.rule';
import { CONSOLE_LOG_PATTERN, regexHits, testRegex } from './regex.rule';
import { checkFlag, checkNoCriticalVulnerabilities, checkThreshold } from './reported.rules';
import type { CustomRule } from './rule-registry';
import type { Rule } from './rule.model';
import { capList, type Problem, type RuleScope } from './rule.types';
import { findSecrets } from './secrets.rule';
import { checkSectionRule } from './section.rules';

/**
 * Runs one rule. With `scope.artifact` set it checks that artifact (a spec rule); with null it
 * checks the whole handoff (a quality gate or criterion). Returns the problems found, empty when
 * the rule holds. A custom rule registered under the rule's name runs instead of the built-in.
 */
export function checkRule(rule: Rule, scope: RuleScope): Problem[] {
  if (rule.name !== null) {
    const custom = scope.registry.rule(rule.name);
    if (custom) return runCustom(rule.name, custom, rule, scope);
  }
  const one = (p: Problem | null): Problem[] => (p === null ? [] : [p]);
  const { artifact, input } = scope;
  switch (rule.kind) {
    case 'custom':
      return [{ message: `custom rule "${rule.name ?? rule.text}" is not registered: register it with registry.register('${rule.name ?? rule.text}', rule) before evaluating`, missing: [], artifact: null }];
    case 'present':
    case 'min_count':
    case 'present_for_each':
    case 'complete':
      if (artifact !== null) return one(checkSectionRule(rule, artifact));
      return anyArtifact(rule, input.artifacts.filter((a) => a.text !== null), (a) => checkSectionRule(rule, a));
    case 'threshold':
      return one(checkThreshold(rule, artifact, input));
    case 'flag':
      return one(checkFlag(rule.text, artifact, input));
    case 'no_critical_vulnerabilities':
      return one(checkNoCriticalVulnerabilities(rule.text, artifact, input));
    case 'no_tbd_markers':
      return eachText(rule, scope, (a, text) => {
        const hits = findTbdMarkers(text);
        if (hits.length === 0) return null;
        return { message: `${a.name} has ${plural(hits.length, 'TBD marker')} (${describeHits(hits.slice(0, 5)).join(', ')}${hits.length > 5 ? ', …' : ''}): replace each with the real content or remove it`, missing: capList(describeHits(hits)) };
      });
    case 'no_ambiguous_terms':
      return eachText(rule, scope, (a, text) => {
        const hits = [...findTbdMarkers(text), ...findAmbiguousTerms(text)].sort((x, y) => x.line - y.line);
        if (hits.length === 0) return null;
        return {
          message: `${a.name} has ${plural(hits.length, 'ambiguous term')} (${describeHits(hits.slice(0, 5)).join(', ')}${hits.length > 5 ? ', …' : ''}): say exactly what is meant (list every item instead of "etc.", pick "and" or "or", state the condition instead of "if possible"/"as needed", resolve TBD/TBC)`,
          missing: capList(describeHits(hits)),
        };
      });
    case 'no_secrets':
      return eachText(rule, scope, (a, text) => {
        const hits = findSecrets(text);
        if (hits.length === 0) return null;
        const list = hits.map((h) => `line ${h.line}: ${h.kind} (${h.masked})`);
        return { message: `${a.name} exposes ${plural(hits.length, 'secret')} (${list.slice(0, 5).join(', ')}${list.length > 5 ? ', …' : ''}): remove ${hits.length === 1 ? 'it' : 'them'}, rotate the credential, and read secrets from the environment or a secret store`, missing: capList(list) };
      });
    case 'no_console_logs':
      return eachText(rule, scope, (a, text) => notMatching(a, text, CONSOLE_LOG_PATTERN, '', 'console.log/console.debug call'), isCode);
    case 'not_matches':
      return eachText(rule, scope, (a, text) => notMatching(a, text, rule.pattern, rule.flags, `match of /${rule.pattern}/${rule.flags}`));
    case 'matches':
      if (artifact !== null) {
        if (artifact.text === null) return [binary(artifact, rule)];
        return testRegex(artifact.text, rule.pattern, rule.flags) ? [] : [{ message: `${artifact.name} does not match /${rule.pattern}/${rule.flags}: change it so it does`, missing: [`text matching /${rule.pattern}/${rule.flags}`] }];
      }
      return anyArtifact(rule, input.artifacts.filter((a) => a.text !== null), (a) =>
        testRegex(a.text ?? '', rule.pattern, rule.flags) ? null : { message: `no artifact matches /${rule.pattern}/${rule.flags}: hand over one that does`, missing: [`text matching /${rule.pattern}/${rule.flags}`], artifact: null },
      );
    case 'parses_as':
      return eachOf(rule, scope, (a) => (rule.format === 'json' ? /json/i.test(a.mediaType) || /\.json$|\[\]$/i.test(a.name) : /ya?ml/i.test(a.mediaType) || /\.ya?ml$/i.test(a.name)), `no ${rule.format === 'json' ? 'JSON' : 'YAML'} artifact was handed over: hand over the ${rule.format === 'json' ? '.json' : '.yaml'} file "${rule.text}" should check`, (a) => {
        if (a.text === null) return binary(a, rule);
        const parsed = rule.format === 'json' ? parseJson(a.text) : parseYaml(a.text);
        return parsed.ok ? null : { message: `${a.name} ${parsed.reason}: fix the syntax`, missing: [`valid ${rule.format === 'json' ? 'JSON' : 'YAML'} in ${a.name}`] };
      });
    case 'openapi_valid':
      return eachOf(rule, scope, looksLikeOpenApi, NO_OPENAPI, (a) => checkOpenApiValid(rule, a));
    case 'all_endpoints_documented':
    case 'error_responses_defined':
      return eachOf(rule, scope, looksLikeOpenApi, NO_OPENAPI, (a) => checkOperations(rule.kind as 'all_endpoints_documented' | 'error_responses_defined', a));
    case 'json_schema':
      return checkSchemaRule(rule, scope);
  }
}

const NO_OPENAPI = 'no OpenAPI document was handed over: hand over the API spec as a .yaml, .yml or .json artifact with an "openapi" field (e.g. api_spec.yaml)';

function binary(a: ArtifactContent, rule: Rule): Problem {
  return { message: `${a.name} is binary, but "${rule.text}" reads text: hand it over as UTF-8 text`, missing: [a.name], artifact: a.name };
}

function isCode(a: ArtifactContent): boolean {
  return a.text !== null && !/markdown/i.test(a.mediaType) && !/\.(md|markdown)$/i.test(a.name);
}

function notMatching(a: ArtifactContent, text: string, pattern: string, flags: string, what: string): Problem | null {
  const hits = regexHits(text, pattern, flags);
  if (hits.length === 0) return null;
  return { message: `${a.name} has ${plural(hits.length, `line with a ${what}`, `lines with a ${what}`)} (${describeHits(hits.slice(0, 3)).join(', ')}${hits.length > 3 ? ', …' : ''}): remove ${hits.length === 1 ? 'it' : 'them'}`, missing: capList(describeHits(hits)) };
}

/** Text rules: the rule's artifact, or (gates) every text artifact passing `filter`; none to check passes. */
function eachText(rule: Rule, scope: RuleScope, check: (a: ArtifactContent, text: string) => Problem | null, filter: (a: ArtifactContent) => boolean = () => true): Problem[] {
  if (scope.artifact !== null) {
    const text = scope.artifact.text;
    if (text === null) return [binary(scope.artifact, rule)];
    const p = check(scope.artifact, text);
    return p === null ? [] : [p];
  }
  const out: Problem[] = [];
  for (const a of scope.input.artifacts) {
    if (a.text === null || !filter(a)) continue;
    const p = check(a, a.text);
    if (p !== null) out.push({ ...p, artifact: a.name });
  }
  return out;
}

/** Document rules: the rule's artifact, or (gates) every artifact passing `applies`; none to check fails with `none`. */
function eachOf(rule: Rule, scope: RuleScope, applies: (a: ArtifactContent) => boolean, none: string, check: (a: ArtifactContent) => Problem | null): Problem[] {
  if (scope.artifact !== null) {
    const p = check(scope.artifact);
    return p === null ? [] : [p];
  }
  const targets = scope.input.artifacts.filter(applies);
  if (targets.length === 0) return [{ message: none, missing: [rule.kind === 'parses_as' ? `a ${rule.format === 'json' ? 'JSON' : 'YAML'} artifact` : 'an OpenAPI document'], artifact: null }];
  const out: Problem[] = [];
  for (const a of targets) {
    const p = check(a);
    if (p !== null) out.push({ ...p, artifact: a.name });
  }
  return out;
}

/** Section rules as gates: they hold when any artifact satisfies them (prose first for the report). */
function anyArtifact(rule: Rule, candidates: readonly ArtifactContent[], check: (a: ArtifactContent) => Problem | null): Problem[] {
  if (candidates.length === 0) return [{ message: `no text artifact was handed over to check "${rule.text}" against: hand over the document it describes`, missing: ['a document to check'], artifact: null }];
  const ordered = [...candidates.filter(isProse), ...candidates.filter((a) => !isProse(a))];
  let first: Problem | null = null;
  let firstName: string | null = null;
  for (const a of ordered) {
    const p = check(a);
    if (p === null) return [];
    if (first === null) {
      first = p;
      firstName = a.name;
    }
  }
  return first === null ? [] : [{ ...first, artifact: first.artifact === undefined ? firstName : first.artifact }];
}

function checkSchemaRule(rule: Extract<Rule, { kind: 'json_schema' }>, scope: RuleScope): Problem[] {
  let schema = rule.schema;
  if (schema === null) {
    const name = rule.schemaName ?? '';
    schema = scope.registry.schema(name) ?? null;
    if (schema === null) {
      const known = scope.registry.schemaNames();
      return [{ message: `schema "${name}" is not registered: register it with registry.registerSchema('${name}', jsonSchema)${known.length > 0 ? ` (registered: ${known.join(', ')})` : ''}, or write the schema inline`, missing: [`schema "${name}"`], artifact: null }];
    }
  }
  const compiled = compileJsonSchema(schema);
  if (!compiled.ok) return [{ message: `the schema in "${rule.text}" is not valid: ${compiled.reason}`, missing: [], artifact: null }];
  const validate = compiled.validate;
  const isStructured = (a: ArtifactContent): boolean => structuredView(a) !== null;
  return eachOf(rule, scope, isStructured, `no JSON or YAML artifact was handed over to check "${rule.text}" against: hand over the document as .json or .yaml`, (a) => {
    const view = structuredView(a);
    if (a.text === null) return binary(a, rule);
    if (view === null) return { message: `${a.name} is not JSON or YAML (media type ${a.mediaType}), so its schema cannot be checked: hand it over as .json or .yaml`, missing: [`${a.name} as JSON or YAML`] };
    if (!view.ok) return { message: `${a.name} ${view.reason}: fix the syntax`, missing: [] };
    if (validate(view.value)) return null;
    const errors = formatSchemaErrors(validate.errors);
    return { message: `${a.name} does not match the schema (${plural(errors.length, 'error')}): ${errors.slice(0, 3).join('; ')}${errors.length > 3 ? '; …' : ''}: fix each listed field`, missing: errors };
  });
}

function runCustom(name: string, rule: CustomRule, parsed: Rule, scope: RuleScope): Problem[] {
  let result: unknown;
  try {
    result = rule({ artifact: scope.artifact, input: scope.input, args: parsed.args, ruleText: parsed.text });
  } catch (e) {
    return [{ message: `custom rule "${name}" threw (${e instanceof Error ? e.message : String(e)}): make it return { ok: false, message } instead of throwing`, missing: [] }];
  }
  if (!isRecord(result) || typeof result['ok'] !== 'boolean') {
    return [{ message: `custom rule "${name}" returned ${JSON.stringify(result) ?? String(result)}: it must return { ok: true } or { ok: false, message, missing? }`, missing: [] }];
  }
  if (result['ok']) return [];
  const message = typeof result['message'] === 'string' && result['message'].trim() !== '' ? result['message'] : `custom rule "${name}" failed without saying why: return { ok: false, message } with a message that says what to fix`;
  const missing = Array.isArray(result['missing']) ? result['missing'].map((m) => String(m)) : [];
  return [{ message, missing }];
}

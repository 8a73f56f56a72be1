import { BatonError } from '@baton/contracts';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { ErrorObject } from 'ajv';
import { structuredView, type ArtifactContent } from '../artifact';
import { isRecord, plural } from '../text.util';
import type { Rule } from './rule.model';
import { capList, type Problem } from './rule.types';

type SchemaCheck = ((spec: unknown) => boolean) & { errors?: ErrorObject[] | null };

/**
 * The validator's public `validate()` is async (it may read files), but rules are synchronous.
 * Given an object it only runs the compiled JSON Schema for the document's version, which the
 * pinned 2.11.0 exposes as `getAjvValidator(version)`; we call that directly and check local
 * `$ref`s ourselves. One instance caches the compiled schemas for the process.
 */
let validator: { getAjvValidator(version: string): SchemaCheck } | null = null;

function schemaFor(version: string): SchemaCheck {
  if (validator === null) {
    const instance = new Validator() as unknown as { getAjvValidator?: unknown };
    if (typeof instance.getAjvValidator !== 'function') {
      throw new BatonError('INTERNAL', '@seriousme/openapi-schema-validator no longer exposes getAjvValidator(version): pin version 2.11.0 or update libs/handoff-rules/src/rules/openapi.rule.ts');
    }
    validator = instance as { getAjvValidator(version: string): SchemaCheck };
  }
  return validator.getAjvValidator(version);
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A parsed OpenAPI document, or why the artifact is not one. */
type Loaded = { readonly ok: true; readonly doc: Record<string, unknown> } | { readonly ok: false; readonly problem: Problem };

function load(artifact: ArtifactContent): Loaded {
  const view = structuredView(artifact);
  const fail = (message: string, missing: string[] = []): Loaded => ({ ok: false, problem: { message, missing } });
  if (artifact.text === null) return fail(`${artifact.name} is binary: hand the OpenAPI document over as YAML or JSON text`);
  if (view === null) return fail(`${artifact.name} is not a YAML or JSON document (media type ${artifact.mediaType}): hand the OpenAPI document over as .yaml or .json`);
  if (!view.ok) return fail(`${artifact.name} ${view.reason}: fix the syntax of the OpenAPI document`);
  if (!isRecord(view.value)) return fail(`${artifact.name} is not a mapping: an OpenAPI document starts with "openapi: 3.0.3", "info" and "paths"`);
  return { ok: true, doc: view.value };
}

/** True when the artifact looks like an OpenAPI document (gates apply OpenAPI rules to these). */
export function looksLikeOpenApi(artifact: ArtifactContent): boolean {
  if (!/\.(ya?ml|json)$/i.test(artifact.name) || artifact.text === null) return false;
  const view = structuredView(artifact);
  if (view?.ok) return isRecord(view.value) && ('openapi' in view.value || 'swagger' in view.value);
  return /^\s*["']?(openapi|swagger)["']?\s*:/m.test(artifact.text);
}

/** Local `$ref`s that do not resolve, and external ones (which are not followed). */
function badRefs(doc: Record<string, unknown>): string[] {
  const out: string[] = [];
  const resolve = (ref: string): boolean => {
    let node: unknown = doc;
    for (const raw of ref.slice(2).split('/')) {
      const part = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(node)) node = node[Number(part)];
      else if (isRecord(node) && Object.hasOwn(node, part)) node = node[part];
      else return false;
    }
    return node !== undefined;
  };
  const walk = (node: unknown, path: string): void => {
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, `${path}/${i}`));
    else if (isRecord(node)) {
      for (const [k, v] of Object.entries(node)) {
        const here = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
        if (k === '$ref' && typeof v === 'string') {
          if (v === '#' || (v.startsWith('#/') && resolve(v))) continue;
          out.push(v.startsWith('#') ? `${path || '/'} $ref "${v}" does not resolve: define the target or fix the pointer` : `${path || '/'} $ref "${v}" is external: inline it into the document`);
        } else walk(v, here);
      }
    }
  };
  walk(doc, '');
  return out;
}

function schemaErrors(errors: readonly ErrorObject[]): string[] {
  // Failed oneOf/anyOf alternatives (e.g. "must have required property '$ref'") are noise when a
  // more specific error exists.
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if', 'then', 'else', 'not'].includes(e.keyword) && !(e.keyword === 'required' && (e.params as { missingProperty?: string }).missingProperty === '$ref'));
  const list = specific.length > 0 ? specific : errors;
  const lines: string[] = [];
  for (const e of list) {
    const param =
      e.keyword === 'additionalProperties'
        ? ` ("${String((e.params as { additionalProperty?: unknown }).additionalProperty)}")`
        : e.keyword === 'enum'
          ? ` (one of ${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})`
          : '';
    const line = `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}${param}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

/** `openapi_3.0_valid` and friends: the document validates against the OpenAPI schema for its version, and its local `$ref`s resolve. */
export function checkOpenApiValid(rule: Extract<Rule, { kind: 'openapi_valid' }>, artifact: ArtifactContent): Problem | null {
  const loaded = load(artifact);
  if (!loaded.ok) return loaded.problem;
  const { doc } = loaded;
  const wanted = rule.version === '3' ? '3.x' : `${rule.version}.x`;
  const declared = doc['openapi'];
  if (declared === undefined) {
    if (typeof doc['swagger'] === 'string') return { message: `${artifact.name} is Swagger ${doc['swagger']}; this rule requires OpenAPI ${wanted}: convert it to OpenAPI 3 ("openapi: 3.0.3")`, missing: [`openapi: ${rule.version === '3.1' ? '3.1.0' : '3.0.3'}`] };
    return { message: `${artifact.name} has no "openapi" field: start the document with "openapi: ${rule.version === '3.1' ? '3.1.0' : '3.0.3'}"`, missing: ['openapi version field'] };
  }
  const version = typeof declared === 'string' ? /^(\d+\.\d+)(?:\.\d+)?(?:-[\w.]+)?$/.exec(declared.trim())?.[1] : undefined;
  if (version === undefined) return { message: `${artifact.name} declares openapi ${JSON.stringify(declared)}; write the version as a quoted string such as "3.0.3"`, missing: ['openapi version as a string'] };
  const prefix = rule.version === '3' ? '3.' : `${rule.version}`;
  if (!(rule.version === '3' ? version.startsWith(prefix) : version === prefix)) {
    return { message: `${artifact.name} declares openapi "${String(declared)}"; this rule requires OpenAPI ${wanted}: set "openapi: ${rule.version === '3.1' ? '3.1.0' : '3.0.3'}" and adjust the document`, missing: [`OpenAPI ${wanted} document`] };
  }
  if (!['3.0', '3.1', '3.2'].includes(version)) return { message: `${artifact.name} declares openapi "${String(declared)}", which the validator does not know: use 3.0.x, 3.1.x or 3.2.x`, missing: [`OpenAPI ${wanted} document`] };
  const check = schemaFor(version);
  const valid = check(doc);
  const problems = valid ? [] : schemaErrors(check.errors ?? []);
  problems.push(...badRefs(doc));
  if (problems.length === 0) return null;
  return {
    message: `${artifact.name} is not a valid OpenAPI ${version} document (${plural(problems.length, 'error')}): ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}: fix each listed path`,
    missing: capList(problems, 10),
  };
}

interface Operation {
  readonly label: string;
  readonly op: Record<string, unknown>;
}

function operations(doc: Record<string, unknown>): Operation[] {
  const paths = doc['paths'];
  if (!isRecord(paths)) return [];
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (isRecord(op)) out.push({ label: `${method.toUpperCase()} ${path}`, op });
    }
  }
  return out;
}

function nonEmptyString(v: unknown): boolean {
  return typeof v === 'string' && v.trim() !== '';
}

/** `all_endpoints_documented` / `error_responses_defined` over every operation under `paths`. */
export function checkOperations(kind: 'all_endpoints_documented' | 'error_responses_defined', artifact: ArtifactContent): Problem | null {
  const loaded = load(artifact);
  if (!loaded.ok) return loaded.problem;
  const ops = operations(loaded.doc);
  if (ops.length === 0) return { message: `${artifact.name} defines no operations under "paths": document each endpoint (e.g. paths: /users: get: …)`, missing: ['operations under paths'] };
  const lacking: string[] = [];
  for (const { label, op } of ops) {
    const responses = isRecord(op['responses']) ? Object.keys(op['responses']) : [];
    if (kind === 'all_endpoints_documented') {
      const gaps: string[] = [];
      if (!nonEmptyString(op['summary']) && !nonEmptyString(op['description'])) gaps.push('no summary or description');
      if (responses.length === 0) gaps.push('no responses');
      if (gaps.length > 0) lacking.push(`${label} (${gaps.join(', ')})`);
    } else if (!responses.some((code) => /^[45](\d\d|XX)$/i.test(code) || code === 'default')) {
      lacking.push(label);
    }
  }
  if (lacking.length === 0) return null;
  const count = `${lacking.length} of ${plural(ops.length, 'operation')} in ${artifact.name}`;
  return kind === 'all_endpoints_documented'
    ? { message: `${count} ${lacking.length === 1 ? 'is' : 'are'} not documented: give each operation a summary or description and at least one response`, missing: capList(lacking) }
    : { message: `${count} define${lacking.length === 1 ? 's' : ''} no error response: add a 4xx, 5xx or "default" response to each`, missing: capList(lacking) };
}

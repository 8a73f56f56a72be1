import { matchesType } from './workflow.compiler';
import type { WorkflowDefinition } from './workflow.model';

/** Result of {@link resolveParams}: the effective parameters, or one message per problem. */
export type ResolveParamsResult =
  | { readonly ok: true; readonly params: Readonly<Record<string, unknown>> }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * The parameters a run starts with: the workflow's defaults overlaid with `supplied`, checked
 * against the declared types and `required` flags. Names the workflow does not declare are
 * passed through unchecked only when the workflow declares no parameters at all (seed 003's
 * `workflows execute … params` call does not declare them); otherwise they are errors.
 *
 * @example resolveParams(phasePlan, { existing_code: false }) // { ok: true, params: { existing_code: false, simple_crud: false, … } }
 */
export function resolveParams(def: WorkflowDefinition, supplied: Readonly<Record<string, unknown>>): ResolveParamsResult {
  const errors: string[] = [];
  const out: Record<string, unknown> = {};
  const declared = Object.keys(def.params);
  for (const [name, spec] of Object.entries(def.params)) {
    const value = name in supplied ? supplied[name] : spec.default;
    if (value === undefined) {
      if (spec.required) errors.push(`parameter "${name}" is required`);
      continue;
    }
    if (spec.type !== null && !matchesType(spec.type, value)) errors.push(`parameter "${name}" must be of type ${spec.type}`);
    out[name] = value;
  }
  for (const [name, value] of Object.entries(supplied)) {
    if (name in def.params) continue;
    if (declared.length > 0) errors.push(`workflow ${def.id} has no parameter "${name}"`);
    else out[name] = value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, params: out };
}

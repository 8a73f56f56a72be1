import { describeValue, isEmptyValue } from '../text.util';
import type { ContextRequirement } from './rule.model';
import type { Problem } from './rule.types';
import { fieldOf } from './structured.util';

const TYPE_HINT: Readonly<Record<ContextRequirement['type'], string>> = {
  any: 'a non-empty value',
  boolean: 'true or false',
  array: 'a list, empty when there are none',
  string: 'a non-empty string',
  number: 'a number',
};

/**
 * One `required_context` entry against the handoff's context: `priority_level` must be present
 * and not empty; `changed_files[]` a list; `auth_changes: boolean` true or false.
 */
export function checkContext(req: ContextRequirement, context: Readonly<Record<string, unknown>>): Problem | null {
  const field = fieldOf(context, req.key);
  const hint = TYPE_HINT[req.type];
  const missing = [`context.${req.key}${req.type === 'any' ? '' : ` (${req.type === 'array' ? 'list' : req.type})`}`];
  if (field === undefined || field.value === undefined || field.value === null) {
    return { message: `context ${req.key} is missing: pass context.${req.key} (${hint}) with the handoff`, missing };
  }
  const value = field.value;
  const ok =
    req.type === 'any'
      ? !isEmptyValue(value)
      : req.type === 'boolean'
        ? typeof value === 'boolean'
        : req.type === 'array'
          ? Array.isArray(value)
          : req.type === 'string'
            ? typeof value === 'string' && value.trim() !== ''
            : typeof value === 'number' && Number.isFinite(value);
  if (ok) return null;
  const got = describeValue(value);
  if (req.type === 'any') return { message: `context ${field.key} is empty (${got}): pass context.${req.key} with ${hint}`, missing };
  return { message: `context ${field.key} must be ${hint} (got ${got}): pass context.${req.key} as ${hint}`, missing };
}

import { ValidationError, type EscalationLadder } from '@baton/contracts';
import { parseDuration, parseWorkflow } from '@baton/workflow-dsl';

const KEYS: Readonly<Record<string, keyof EscalationLadder>> = {
  l1_after: 'l1AfterMs',
  l2_after: 'l2AfterMs',
  l3_after: 'l3AfterMs',
  stall_after: 'stallAfterMs',
  conflict_after: 'conflictEscalateMs',
};

function durationMs(key: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
  if (typeof value === 'string') {
    const parsed = parseDuration(value);
    if (parsed.ok) return parsed.ms;
    throw new ValidationError(`escalation.${key}: "${value}" ${parsed.reason}`, { key });
  }
  throw new ValidationError(`escalation.${key}: expected a duration such as "30m" or "2h", got ${JSON.stringify(value)}`, { key });
}

/**
 * The ladder overrides in a workflow's metadata, e.g.
 *
 * ```yaml
 * metadata:
 *   escalation: { l1_after: 30m, l2_after: 2h, l3_after: 4h, stall_after: 2h }
 * ```
 *
 * Undefined when the workflow has none. Throws VALIDATION_FAILED for an unknown key or a value
 * that is not a duration (a bare number is taken as milliseconds).
 */
export function ladderOverridesOf(metadata: Readonly<Record<string, unknown>>): Partial<EscalationLadder> | undefined {
  const block = metadata['escalation'];
  if (block === undefined || block === null) return undefined;
  if (typeof block !== 'object' || Array.isArray(block)) throw new ValidationError('metadata.escalation must be a map of durations');
  const out: { -readonly [K in keyof EscalationLadder]?: number } = {};
  for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
    const field = KEYS[key];
    if (field === undefined) throw new ValidationError(`metadata.escalation.${key} is not known (use ${Object.keys(KEYS).join(', ')})`, { key });
    out[field] = durationMs(key, value);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The ladder overrides of a registered workflow's YAML (see {@link ladderOverridesOf}). */
export function ladderOverridesOfYaml(yaml: string): Partial<EscalationLadder> | undefined {
  const parsed = parseWorkflow(yaml);
  if (!parsed.ok) throw new ValidationError(`workflow does not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
  return ladderOverridesOf(parsed.workflow.metadata);
}

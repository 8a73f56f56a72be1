import { parseDuration, type DurationParse } from '@baton/workflow-dsl';

/** Milliseconds, or why the text is not a duration. */
export type DurationResult = DurationParse;

/**
 * Parses an SLA duration as the seeds write them (`"30 minutes"`, `"4 hours"`, `"1h30m"`,
 * `"PT4H"`): the workflow language's duration parser, so a duration means the same in a
 * workflow and in a handoff spec.
 *
 * @example parseSlaDuration('4 hours') // { ok: true, ms: 14_400_000 }
 */
export function parseSlaDuration(text: string): DurationResult {
  return parseDuration(text);
}

import type { ArtifactContent, HandoffInput } from '../artifact';
import type { RuleRegistry } from './rule-registry';

/** One rule that did not hold, before it is stamped with source/spec/rule into a RuleFailure. */
export interface Problem {
  /** What is wrong and how to fix it. */
  readonly message: string;
  /** The missing items, one per entry. */
  readonly missing: readonly string[];
  /** The artifact the problem is in, when the rule ran over several (gates). Undefined: the rule's own artifact. */
  readonly artifact?: string | null;
}

/** What a rule runs against: one artifact (a spec rule) or, when `artifact` is null, the whole handoff (a gate). */
export interface RuleScope {
  readonly artifact: ArtifactContent | null;
  readonly input: HandoffInput;
  readonly registry: RuleRegistry;
}

/** At most `max` entries, with a last one saying how many were left out. */
export function capList(items: readonly string[], max = 20): string[] {
  return items.length > max ? [...items.slice(0, max), `…and ${items.length - max} more`] : [...items];
}

import type { HandoffSla } from '@baton/contracts';
import type { HandoffCatalog } from '@baton/handoff-rules';

/**
 * The handoff specs that apply to a task of `fromAgentId`: the spec lists it in `from`, and
 * either names one of the next stages' agents in `to` or requires an artifact the stage
 * declares (seed 000's PM → Architect handoff carries the PRD although a research stage sits
 * between them).
 */
export function applicableSpecs(catalog: HandoffCatalog, fromAgentId: string, toAgentIds: readonly string[], declared: readonly string[] | null): string[] {
  const names = new Set((declared ?? []).map((n) => n.toLowerCase()));
  return catalog.specs
    .filter((spec) => spec.from.includes(fromAgentId))
    .filter((spec) => spec.to.some((t) => toAgentIds.includes(t)) || spec.artifacts.some((a) => names.has(a.name.toLowerCase())))
    .map((spec) => spec.id);
}

/** The tightest SLAs of the specs from one of `fromAgentIds` to `toAgentId`, or null when none has any. */
export function receivedHandoffSla(catalog: HandoffCatalog, toAgentId: string, fromAgentIds: readonly string[]): HandoffSla | null {
  const specs = catalog.specs.filter((spec) => spec.to.includes(toAgentId) && spec.from.some((f) => fromAgentIds.includes(f)));
  const min = (values: (number | null)[]): number | null => values.reduce<number | null>((m, v) => (v === null ? m : m === null ? v : Math.min(m, v)), null);
  const acknowledgmentMs = min(specs.map((s) => s.sla.acknowledgmentMs));
  const firstOutputMs = min(specs.map((s) => s.sla.firstOutputMs));
  if (acknowledgmentMs === null && firstOutputMs === null) return null;
  return { specIds: specs.map((s) => s.id), acknowledgmentMs, firstOutputMs };
}

import { HandoffSpecError } from './handoff.errors';
import type { HandoffSpec } from './handoff-spec';

/** Who is handing over to whom, for {@link HandoffCatalog.matching}. */
export interface HandoffParties {
  readonly fromAgentId: string;
  /** The receiving agents; empty means "any receiver". */
  readonly toAgentIds: readonly string[];
}

/**
 * The loaded handoff specs, by id. Build one from parsed specs (tests) or with
 * {@link loadHandoffCatalog} (a directory of YAML files). Ids are unique.
 *
 * @example
 * const catalog = new HandoffCatalog([parseHandoffSpec(text, 'ho.yaml')]);
 * catalog.matching({ fromAgentId: 'MCT-PM-001', toAgentIds: ['MCT-ARCH-001'] }); // [HO-PM-ARCH]
 */
export class HandoffCatalog {
  readonly specs: readonly HandoffSpec[];
  private readonly byId: ReadonlyMap<string, HandoffSpec>;

  /** Throws a {@link HandoffSpecError} when two specs share an id, naming both files. */
  constructor(specs: readonly HandoffSpec[]) {
    const byId = new Map<string, HandoffSpec>();
    const errors = [];
    for (const spec of specs) {
      const other = byId.get(spec.id);
      if (other !== undefined) {
        errors.push({ file: spec.source, line: 1, column: 1, message: `handoff id "${spec.id}" is defined in both ${other.source} and ${spec.source}: rename one of them (ids must be unique)`, text: spec.id });
        continue;
      }
      byId.set(spec.id, spec);
    }
    if (errors.length > 0) throw new HandoffSpecError(errors);
    this.specs = [...specs];
    this.byId = byId;
  }

  /** The spec with this id, or undefined. */
  get(id: string): HandoffSpec | undefined {
    return this.byId.get(id);
  }

  /**
   * Specs that apply to a handoff: `from` contains the sending agent, and (when receivers are
   * given) `to` names at least one of them. In catalog order.
   */
  matching(parties: HandoffParties): HandoffSpec[] {
    return this.specs.filter((s) => s.from.includes(parties.fromAgentId) && (parties.toAgentIds.length === 0 || s.to.some((t) => parties.toAgentIds.includes(t))));
  }
}

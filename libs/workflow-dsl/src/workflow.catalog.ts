import { WorkflowVersionConflictError } from './workflow.errors';
import type { WorkflowDefinition } from './workflow.model';

/** Outcome of {@link WorkflowCatalog.register}: a catalog with the definition, and whether it was new. */
export interface RegisterResult {
  readonly catalog: WorkflowCatalog;
  readonly added: boolean;
}

/**
 * Immutable, in-memory set of workflow versions per workflow id. Registering the same content again
 * is a no-op; reusing a version number for different content is a CONFLICT. "Latest" is the
 * highest semantic version (pre-releases below releases; build metadata ignored, then the most
 * recently registered wins).
 *
 * @example
 * let catalog = WorkflowCatalog.empty();
 * catalog = catalog.register(featureV1).catalog;
 * catalog.get('WF-FEAT-001');          // latest
 * catalog.get('WF-FEAT-001', '1.0.0'); // pinned
 */
export class WorkflowCatalog {
  private constructor(private readonly byId: ReadonlyMap<string, readonly WorkflowDefinition[]>) {}

  /** A catalog with no workflows. */
  static empty(): WorkflowCatalog {
    return new WorkflowCatalog(new Map());
  }

  /**
   * A catalog that also holds `def`.
   * @throws WorkflowVersionConflictError (code CONFLICT) when `def.version` is registered with another hash.
   */
  register(def: WorkflowDefinition): RegisterResult {
    const versions = this.byId.get(def.id) ?? [];
    const same = versions.find((v) => v.version === def.version);
    if (same !== undefined) {
      if (same.hash !== def.hash) throw new WorkflowVersionConflictError(def.id, def.version, same.hash, def.hash);
      return { catalog: this, added: false };
    }
    const next = new Map(this.byId);
    next.set(def.id, [...versions, def]);
    return { catalog: new WorkflowCatalog(next), added: true };
  }

  /** The latest version of a workflow, or the pinned `version`; undefined when absent. */
  get(id: string, version?: string): WorkflowDefinition | undefined {
    const versions = this.byId.get(id);
    if (versions === undefined || versions.length === 0) return undefined;
    if (version !== undefined) return versions.find((v) => v.version === version);
    return versions.reduce((best, v) => (compareVersions(v.version, best.version) >= 0 ? v : best));
  }

  /** Every version registered for `id`, oldest first. */
  versions(id: string): readonly string[] {
    return (this.byId.get(id) ?? []).map((v) => v.version);
  }

  /** Ids of all workflows in the catalog, sorted. */
  ids(): readonly string[] {
    return [...this.byId.keys()].sort();
  }
}

/** Semver-style precedence (`1.10.0` > `1.9.0`, `1.0.0-rc.1` < `1.0.0`); non-numeric parts compare as text. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const [core = '', pre] = v.split('+')[0]?.split(/-(.*)/s) ?? [''];
    return { core: core.split('.'), pre: pre === undefined || pre === '' ? null : pre.split('.') };
  };
  const cmpParts = (x: readonly string[], y: readonly string[]): number => {
    for (let i = 0; i < Math.max(x.length, y.length); i++) {
      const p = x[i];
      const q = y[i];
      if (p === undefined) return -1;
      if (q === undefined) return 1;
      const pn = /^\d+$/.test(p);
      const qn = /^\d+$/.test(q);
      const c = pn && qn ? Number(p) - Number(q) : pn ? -1 : qn ? 1 : p.localeCompare(q);
      if (c !== 0) return Math.sign(c);
    }
    return 0;
  };
  const va = split(a);
  const vb = split(b);
  const core = cmpParts(va.core, vb.core);
  if (core !== 0) return core;
  if (va.pre === null || vb.pre === null) return va.pre === vb.pre ? 0 : va.pre === null ? 1 : -1;
  return cmpParts(va.pre, vb.pre);
}

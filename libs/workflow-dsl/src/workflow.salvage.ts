import { closestMatch } from './did-you-mean.util';

/** A path into the YAML document. */
export type Path = readonly (string | number)[];

// A schema error must not stop the semantic checks: the value it names is set aside (deleted, or
// replaced by a placeholder the schema accepts) so the rest of the document can still be compiled,
// and the compiler asks this record which parts it cannot trust, so that it neither reports the same
// mistake twice nor reports what only follows from a value it never saw.

/** Placeholder text for a required string the schema had to set aside; never shown to users. */
const HOLE = '\u0000';

/** Placeholders for required keys that are not plain text. */
const REQUIRED_FILL: Readonly<Record<string, unknown>> = { workflow: {}, max_attempts: 1, min: 1, type: 'manual' };

/** Placeholders for list items, by the key of the list (other lists hold text). */
const ITEM_FILL: Readonly<Record<string, () => unknown>> = {
  stages: () => ({}),
  steps: () => ({}),
  then: () => ({}),
  on_failure: () => ({}),
  parallel_agents: () => ({ agent: HOLE, action: HOLE }),
  parallel: () => ({ agent: HOLE, action: HOLE }),
};

/** One value to set aside: `missing` when the schema wants a key that is not there. */
export interface SetAsideRequest {
  readonly path: Path;
  readonly missing: boolean;
}

/** The values a schema pass set aside, and the questions the compiler asks about them. */
export class SetAside {
  private readonly paths: Path[] = [];

  /** Sets aside the value at `request.path` inside `root` (mutated): list items and required keys get a placeholder, other keys are deleted. */
  apply(root: unknown, request: SetAsideRequest): void {
    const { path } = request;
    if (path.length === 0) return;
    this.paths.push(path);
    const parent = path.slice(0, -1).reduce<unknown>((node, seg) => (node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined), root);
    if (parent === null || typeof parent !== 'object') return;
    const key = path[path.length - 1] as string | number;
    if (Array.isArray(parent) && typeof key === 'number') {
      const listKey = path[path.length - 2];
      parent[key] = typeof listKey === 'string' && ITEM_FILL[listKey] !== undefined ? ITEM_FILL[listKey]() : HOLE;
      return;
    }
    const obj = parent as Record<string | number, unknown>;
    if (request.missing) obj[key] = typeof key === 'string' && key in REQUIRED_FILL ? structuredClone(REQUIRED_FILL[key]) : HOLE;
    else delete obj[key];
  }

  /** Nothing was set aside. */
  get empty(): boolean {
    return this.paths.length === 0;
  }

  /** Every path set aside, in the order they were. */
  list(): readonly Path[] {
    return this.paths;
  }

  /** The value at `path`, or a value containing it, was set aside: its content is unknown. */
  gone(path: Path): boolean {
    return this.paths.some((p) => isPrefix(p, path));
  }

  /** Something at or below `path` was set aside. */
  touched(path: Path): boolean {
    return this.paths.some((p) => isPrefix(p, path) || isPrefix(path, p));
  }

  /**
   * The key `key` of the mapping at `path` may have been written but set aside: its value was, or
   * a misspelled key close to it was (`nxet` for `next`).
   */
  maybeMeant(path: Path, key: string): boolean {
    return this.paths.some((p) => {
      if (isPrefix(p, path)) return true;
      if (p.length <= path.length || !isPrefix(path, p)) return false;
      const child = p[path.length];
      return child === key || (typeof child === 'string' && p.length === path.length + 1 && closestMatch(child, [key]) === key);
    });
  }
}

function isPrefix(prefix: Path, path: Path): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => String(seg) === String(path[i]));
}

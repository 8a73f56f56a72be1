/**
 * A map that keeps what was used last: at most `maxEntries` entries and, with a `weigh`
 * function, at most `maxWeight` in total; the least recently read or written go first. For the
 * validator's in-process memories (addresses known to be stored, artifacts already read), which
 * must stay bounded however many handoffs pass.
 *
 * @example
 * const known = new RecentMap<string, number>({ maxEntries: 10_000 });
 * known.set('sha256:…', 35);
 * known.get('sha256:…'); // 35, now the most recent
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, V>();
  private weight = 0;

  constructor(private readonly options: { readonly maxEntries: number; readonly maxWeight?: number; readonly weigh?: (value: V) => number }) {}

  get size(): number {
    return this.entries.size;
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Sets the value (the most recently used), then drops the oldest entries beyond the bounds. A value heavier than `maxWeight` is not kept. */
  set(key: K, value: V): void {
    this.delete(key);
    const w = this.weightOf(value);
    if (this.options.maxEntries <= 0 || (this.options.maxWeight !== undefined && w > this.options.maxWeight)) return;
    this.entries.set(key, value);
    this.weight += w;
    while (this.entries.size > this.options.maxEntries || (this.options.maxWeight !== undefined && this.weight > this.options.maxWeight)) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): void {
    const value = this.entries.get(key);
    if (value === undefined) return;
    this.entries.delete(key);
    this.weight -= this.weightOf(value);
  }

  private weightOf(value: V): number {
    return this.options.weigh?.(value) ?? 0;
  }
}

import type { MessagingLogger } from '@baton/messaging';
import type { Kysely } from 'kysely';
import type { ConflictRunner } from '../app/runners';
import { holdsOf, overlapsAny, readConstraints, type ConflictFinding, type HoldCandidate } from '../domain/conflict';
import { constrainedQueued, inFlightFiles, liveWorkItemTasks, taskStatuses } from '../read-model/conflict.queries';
import { withConflictTables, type ConflictDatabase } from '../read-model/conflict.tables';
import type { SchedulerDatabase } from '../read-model/scheduler.tables';

export interface ConflictGuardOptions {
  readonly db: Kysely<SchedulerDatabase>;
  readonly conflicts: ConflictRunner;
  /** True while this process holds the dispatcher lease; checked before every append. */
  readonly isLeader: () => boolean;
  readonly logger: MessagingLogger;
  /** Most held tasks the dispatcher reads past in its next head query. Default 1000. */
  readonly maxHeld?: number;
}

/** What one dispatch pass may plan, and the in-pass file check. */
export interface Admission<T> {
  /** The waiting tasks nothing holds back, in queue order. */
  readonly queue: T[];
  /**
   * Asked right before a planned task is assigned: false when its files overlap those of a task
   * assigned earlier in the same pass (which the read model does not show in flight yet); the
   * next pass then holds it and records the conflict.
   */
  take(taskId: string): boolean;
}

const SCHEDULER = { kind: 'service', id: 'scheduler' } as const;
/** Conflict ids remembered as recorded; past this the memory starts over (re-detection is a no-op, it only costs a read). */
const MAX_REMEMBERED = 10_000;

/**
 * The dispatcher's conflict check: of the waiting tasks at the head of the queue, it holds back
 * those with a conflict (`holdsOf`, pure: dependencies not all completed, an earlier live task of
 * the same work item, files overlapping an in-flight task's) and records each conflict the first
 * time it sees it (`ConflictDetected`, deterministic id, so a later pass or another leader records
 * nothing more). The conflict manager resolves it once the task is assigned.
 *
 * Cheap when nothing declares constraints: one indexed query (a partial index holds only waiting
 * tasks that declare `files`, `dependsOn` or a work item id) and no more; the dependency, work
 * item and in-flight-files queries run only for what the head's tasks declare.
 */
export class ConflictGuard {
  readonly #o: ConflictGuardOptions;
  readonly #db: Kysely<ConflictDatabase>;
  readonly #recorded = new Set<string>();
  #held = 0;

  constructor(options: ConflictGuardOptions) {
    this.#o = options;
    this.#db = withConflictTables(options.db);
  }

  /** Tasks held in the last pass (bounded), so the next head query reads past them. */
  get heldCount(): number {
    return this.#held;
  }

  /** Forgets what was recorded under an earlier lease. */
  reset(): void {
    this.#recorded.clear();
    this.#held = 0;
  }

  /**
   * @param queue the waiting tasks, in queue order
   * @param justAssigned tasks this dispatcher assigned that the read model does not show yet
   */
  async admit<T extends { readonly taskId: string }>(queue: readonly T[], justAssigned: readonly string[]): Promise<Admission<T>> {
    const rows = await constrainedQueued(this.#db, queue.map((t) => t.taskId));
    const candidates: HoldCandidate[] = [];
    for (const r of rows) {
      const constraints = readConstraints(r.inputs);
      if (constraints) candidates.push({ taskId: r.taskId, runId: r.runId, createdAt: r.createdAt, leaseEpoch: r.leaseEpoch, constraints });
    }
    if (candidates.length === 0) {
      this.#held = 0;
      return { queue: [...queue], take: () => true };
    }
    const dependencyIds = [...new Set(candidates.flatMap((c) => c.constraints.dependsOn))];
    const workItems = [...new Set(candidates.flatMap((c) => (c.constraints.workItemId === null ? [] : [c.constraints.workItemId])))];
    const needFiles = candidates.some((c) => c.constraints.files.length > 0);
    const [dependencies, workItemTasks, inFlight] = await Promise.all([
      taskStatuses(this.#db, dependencyIds),
      liveWorkItemTasks(this.#db, workItems),
      needFiles ? inFlightFiles(this.#db, justAssigned) : Promise.resolve([]),
    ]);
    const held = new Set<string>();
    const filesOf = new Map<string, readonly string[]>();
    const found: ConflictFinding[] = [];
    for (const c of candidates) {
      const holds = holdsOf(c, { dependencies, workItemTasks, inFlightFiles: inFlight });
      if (holds.length > 0) {
        held.add(c.taskId);
        found.push(...holds);
      } else if (c.constraints.files.length > 0) filesOf.set(c.taskId, c.constraints.files);
    }
    this.#held = Math.min(held.size, this.#o.maxHeld ?? 1000);
    await this.#record(found);
    const taken: (readonly string[])[] = [];
    return {
      queue: queue.filter((t) => !held.has(t.taskId)),
      take: (taskId) => {
        const files = filesOf.get(taskId);
        if (files === undefined) return true;
        if (overlapsAny(files, taken)) return false;
        taken.push(files);
        return true;
      },
    };
  }

  /** Records the conflicts not recorded yet; a failure is logged and retried on a later pass (the task stays held either way). */
  async #record(findings: readonly ConflictFinding[]): Promise<void> {
    for (const f of findings) {
      if (this.#recorded.has(f.conflictId)) continue;
      if (!this.#o.isLeader()) return;
      try {
        const r = await this.#o.conflicts.execute(f.conflictId, (metadata) => ({ type: 'DetectConflict', data: f, metadata }), {
          commandId: `detect:${f.conflictId}`,
          correlationId: f.runId ?? f.taskIds[0] ?? f.conflictId,
          actor: SCHEDULER,
        });
        if (this.#recorded.size >= MAX_REMEMBERED) this.#recorded.clear();
        this.#recorded.add(f.conflictId);
        if (r.appended.length > 0) this.#o.logger.log(`conflict ${f.conflictId} (${f.kind}): ${f.description}`);
      } catch (err) {
        this.#o.logger.warn(`could not record conflict ${f.conflictId}: ${(err as Error).message}`);
      }
    }
  }
}

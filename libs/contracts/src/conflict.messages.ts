import { z } from 'zod';
import { ActorSchema } from './envelope';
import { messagesOf } from './messages';
import { RecordId, ResolutionRecordFields, ResolutionRequestFields, listQuery } from './shared-fields';

const schedulerMessages = messagesOf('scheduler');

/**
 * Conflicts between tasks (seed 004, AC3), detected by the scheduler and kept in
 * `conflict-<conflictId>` streams, relayed to `baton.evt.conflict.<event>`.
 *
 * - `duplicate_task`: the same task id submitted again with different content, or the same
 *   work item submitted twice;
 * - `dependency_clash`: a task would be assigned before a task it depends on completed;
 * - `file_overlap`: two in-flight tasks declare overlapping files (`inputs.files`);
 * - `agent_idle_timeout`: an agent holding tasks stopped answering (heartbeat window passed).
 *
 * Resolutions are commands: reassign, queue (hold the later task until the earlier one ends),
 * escalate (to a human through the escalation service). A conflict nobody resolves is escalated
 * to a human by the escalation service within 5 minutes.
 *
 * Tasks declare what conflicts are checked against in their `inputs`: `files` (paths or globs
 * with `*`, `**`, `?`), `dependsOn` (task ids that must complete first) and `workItemId` (or
 * `work_item_id`). Events: `ConflictDetected`, `ConflictResolved` and (additive)
 * `ConflictNeedsDecision` (`baton.evt.conflict.{detected,resolved,needs-decision}`).
 */
export const ConflictKind = z.enum(['duplicate_task', 'dependency_clash', 'file_overlap', 'agent_idle_timeout']);
export type ConflictKind = z.infer<typeof ConflictKind>;

export const ConflictResolutionKind = z.enum(['reassign', 'queue', 'escalate']);
export type ConflictResolutionKind = z.infer<typeof ConflictResolutionKind>;

export const conflictStreamId = (conflictId: string): string => `conflict-${conflictId}`;

/** What a conflict is, as its detection and its view open with. */
const ConflictFields = {
  conflictId: z.string(),
  kind: ConflictKind,
  /** The tasks involved; the first is the one the conflict holds back. */
  taskIds: z.array(z.string()),
  agentId: z.string().nullable(),
  runId: z.string().nullable(),
  /** Human-readable: which files overlap, which dependency is open, … */
  description: z.string(),
};

export const ConflictDetectedV1 = z.object({
  ...ConflictFields,
  details: z.record(z.string(), z.unknown()),
  /** What the scheduler did on its own (e.g. `queue` for a file overlap), or null when it needs a decision. */
  autoResolution: ConflictResolutionKind.nullable(),
  detectedAt: z.string(),
});

export const ConflictResolvedV1 = z.object({
  conflictId: z.string(),
  kind: ConflictKind,
  resolution: ConflictResolutionKind,
  ...ResolutionRecordFields,
});

/**
 * A conflict the scheduler was resolving on its own can no longer be (additive, v1): a task it
 * was holding until its dependencies completed depends on a task that failed or was cancelled.
 * The conflict stays open and now needs a decision (resolve-conflict), like one detected with
 * `autoResolution: null`. In `conflict-<id>`, relayed to `baton.evt.conflict.needs-decision`.
 */
export const ConflictNeedsDecisionV1 = z.object({
  conflictId: z.string(),
  kind: ConflictKind,
  taskIds: z.array(z.string()),
  runId: z.string().nullable(),
  reason: z.string(),
  at: z.string(),
});

export const ConflictView = z.object({
  ...ConflictFields,
  status: z.enum(['open', 'resolved']),
  resolution: ConflictResolutionKind.nullable(),
  detectedAt: z.string(),
  resolvedAt: z.string().nullable(),
  /** Additive: what the scheduler does on its own while the conflict is open (null: it waits for a decision). */
  autoResolution: ConflictResolutionKind.nullable().default(null),
  /** Additive: true when the conflict waits for a decision (no auto-resolution, or it can no longer apply). */
  needsDecision: z.boolean().default(false),
  /** Additive: the structured part of the detection (overlapping files, open dependencies, …). */
  details: z.record(z.string(), z.unknown()).default({}),
  /** Additive: who resolved it, why, and to which agent a `reassign` went. */
  resolvedBy: ActorSchema.nullable().default(null),
  reason: z.string().nullable().default(null),
  reassignTo: z.string().nullable().default(null),
});
export type ConflictView = z.infer<typeof ConflictView>;

export const ResolveConflictV1 = z.strictObject({
  conflictId: RecordId,
  resolution: ConflictResolutionKind,
  ...ResolutionRequestFields,
});
export const ResolveConflict = schedulerMessages.command('resolve-conflict', ResolveConflictV1, ConflictView);

export const ListConflictsV1 = listQuery({
  status: z.enum(['open', 'resolved']).optional(),
  runId: RecordId.optional(),
  /** Additive: only conflicts of this kind. */
  kind: ConflictKind.optional(),
  /** Additive: only conflicts involving this task. */
  taskId: RecordId.optional(),
});
export const ListConflicts = schedulerMessages.query('list-conflicts', ListConflictsV1, z.object({ conflicts: z.array(ConflictView) }));

import {
  BatonError,
  NotFoundError,
  type Actor,
  type CommandEnvelope,
  type ConflictView,
  type DataOf,
  type ListConflicts,
  type ResolveConflict,
} from '@baton/contracts';
import type { Kysely } from 'kysely';
import { findConflict, listConflicts, toConflictView } from '../read-model/conflict.queries';
import type { ConflictDatabase } from '../read-model/conflict.tables';
import type { Task } from '../domain';
import { decideConflict, duplicateSubmissionFinding, type Conflict, type SubmissionContent } from '../domain/conflict';
import type { Clock, CommandContext, TraceHeaders } from '@baton/aggregate';
import type { EventStore } from '@baton/event-store';
import { commandRecorded, type ConflictRunner } from './runners';
import type { TaskReassigner } from './task-reassigner';

const SCHEDULER: Actor = { kind: 'service', id: 'scheduler' };

/** The reply shape, from the aggregate's state (the read model may not show the resolution yet). */
export function conflictViewOf(c: Conflict): ConflictView {
  return {
    conflictId: c.conflictId,
    kind: c.kind,
    taskIds: [...c.taskIds],
    agentId: c.agentId,
    runId: c.runId,
    description: c.description,
    status: c.status,
    resolution: c.resolution,
    detectedAt: c.detectedAt,
    resolvedAt: c.resolvedAt,
    autoResolution: c.autoResolution,
    needsDecision: c.needsDecision,
    details: { ...c.details },
    resolvedBy: c.resolvedBy,
    reason: c.reason,
    reassignTo: c.reassignTo,
  };
}

/**
 * Conflict use cases behind the NATS controller: resolve-conflict (a human's or another
 * service's decision), list-conflicts (read model), and recording a duplicate submission for
 * submit-task.
 *
 * **reassign** is a direct assignment: after the decision is recorded (`ConflictResolved`, so the
 * conflict manager does not also settle it), the held task is released from its holder if an
 * agent holds it (`TaskReleased`, reason `released`) and assigned to `reassignTo` with
 * `AssignTask`, bypassing the holds (that is the override) and the requirement match (the human
 * chose the agent), but not availability: the agent must be known and online. Task commands use
 * ids derived from the resolve command's id, so a retried resolve finishes the job without doing
 * it twice.
 */
export class ConflictService {
  constructor(
    private readonly conflicts: ConflictRunner,
    private readonly store: EventStore,
    private readonly db: Kysely<ConflictDatabase>,
    private readonly clock: Clock,
    private readonly reassigner: TaskReassigner,
  ) {}

  /** `request`: the command context of the resolve request (commandContextOf); the resolver is its actor. */
  async resolve(cmd: CommandEnvelope<DataOf<typeof ResolveConflict>>, request: CommandContext): Promise<ConflictView> {
    const d = cmd.data;
    const by: Actor = request.actor ?? { kind: 'system', id: 'unknown' };
    const ctx: CommandContext = { ...request, actor: by };
    const data = { conflictId: d.conflictId, resolution: d.resolution, by, reason: d.reason, reassignTo: d.reassignTo ?? null };
    const { streamId, state } = await this.conflicts.load(d.conflictId);
    if (!(await commandRecorded(this.store, streamId, cmd.commandId))) {
      // Everything is checked before anything is appended: bad input changes nothing.
      decideConflict({ type: 'ResolveConflict', data, metadata: { commandId: cmd.commandId, now: this.clock.now().toISOString() } }, state);
      if (d.resolution === 'reassign' && state.exists) await this.reassigner.check(state.taskIds[0] ?? '', d.reassignTo ?? '');
    }
    const r = await this.conflicts.execute(d.conflictId, (metadata) => ({ type: 'ResolveConflict', data, metadata }), ctx);
    if (!r.state.exists) throw new BatonError('INTERNAL', `conflict ${d.conflictId} vanished`);
    // The resolution in the stream is this command's (a repeat, or just appended): finish its reassignment.
    if (r.state.resolution === 'reassign' && r.state.reassignTo !== null) {
      await this.reassigner.reassign(r.state.taskIds[0] ?? '', r.state.reassignTo, ctx);
    }
    return conflictViewOf(r.state);
  }

  async list(filter: DataOf<typeof ListConflicts>): Promise<{ conflicts: ConflictView[] }> {
    return { conflicts: (await listConflicts(this.db, filter)).map(toConflictView) };
  }

  /** One conflict from the read model (tests, tools). */
  async get(conflictId: string): Promise<ConflictView> {
    const row = await findConflict(this.db, conflictId);
    if (!row) throw new NotFoundError('conflict', conflictId);
    return toConflictView(row);
  }

  /**
   * submit-task gave an existing task id with other content: records a `duplicate_task` conflict
   * (no auto-resolution, so the escalation service raises it if nobody decides). The same content
   * submitted again records nothing more (the conflict id is derived from it).
   */
  async recordDuplicateSubmission(
    existing: Task,
    submitted: SubmissionContent & { readonly runId: string | null },
    cmd: Pick<CommandEnvelope<unknown>, 'commandId' | 'actor'>,
    trace: TraceHeaders = {},
  ): Promise<string> {
    const finding = duplicateSubmissionFinding(existing, submitted, cmd.actor ?? null);
    await this.conflicts.execute(finding.conflictId, (metadata) => ({ type: 'DetectConflict', data: finding, metadata }), {
      commandId: `detect:${finding.conflictId}`,
      causationId: cmd.commandId,
      correlationId: existing.runId ?? existing.taskId,
      actor: SCHEDULER,
      trace,
    });
    return finding.conflictId;
  }
}

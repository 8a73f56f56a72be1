import { BatonError, NotFoundError, errorCodeOf, runStreamId, type Actor, type NewEvent, type RecordedEvent } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import type { WorkflowDefinition } from '@baton/workflow-dsl';
import { decideRun, foldRun, toRunEvent, type CommandMetadata, type RunCommand, type RunDeciderContext, type RunEvent, type RunState } from '../domain';
import type { Clock, IdSource } from './ports';
import { shortDigest, type WorkflowDefinitions } from './workflow-definitions';

export interface RunCommandContext {
  readonly commandId: string;
  readonly causationId?: string;
  readonly actor?: Actor;
}

export interface RunCommandResult {
  readonly state: RunState;
  readonly appended: readonly RunEvent[];
}

const MAX_ATTEMPTS = 8;

/**
 * Deterministic id of a run's task: the same run, stage, iteration and key give the same task id,
 * so a decision repeated after a crash creates no second task.
 */
export function runTaskId(runId: string, stageId: string, iteration: number, key: string): string {
  return `rt-${shortDigest(`${runId}\u0000${stageId}\u0000${iteration}\u0000${key}`, 32)}`;
}

/**
 * Runs one command against a `run-<id>` stream: read, fold, load the pinned definition, decide,
 * append at the expected revision with the command id as idempotency key (a repeat appends
 * nothing). Losing a race re-reads and re-decides.
 */
export class RunCommandHandler {
  constructor(
    private readonly store: EventStore,
    private readonly definitions: WorkflowDefinitions,
    private readonly clock: Clock,
    private readonly ids: IdSource,
    private readonly rules: Pick<RunDeciderContext, 'handoffSpecsFor' | 'handoffSlaFor' | 'maxRejections'> = {},
  ) {}

  async load(runId: string): Promise<{ state: RunState; recorded: RecordedEvent[] }> {
    const recorded = await this.store.readStream(runStreamId(runId));
    return { state: foldRun(recorded.map(toRunEvent)), recorded };
  }

  /** `def` is required for StartRun (the run does not exist yet); other commands use the run's pinned version. */
  async execute(runId: string, build: (metadata: CommandMetadata) => RunCommand, ctx: RunCommandContext, def?: WorkflowDefinition): Promise<RunCommandResult> {
    const streamId = runStreamId(runId);
    for (let attempt = 1; ; attempt++) {
      const { state, recorded } = await this.load(runId);
      if (recorded.some((e) => e.metadata.commandId === ctx.commandId)) return { state, appended: [] };
      const pinned = state.exists ? await this.definitions.pinned(state.workflowId, state.version, state.hash) : def;
      const now = this.clock.now().toISOString();
      const command = build({ commandId: ctx.commandId, now });
      if (pinned === undefined) {
        if (command.type === 'StartRun') throw new BatonError('INTERNAL', `StartRun of ${runId} needs the workflow definition`);
        throw new NotFoundError('run', runId);
      }
      const events = decideRun(command, state, { def: pinned, taskId: runTaskId, ...this.rules });
      if (events.length === 0) return { state, appended: [] };
      const last = recorded[recorded.length - 1];
      try {
        const result = await this.store.append(
          streamId,
          events.map((e) => this.toNewEvent(e, runId, ctx, now)),
          { expectedRevision: last === undefined ? 'no_stream' : last.revision, commandId: ctx.commandId },
        );
        if (result.duplicate) continue;
        return { state: foldRun([...recorded.map(toRunEvent), ...events]), appended: events };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  private toNewEvent(event: RunEvent, runId: string, ctx: RunCommandContext, now: string): NewEvent {
    return {
      eventId: this.ids.newId(),
      type: event.type,
      schemaVersion: 1,
      data: event.data,
      metadata: {
        occurredAt: now,
        commandId: ctx.commandId,
        correlationId: runId,
        causationId: ctx.causationId ?? ctx.commandId,
        actor: ctx.actor ?? { kind: 'service', id: 'scheduler' },
      },
    };
  }
}

import { serviceContext, type CommandContext, type CommandResult } from '@baton/aggregate';
import { BatonError, categoryOf, ValidationError, WorkflowVersionRegisteredV1, type RecordedEvent } from '@baton/contracts';
import type { MessagingLogger } from '@baton/messaging';
import { parseWorkflow } from '@baton/workflow-dsl';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { noticesOf, route, type NotificationCommand, type NotificationEvent, type NotificationState, type RoutingTable, type RunFacts } from '../domain';
import { runFacts, upsertRun, upsertWorkflow, workflowFacts } from '../read-model/context.queries';
import type { NotifierDatabase } from '../read-model/notifier.tables';

// Run events whose schemas live in the scheduler: only the fields read here.
const RunStartedInput = z.object({ runId: z.string(), workflowId: z.string(), version: z.string(), priority: z.string().default('P1') });
const RunScoped = z.object({ runId: z.string() });

/** Events older than this notify nobody by default: a first start on a long history does not page people about the past. */
export const DEFAULT_MAX_EVENT_AGE_MS = 3_600_000;

/** The command kernel's `execute` for deliveries (a port, so tests and replicas share one runner). */
export interface NotificationCommands {
  execute(
    deliveryId: string,
    build: (metadata: { commandId: string; now: string }) => NotificationCommand,
    ctx: CommandContext,
  ): Promise<CommandResult<NotificationState, NotificationEvent>>;
}

function parse<S extends z.ZodType>(schema: S, event: RecordedEvent): z.infer<S> {
  const parsed = schema.safeParse(event.data);
  if (!parsed.success) {
    throw new ValidationError(`${event.type} ${event.eventId} does not match its schema`, {
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  return parsed.data;
}

/**
 * Handles one relayed event: records what the notifier must know of runs and workflow versions,
 * turns the event into notices, routes them with the rules and asks the kernel to record each
 * delivery (`RequestNotification`, command id `request:<deliveryId>`). Nothing is sent here:
 * deliveries are queued by the projection and sent by the channel workers, so a slow channel
 * never holds up this consumer (nor the workflow). A redelivered event requests nothing twice.
 */
export class InputEventHandler {
  constructor(
    private readonly db: Kysely<NotifierDatabase>,
    private readonly commands: NotificationCommands,
    private readonly table: () => RoutingTable,
    private readonly logger: MessagingLogger,
    /**
     * Events older than this (by `occurredAt`) update what the notifier knows of runs and
     * workflows but notify nobody: a first start on a long history, or a consumer far behind,
     * does not page people about the past.
     */
    private readonly maxEventAge: { readonly ms: number; readonly now: () => Date },
  ) {}

  async handle(event: RecordedEvent): Promise<number> {
    const category = categoryOf(event.streamId);
    // The notifier's own events never notify (no loops).
    if (category === 'notification') return 0;
    if (event.schemaVersion !== 1 && (category === 'run' || category === 'workflow')) {
      throw new BatonError('UNKNOWN_SCHEMA_VERSION', `event ${event.type} version ${event.schemaVersion} of ${event.streamId} is not known to the notifier`, { type: event.type, schemaVersion: event.schemaVersion });
    }
    if (typeof event.data !== 'object' || event.data === null || Array.isArray(event.data)) {
      throw new ValidationError(`${event.type} ${event.eventId}: data is not an object`);
    }
    const run = await this.context(event, category);
    const age = this.maxEventAge.now().getTime() - Date.parse(event.metadata.occurredAt);
    if (age > this.maxEventAge.ms) return 0;
    const notices = noticesOf({ eventId: event.eventId, type: event.type, category, streamId: event.streamId, data: event.data as Record<string, unknown>, occurredAt: event.metadata.occurredAt }, run);
    let requested = 0;
    for (const notice of notices) {
      const { deliveries, skipped } = route(notice, this.table());
      for (const s of skipped) this.logger.warn(`notice ${notice.topic} of event ${event.eventId}: rule ${s.ruleId}, channel ${s.channel}: ${s.reason}`);
      for (const delivery of deliveries) {
        const commandId = `request:${delivery.deliveryId}`;
        await this.commands.execute(delivery.deliveryId, (metadata) => ({ type: 'RequestNotification', data: delivery, metadata }), serviceContext('notifier', commandId, notice.runId ? { correlationId: notice.runId } : {}));
        requested++;
      }
    }
    return requested;
  }

  /** Keeps the run and workflow facts notices are read with, and returns the event's run. */
  private async context(event: RecordedEvent, category: string): Promise<RunFacts | null> {
    if (category === 'workflow' && event.type === 'WorkflowVersionRegistered') {
      const d = parse(WorkflowVersionRegisteredV1, event);
      const parsed = parseWorkflow(d.yaml);
      const stageActions = parsed.ok ? Object.fromEntries(Object.values(parsed.workflow.stages).map((s) => [s.id, s.action])) : {};
      await upsertWorkflow(this.db, { workflowId: d.workflowId, version: d.version, name: parsed.ok ? parsed.workflow.name : null, stageActions });
      return null;
    }
    if (category !== 'run') return null;
    if (event.type === 'RunStarted') {
      const d = parse(RunStartedInput, event);
      await upsertRun(this.db, d);
      const wf = await workflowFacts(this.db, d.workflowId, d.version);
      return { runId: d.runId, workflowId: d.workflowId, version: d.version, priority: d.priority, workflowName: wf?.name ?? null, stageActions: wf?.stageActions ?? {} };
    }
    const { runId } = parse(RunScoped, event);
    return runFacts(this.db, runId);
  }
}

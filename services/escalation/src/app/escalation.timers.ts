import { serviceContext, type Clock } from '@baton/aggregate';
import { errorCodeOf, type EscalationLevel } from '@baton/contracts';
import { Poller, type MessagingLogger, type Queryable } from '@baton/messaging';
import type { TimerRow } from '../read-model/escalation.tables';
import { deleteTimer, findWatch, lockNextDueTimer, updateTimer } from '../read-model/watch.queries';
import {
  agentOfFacts,
  assigneeFor,
  climbReason,
  draftEscalation,
  formatDuration,
  levelAt,
  nextClimbAt,
  raiseDueAt,
  type AgentContacts,
} from '../domain';
import type { AgentDirectory, EscalationCommands, Transactor } from './ports';
import { SERVICE_ACTOR, type ResolvePayload } from './watches';

/** How often due timers are looked for when nothing else is said (`ESCALATION_POLL_MS` unset). */
export const DEFAULT_POLL_MS = 1000;

export interface EscalationTimersOptions {
  /** How often due timers are looked for (`ESCALATION_POLL_MS`). Default {@link DEFAULT_POLL_MS}. */
  readonly pollIntervalMs?: number;
  /** Timers fired per poll at most (the rest wait for the next poll). Default 1000. */
  readonly batchSize?: number;
  readonly logger: MessagingLogger;
}

class TimerFailed extends Error {
  constructor(
    readonly timerId: string,
    readonly failure: unknown,
  ) {
    super(`timer ${timerId} failed`);
  }
}

/**
 * The durable timers of `baton_escalation.timers`, fired by a poller every `pollIntervalMs`
 * when due by the injected clock (timers that fell due while the service was down fire on the
 * first poll after start). Each timer fires in its own transaction, locked with
 * `FOR UPDATE SKIP LOCKED` (replicas share the work), and is settled in that transaction after
 * its command is appended. Command ids are derived from the timer (`raise:<id>`,
 * `climb:<id>:<level>`, `resolve:<id>`), so a timer fired again after a crash appends nothing.
 * - raise: raises the escalation of an open watch at the level the ladder gives now, to the
 *   assignee of that level (the agent's peer or lead from the registry, else the stand-in);
 * - climb: takes an open escalation up to the level the ladder gives now; re-armed for the next
 *   level, dropped at L3 or once resolved;
 * - resolve: resolves an escalation whose problem ended (nothing when it was never raised or
 *   is resolved already).
 */
export class EscalationTimers extends Poller {
  constructor(
    private readonly transaction: Transactor,
    private readonly commands: EscalationCommands,
    private readonly directory: AgentDirectory,
    private readonly clock: Clock,
    private readonly options: EscalationTimersOptions,
  ) {
    // The first poll runs at once: timers that fell due while the service was down fire first.
    super({ name: 'escalation timer poll', intervalMs: options.pollIntervalMs ?? DEFAULT_POLL_MS, firstDelayMs: 0, logger: options.logger });
  }

  protected override run(): Promise<unknown> {
    return this.fireDueTimers();
  }

  /** Fires the timers due by the injected clock; returns how many fired. A failing timer stays due and is retried on the next poll. */
  async fireDueTimers(): Promise<number> {
    const now = this.clock.now();
    const failed: string[] = [];
    let fired = 0;
    for (let i = 0; i < (this.options.batchSize ?? 1000); i++) {
      let found: boolean;
      try {
        found = await this.transaction(async (q) => {
          const row = await lockNextDueTimer(q, now, failed);
          if (!row) return false;
          try {
            await this.fire(q, row, now);
          } catch (err) {
            throw new TimerFailed(row.timer_id, err);
          }
          return true;
        });
      } catch (err) {
        if (!(err instanceof TimerFailed)) throw err;
        failed.push(err.timerId);
        this.options.logger.error(`escalation timer ${err.timerId} failed: ${errorCodeOf(err.failure) ?? 'INTERNAL'} ${(err.failure as Error).message}`);
        continue;
      }
      if (!found) break;
      fired++;
    }
    return fired;
  }

  private async fire(q: Queryable, row: TimerRow, now: Date): Promise<void> {
    switch (row.kind) {
      case 'raise':
        return this.raise(q, row, now);
      case 'climb':
        return this.climb(q, row, now);
      case 'resolve':
        return this.resolve(q, row);
      default: {
        const unhandled: never = row.kind;
        throw new Error(`unknown timer kind ${String(unhandled)}`);
      }
    }
  }

  private async contactsFor(level: EscalationLevel, agentId: string | null): Promise<AgentContacts | undefined> {
    if (agentId === null || level === 0 || level === 3) return undefined;
    return this.directory.contactsOf(agentId);
  }

  private async raise(q: Queryable, row: TimerRow, now: Date): Promise<void> {
    const watch = await findWatch(q, row.escalation_id);
    if (!watch?.open) {
      await deleteTimer(q, row.timer_id);
      return;
    }
    const plan = watch.plan;
    const since = new Date(plan.since);
    const level = levelAt(plan.trigger, since, now, plan.ladder, plan.floor);
    if (level === 0) {
      // Not due by the ladder after all (the plan changed): wait for its L1 threshold.
      await updateTimer(q, row.timer_id, raiseDueAt(plan.trigger, since, plan.ladder), {});
      return;
    }
    const agentId = agentOfFacts(plan.facts);
    const assignee = assigneeFor(level, agentId, await this.contactsFor(level, agentId));
    const draft = draftEscalation(plan.facts, { since, now, assignee });
    try {
      await this.commands.execute(
        plan.escalationId,
        (metadata) => ({
          type: 'RaiseEscalation',
          data: { ...draft, escalationId: plan.escalationId, level, assignee, since: plan.since, ladder: plan.ladder },
          metadata,
        }),
        serviceContext(SERVICE_ACTOR.id, `raise:${plan.escalationId}`, draft.runId ? { correlationId: draft.runId } : {}),
      );
    } catch (err) {
      // The id is taken by an escalation raised by hand: keep that one.
      if (errorCodeOf(err) !== 'CONFLICT') throw err;
      this.options.logger.warn(`not raising ${plan.escalationId}: ${(err as Error).message}`);
    }
    await deleteTimer(q, row.timer_id);
  }

  private async climb(q: Queryable, row: TimerRow, now: Date): Promise<void> {
    let { state } = await this.commands.load(row.escalation_id);
    if (state.status !== 'open') {
      await deleteTimer(q, row.timer_id);
      return;
    }
    const r = state.raised;
    const since = new Date(r.since);
    const level = levelAt(r.trigger, since, now, r.ladder, state.level);
    if (level > state.level) {
      const assignee = assigneeFor(level, r.agentId, await this.contactsFor(level, r.agentId));
      const reason = climbReason(level, formatDuration(now.getTime() - since.getTime()));
      const result = await this.commands.execute(
        r.escalationId,
        (metadata) => ({ type: 'ClimbLevel', data: { escalationId: r.escalationId, level, assignee, reason }, metadata }),
        serviceContext(SERVICE_ACTOR.id, `climb:${r.escalationId}:${level}`, r.runId ? { correlationId: r.runId } : {}),
      );
      state = result.state;
    }
    const next = state.status === 'open' ? nextClimbAt(r.trigger, since, state.level, r.ladder) : undefined;
    if (next === undefined) await deleteTimer(q, row.timer_id);
    else await updateTimer(q, row.timer_id, next, {});
  }

  private async resolve(q: Queryable, row: TimerRow): Promise<void> {
    const p = row.payload as unknown as ResolvePayload;
    await this.commands.execute(
      row.escalation_id,
      (metadata) => ({
        type: 'ResolveEscalation',
        data: { escalationId: row.escalation_id, resolution: p.resolution, reason: p.reason, by: p.by, onlyIfOpen: true },
        metadata,
      }),
      { commandId: `resolve:${row.escalation_id}`, actor: p.by },
    );
    await deleteTimer(q, row.timer_id);
  }
}

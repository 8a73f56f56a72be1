import type { Clock } from '@baton/aggregate';
import { AgentHeartbeat, decodeJson, errorCodeOf, ValidationError, type Actor } from '@baton/contracts';
import { Poller, type MessagingLogger } from '@baton/messaging';
import type { Kysely } from 'kysely';
import type { AgentRegistryDatabase, HeartbeatTimerRow } from '../read-model/agents.table';
import {
  lockDueTimers,
  lockTimer,
  rearmFrom,
  recordHeartbeatAt,
  setOffline,
  settleTimer,
  tryTimerLease,
} from '../read-model/heartbeat-timers.queries';
import type { AgentCommands } from './ports';

const ACTOR: Actor = { kind: 'service', id: 'agent-registry' };

export interface HeartbeatMonitorOptions {
  /** An agent with no heartbeat for this long goes offline. */
  readonly windowMs: number;
  /** How often due timers are looked for. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Timers fired per poll at most. Default 100. */
  readonly batchSize?: number;
  readonly logger: MessagingLogger;
}

/** What a heartbeat did. */
export type HeartbeatOutcome = 'unknown-agent' | 'online' | 'came-online';

/**
 * Liveness of agents, from heartbeats and durable timers (no event per heartbeat):
 * - a heartbeat stores `last_heartbeat_at` and moves the agent's timer to now + window; when
 *   the agent was offline it also sends RecordHeartbeat, which appends AgentCameOnline;
 * - a poller, every `pollIntervalMs`, takes the advisory lock (one replica fires at a time),
 *   locks the due timer rows (`FOR UPDATE SKIP LOCKED`) and sends MarkAgentOffline for each,
 *   which appends AgentWentOffline if the agent is still stale by the injected clock;
 * - on start, before the first poll, every armed timer gets a fresh window from now: heartbeats
 *   sent while the service was down reached nobody, so a timer that fell due meanwhile proves
 *   nothing, and firing it would mark every healthy agent offline (and have the scheduler take
 *   their work away). An agent that stays silent for a whole window after the start still goes
 *   offline. A replica starting beside running ones grants the same grace, at most one window.
 */
export class HeartbeatMonitor extends Poller {
  private rearmed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Kysely<AgentRegistryDatabase>,
    private readonly handler: AgentCommands,
    private readonly clock: Clock,
    private readonly options: HeartbeatMonitorOptions,
  ) {
    super({ name: 'heartbeat timer poll', intervalMs: options.pollIntervalMs ?? 250, firstDelayMs: 0, logger: options.logger });
  }

  /** Starts the timer poller; the first poll runs at once, after every armed timer got a fresh window from now. */
  override start(): void {
    this.rearmed = false;
    super.start();
  }

  /** A poll: the fresh windows once per start, then the timers due. */
  protected override async run(): Promise<unknown> {
    if (!this.rearmed) await this.rearmAfterStart();
    return this.fireDueTimers();
  }

  /** Moves every armed timer to at least now + window (see the class comment); runs once per start. */
  private async rearmAfterStart(): Promise<number> {
    const moved = await rearmFrom(this.db, this.clock.now(), this.options.windowMs);
    this.rearmed = true;
    if (moved > 0) this.options.logger.log(`gave ${moved} agent(s) a fresh heartbeat window from the start`);
    return moved;
  }

  /** Stops polling and waits for the poll and heartbeats in hand. */
  override async stop(): Promise<void> {
    await super.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Handles one message from `baton.agent.<id>.heartbeat`: an invalid body, or one naming
   * another agent than its subject, is logged and dropped (returns undefined); never throws.
   */
  async onMessage(subject: string, body: Uint8Array): Promise<HeartbeatOutcome | undefined> {
    const task = this.handleMessage(subject, body);
    this.inFlight.add(task);
    try {
      return await task;
    } finally {
      this.inFlight.delete(task);
    }
  }

  private async handleMessage(subject: string, body: Uint8Array): Promise<HeartbeatOutcome | undefined> {
    try {
      const parsed = AgentHeartbeat.safeParse(decodeJson(body));
      if (!parsed.success) {
        throw new ValidationError(`heartbeat does not match its schema: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      }
      const fromSubject = subject.split('.')[2];
      if (parsed.data.agentId !== fromSubject) {
        throw new ValidationError(`heartbeat on ${subject} names agent ${parsed.data.agentId}`);
      }
      return await this.recordHeartbeat(parsed.data.agentId);
    } catch (err) {
      this.options.logger.warn(`dropped heartbeat on ${subject}: ${errorCodeOf(err) ?? 'INTERNAL'} ${(err as Error).message}`);
      return undefined;
    }
  }

  /** Stores a heartbeat of `agentId` received now; brings the agent back online if it was offline. */
  async recordHeartbeat(agentId: string): Promise<HeartbeatOutcome> {
    const now = this.clock.now();
    const row = await this.db.transaction().execute(async (trx) => {
      const current = await lockTimer(trx, agentId);
      if (!current?.registered) return undefined;
      await recordHeartbeatAt(trx, agentId, now, this.options.windowMs);
      return current;
    });
    if (!row) return 'unknown-agent';
    if (!row.offline) return 'online';
    await this.handler.execute(agentId, (metadata) => ({ type: 'RecordHeartbeat', data: { agentId }, metadata }), {
      commandId: `heartbeat:${agentId}:${now.toISOString()}`,
      actor: ACTOR,
    });
    await setOffline(this.db, agentId, false);
    return 'came-online';
  }

  /** Fires the timers due by the injected clock; returns how many it looked at (0 when another replica holds the lock). */
  async fireDueTimers(): Promise<number> {
    const now = this.clock.now();
    return this.db.transaction().execute(async (trx) => {
      if (!(await tryTimerLease(trx))) return 0;
      const due = await lockDueTimers(trx, now, this.options.batchSize ?? 100);
      for (const row of due) {
        try {
          await this.fire(row);
        } catch (err) {
          // The row stays due and is retried on the next poll.
          this.options.logger.error(`heartbeat timer of ${row.agent_id} failed: ${errorCodeOf(err) ?? 'INTERNAL'} ${(err as Error).message}`);
          continue;
        }
        await this.settle(trx, row);
      }
      return due.length;
    });
  }

  private async fire(row: HeartbeatTimerRow): Promise<void> {
    const agentId = row.agent_id;
    const lastHeartbeatAt = row.last_heartbeat_at?.toISOString() ?? null;
    await this.handler.execute(
      agentId,
      (metadata) => ({ type: 'MarkAgentOffline', data: { agentId, lastHeartbeatAt, windowMs: this.options.windowMs }, metadata }),
      // Same timer, same id: a replica that fires it again after a crash appends nothing.
      { commandId: `heartbeat-timeout:${agentId}:${row.offline_due_at?.toISOString() ?? 'none'}`, actor: ACTOR },
    );
  }

  /** What the timer row becomes after firing, from the agent's state in the store. */
  private async settle(trx: Parameters<typeof settleTimer>[0], row: HeartbeatTimerRow): Promise<void> {
    const { state } = await this.handler.load(row.agent_id);
    if (state.status !== 'registered') {
      await settleTimer(trx, row.agent_id, { registered: false, offline: false, offline_due_at: null });
    } else if (!state.online) {
      await settleTimer(trx, row.agent_id, { registered: true, offline: true, offline_due_at: null });
    } else {
      // Not stale after all (e.g. the window grew): re-arm from the last sign of life.
      const last = Math.max(row.last_heartbeat_at?.getTime() ?? 0, Date.parse(state.lastSeenAt));
      await settleTimer(trx, row.agent_id, { registered: true, offline: false, offline_due_at: new Date(last + this.options.windowMs) });
    }
  }
}

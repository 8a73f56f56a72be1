import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm, type KV } from '@nats-io/kv';
import { errorCodeOf, GetRun, shortDigest } from '@baton/contracts';
import { GatewayError } from '../http/problem';
import type { Principal } from '../auth/principal';
import type { BatonCalls } from '../api/baton-calls';

/**
 * Runs a start only if the principal is under their quota of active runs. `commandId` is the
 * start's command id: a retry of a start already made (the same Idempotency-Key) is never refused,
 * so it gets the first result even at the limit.
 */
export interface RunQuota {
  withinQuota<T extends { runId: string }>(principal: Principal, commandId: string, start: () => Promise<T>): Promise<T>;
}

/** No quota (`BATON_RUN_QUOTA=0`). */
export const NO_RUN_QUOTA: RunQuota = { withinQuota: (_principal, _commandId, start) => start() };

/** One run a principal started: its id and the command id that started it. */
interface StartedRun {
  readonly runId: string;
  readonly commandId: string;
}

/** KV bucket of the run ids each principal started through the gateway. */
export const RUN_INDEX_BUCKET = 'baton-gateway-runs';

const decoder = new TextDecoder();

/**
 * A quota of active (running or paused) runs per principal, the same for every gateway replica.
 * The scheduler's read model does not say who started a run, so the gateway keeps, in a NATS KV
 * bucket shared by its replicas, the ids of the runs each principal started; whether a run is
 * still active is always asked of the scheduler. The index holds no fact of its own (a run's
 * starter is in its RunStarted event): losing it only forgets earlier runs for the count. Two
 * starts racing at the limit may both pass: the quota bounds a principal's load, it is not a
 * domain rule.
 */
export class KvRunQuota implements RunQuota {
  private constructor(
    private readonly kv: KV,
    private readonly calls: BatonCalls,
    private readonly limit: number,
  ) {}

  static async open(nc: NatsConnection, calls: BatonCalls, limit: number): Promise<KvRunQuota> {
    const kv = await new Kvm(nc).create(RUN_INDEX_BUCKET, { history: 1 });
    return new KvRunQuota(kv, calls, limit);
  }

  async withinQuota<T extends { runId: string }>(principal: Principal, commandId: string, start: () => Promise<T>): Promise<T> {
    const key = `p_${shortDigest(`${principal.kind}:${principal.id}`, 32)}`;
    const known = await this.read(key);
    const retry = known.runs.some((r) => r.commandId === commandId);
    if (!retry && known.runs.length >= this.limit) {
      const active = await this.activeOf(known.runs.map((r) => r.runId));
      if (active.length >= this.limit) {
        throw new GatewayError('QUOTA_EXCEEDED', `${principal.id} has ${active.length} active runs; the quota is ${this.limit}. Wait for one to end, or cancel one.`, {
          active: active.length,
          quota: this.limit,
        }, { 'Retry-After': '30' });
      }
      await this.write(key, (runs) => runs.filter((r) => active.includes(r.runId)));
    }
    const result = await start();
    await this.write(key, (runs) => (runs.some((r) => r.runId === result.runId) ? runs : [...runs, { runId: result.runId, commandId }]));
    return result;
  }

  private async read(key: string): Promise<{ runs: StartedRun[]; revision: number }> {
    const entry = await this.kv.get(key);
    if (entry === null || entry.operation !== 'PUT' || entry.value.length === 0) return { runs: [], revision: 0 };
    const runs = (JSON.parse(decoder.decode(entry.value)) as { runs?: unknown }).runs;
    const valid = (r: unknown): r is StartedRun => typeof (r as StartedRun | null)?.runId === 'string' && typeof (r as StartedRun).commandId === 'string';
    return { runs: Array.isArray(runs) ? runs.filter(valid) : [], revision: entry.revision };
  }

  /** Compare-and-set, retried when another replica wrote in between. */
  private async write(key: string, change: (runs: StartedRun[]) => StartedRun[]): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const { runs, revision } = await this.read(key);
      const next = JSON.stringify({ runs: change(runs) });
      try {
        if (revision === 0) await this.kv.create(key, next);
        else await this.kv.update(key, next, revision);
        return;
      } catch {
        // Lost a race with another replica's write: read again.
      }
    }
  }

  private async activeOf(runIds: readonly string[]): Promise<string[]> {
    const states = await Promise.all(
      runIds.map(async (runId) => {
        try {
          const run = await this.calls.query(GetRun, { runId });
          return run.state === 'running' || run.state === 'paused' ? runId : null;
        } catch (err) {
          if (errorCodeOf(err) === 'NOT_FOUND') return null;
          throw err;
        }
      }),
    );
    return states.filter((s): s is string => s !== null);
  }
}

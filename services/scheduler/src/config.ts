import { readServiceEnv, type ServiceEnv } from '@baton/messaging';
import { envInt, envString, rawEnv, type EnvSource } from '@baton/telemetry';
import { BatonError } from '@baton/contracts';

/** Everything the scheduler reads from its environment, read once at start-up. */
/** Also `HTTP_PORT` (default 3101) of `/health/live`, `/health/ready`, `/metrics`, and `HTTP_HOST`. */
export interface SchedulerConfig extends ServiceEnv {
  /** `SCHEDULER_AGING_INTERVAL_MS` (default 60000): waiting this long counts as one priority level. */
  readonly agingIntervalMs: number;
  /**
   * `SCHEDULER_LEASE_TTL_MS` (default 3000): how long the dispatcher lease lasts without renewal.
   * The holder renews every TTL / 3 and a standby tries every TTL / 6, so a standby takes over at
   * most 1.17 × TTL after the holder's last renewal (3.5 s by default), inside the 5 s the product
   * allows for reassignment (see `leaseTimings`).
   */
  readonly leaseTtlMs: number;
  /** `SCHEDULER_DISPATCH_POLL_MS` (default 2000): the dispatcher's safety-net poll when nothing wakes it. */
  readonly dispatchPollMs: number;
  /** `SCHEDULER_TIMER_POLL_MS` (default 1000): the timer poller's longest sleep. */
  readonly timerPollMs: number;
  /** `SCHEDULER_DISPATCH_BATCH` (default 200): waiting tasks considered per dispatch pass. */
  readonly dispatchBatchSize: number;
  /**
   * `SCHEDULER_READ_MODEL_INTERVAL_MS` (default 10, 0 = every commit): the least time between two
   * transactions of the tasks and workflows read models and of the run manager while events keep
   * coming. Under load one transaction then applies the commits of that interval; dispatch never
   * waits for these read models, the run manager's work on the hot path is done at commit, and
   * after a quiet spell an event is applied at once.
   */
  /**
   * An assignment handed to an agent waiting on `await-assignment` is published to its inbox too
   * when its lease has not ended (the task completed, failed, released, cancelled or assigned
   * again) within this many ms.
   * `SCHEDULER_DIRECT_CONFIRM_MS`, default 10000.
   */
  readonly directConfirmMs?: number;
  readonly readModelIntervalMs?: number;
  /** `SCHEDULER_CONSUMER_NAME` (default `scheduler`): prefix of its durable JetStream consumers. */
  readonly consumerName: string;
  /** `SCHEDULER_AGENT_EVENTS_FROM` (`all` or `new`, default `all`): where a new agent-events consumer starts. */
  readonly agentEventsFrom: 'all' | 'new';
  /** `WORKFLOWS_DIR` (optional): every `*.yml`/`*.yaml` there is registered at start (idempotent by content hash). */
  readonly workflowsDir?: string;
  /**
   * `HANDOFFS_DIR` (optional): the handoff specs (as the handoff-validator loads them), to tell
   * which apply to a stage's task. Unset: tasks are checked for their stage's quality gates and
   * criteria only.
   */
  readonly handoffsDir?: string;
  /** `SCHEDULER_MAX_REJECTIONS` (default 3): rejections of a stage's work before it goes to a human. */
  readonly maxRejections?: number;
  /**
   * `BATON_ACTOR_KEYS_FILE` (optional): the gateway's public JWKS. When set, a person starting a run
   * or deciding on a stage is taken only from the gateway's signed `Baton-Actor` header.
   */
  readonly actorKeysFile?: string;
}

export const DEFAULT_HTTP_PORT = 3101;
export const DEFAULT_LEASE_TTL_MS = 3000;

/** See `SchedulerConfig.readModelIntervalMs`. */
export const DEFAULT_READ_MODEL_INTERVAL_MS = 10;

/** Default of `directConfirmMs`: the agent SDK's default inbox ack wait. */
export const DEFAULT_DIRECT_CONFIRM_MS = 10_000;

/**
 * Reads and checks the configuration with the telemetry env getters (blank means unset; a bad
 * value throws an error naming the variable).
 *
 * @example
 * const config = readSchedulerConfig(); // from process.env
 */
export function readSchedulerConfig(source: EnvSource = process.env): SchedulerConfig {
  const opts = { source };
  const from = envString('SCHEDULER_AGENT_EVENTS_FROM', 'all', opts);
  if (from !== 'all' && from !== 'new') {
    throw new BatonError('VALIDATION_FAILED', `SCHEDULER_AGENT_EVENTS_FROM is invalid: expected all or new, got "${from}"`);
  }
  const consumerName = envString('SCHEDULER_CONSUMER_NAME', 'scheduler', opts);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(consumerName)) {
    throw new BatonError('VALIDATION_FAILED', `SCHEDULER_CONSUMER_NAME is invalid: use letters, digits, dash or underscore`);
  }
  const workflowsDir = rawEnv('WORKFLOWS_DIR', source);
  const handoffsDir = rawEnv('HANDOFFS_DIR', source);
  const actorKeysFile = rawEnv('BATON_ACTOR_KEYS_FILE', source);
  return {
    ...readServiceEnv(DEFAULT_HTTP_PORT, source),
    agingIntervalMs: envInt('SCHEDULER_AGING_INTERVAL_MS', 60_000, { ...opts, min: 1 }),
    leaseTtlMs: envInt('SCHEDULER_LEASE_TTL_MS', DEFAULT_LEASE_TTL_MS, { ...opts, min: 100 }),
    dispatchPollMs: envInt('SCHEDULER_DISPATCH_POLL_MS', 2000, { ...opts, min: 10 }),
    timerPollMs: envInt('SCHEDULER_TIMER_POLL_MS', 1000, { ...opts, min: 10 }),
    dispatchBatchSize: envInt('SCHEDULER_DISPATCH_BATCH', 200, { ...opts, min: 1, max: 10_000 }),
    readModelIntervalMs: envInt('SCHEDULER_READ_MODEL_INTERVAL_MS', DEFAULT_READ_MODEL_INTERVAL_MS, { ...opts, min: 0, max: 1000 }),
    consumerName,
    agentEventsFrom: from,
    ...(workflowsDir === undefined ? {} : { workflowsDir }),
    ...(handoffsDir === undefined ? {} : { handoffsDir }),
    ...(actorKeysFile === undefined ? {} : { actorKeysFile }),
    maxRejections: envInt('SCHEDULER_MAX_REJECTIONS', 3, { ...opts, min: 1, max: 100 }),
    directConfirmMs: envInt('SCHEDULER_DIRECT_CONFIRM_MS', DEFAULT_DIRECT_CONFIRM_MS, { ...opts, min: 100, max: 3_600_000 }),
  };
}

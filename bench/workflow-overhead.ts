/**
 * The workflow part of bench:dispatch: what orchestration itself costs, with agents that answer
 * at once. Baton runs as processes (agent-registry, handoff-validator, scheduler) on a private
 * nats-server and a fresh database; agents are a tools/sim-agents process and SDK agents
 * (libs/agent-sdk) in this process; people act through the commands the `baton` CLI sends (approve-stage), over NATS.
 *
 * - Feature Development (examples/workflows/feature-development.yml as written), worked by the
 *   simulated team `npm start` uses (tools/sim-agents with examples/agents.yaml) told to answer
 *   at once (`--duration-ms 0 --steps 1 --failure-rate 0`): handoffs that pass their specs (so
 *   the handoff-validator runs), agent approvers approving; the human approval of
 *   production_deploy is given the moment it is requested. Measured: StartRun sent →
 *   RunCompleted seen, per run.
 * - A 3-step sequential workflow, the same way.
 * - Active runs: runs of a one-stage workflow whose stage waits for an agent that is not on
 *   line; submit → handler start of plain tasks (one at a time, to an SDK agent) with 100 such
 *   runs active, then with `activeRuns` of them, each time once every run waits on its stage
 *   (its task queued in the read model), with the scheduler's CPU and counted Postgres
 *   statements per probe.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BatonAgent, subscribeEvents, type EventSubscription } from '@baton/agent-sdk';
import { ApproveStage, RegisterWorkflow, StartRun, SubmitTask, type RecordedEvent } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { Pool } from 'pg';
import { formatSummary, summarizeCpuProfile, type CpuProfile } from './cpuprofile-summary';
import type { PgCounterSnapshot } from './pg-query-counter';
import { ROOT, cpuMsOf, createBenchDatabase, log, monoUs, round, sleep, startChild, startPrivateNats, startService, stats, stopChild, waitUntil, type Budget, type Child, type Stats } from './support';

export interface WorkflowOptions {
  readonly featureRuns: number;
  readonly sequentialRuns: number;
  readonly activeRuns: number;
  /** Tasks measured one at a time at each number of active runs. */
  readonly probes: number;
  readonly budget: Budget;
  readonly share: number;
  /** Scheduler under `--cpu-prof`: the large active-runs probe window is summarized on stderr. */
  readonly profile?: boolean;
  /**
   * Pause before each run of the two series, in ms (default 0: each run starts as soon as the one
   * before ended, and overlaps what that one's end still leaves to do: its projections, its
   * relay). A diagnostic: the targets are read back to back.
   */
  readonly gapMs?: number;
}

const SEQ_AGENT = 'bench-seq';
const LAT_AGENT = 'bench-lat';
const HOLD_AGENT = 'bench-hold-offline';

const SEQUENTIAL_YAML = `workflow:
  name: "Bench three sequential steps"
  id: "WF-BENCH-SEQ"
  version: "1.0.0"
  trigger:
    type: "manual"
  stages:
    - stage: "one"
      agent: "${SEQ_AGENT}"
      action: "step_one"
      next: "two"
    - stage: "two"
      agent: "${SEQ_AGENT}"
      action: "step_two"
      next: "three"
    - stage: "three"
      agent: "${SEQ_AGENT}"
      action: "step_three"
`;
const HOLD_YAML = `workflow:
  name: "Bench run waiting on a stage"
  id: "WF-BENCH-HOLD"
  version: "1.0.0"
  trigger:
    type: "manual"
  stages:
    - stage: "wait"
      agent: "${HOLD_AGENT}"
      action: "wait_for_me"
`;

interface RunTiming {
  readonly runId: string;
  readonly state: string;
  /** StartRun sent → RunCompleted (or RunFailed/RunCancelled) seen on the bus. */
  readonly wallMs: number;
  /** RunStarted → the run's last event, by the events' own `occurredAt`. */
  readonly eventSpanMs: number | undefined;
}

export async function runWorkflowOverhead(opts: WorkflowOptions) {
  const started = performance.now();
  const deadline = performance.now() + Math.max(60_000, opts.share * opts.budget.leftMs());
  const left = () => deadline - performance.now();
  const tag = randomBytes(4).toString('hex');
  const tmp = mkdtempSync(join(tmpdir(), 'baton-bench-workflows-'));
  const db = await createBenchDatabase(`baton_bench_workflows_${tag}`);
  const nats = await startPrivateNats(join(tmp, 'nats'));
  const services: Child[] = [];
  const agents: BatonAgent[] = [];
  let runWatch: EventSubscription | undefined;
  let nc: NatsConnection | undefined;
  let pool: Pool | undefined;
  try {
    log(`workflows: private nats-server ${nats.url}, database ${db.name}; agent-registry, handoff-validator, scheduler as processes`);
    const HANDOFFS_DIR = join(ROOT, 'examples/handoffs');
    const common = { DATABASE_URL: db.url, NATS_URL: nats.url };
    const AGENTS_FILE = join(ROOT, 'examples/agents.yaml');
    services.push(await startService('agent-registry', { ...common, AGENTS_FILE, HEARTBEAT_WINDOW_MS: '15000' }));
    // With --profile, the handoff-validator and the simulated team are profiled too: their summaries cover the Feature Development runs.
    const sideProfDir = join(tmp, 'cpuprofile-side');
    const sideProf = (name: string) => (opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(sideProfDir, name)}`, '--cpu-prof-interval=250'] : []);
    // The validator's Postgres round trips are counted too (per run: handoffValidatorPgRoundTrips).
    const validatorCounterFile = join(tmp, 'pg-counter-handoff-validator.json');
    const validator = await startService('handoff-validator', { ...common, HANDOFFS_DIR, BENCH_PG_COUNTER_FILE: validatorCounterFile }, [
      '-r',
      join(ROOT, 'bench/pg-query-counter.ts'),
      // The same diagnostic preload as the scheduler's (bench/timing-probe.ts writes both to one file).
      ...(process.env.BENCH_PRELOAD ? ['-r', resolve(process.env.BENCH_PRELOAD)] : []),
      ...sideProf('handoff-validator'),
    ]);
    services.push(validator);
    // Counted statements (bench/pg-query-counter.ts) for the cost of a probe; a CPU profile with --profile.
    const counterFile = join(tmp, 'pg-counter.json');
    const profDir = join(tmp, 'cpuprofile');
    const scheduler = await startService('scheduler', { ...common, HANDOFFS_DIR, SCHEDULER_CONSUMER_NAME: `bench-wf-${tag}`, BENCH_PG_COUNTER_FILE: counterFile }, [
      '-r',
      join(ROOT, 'bench/pg-query-counter.ts'),
      // A diagnostic preload (bench/README.md, BENCH_PRELOAD), e.g. bench/timing-probe.ts.
      ...(process.env.BENCH_PRELOAD ? ['-r', resolve(process.env.BENCH_PRELOAD)] : []),
      ...(opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] : []),
    ]);
    services.push(scheduler);
    pool = new Pool({ connectionString: db.url, max: 2 });
    nc = await connect({ servers: nats.url, name: `bench-workflows-${tag}` });
    const client = new BatonClient(nc, { timeoutMs: 30_000 });

    // The run events, as they are published: what finished each run, and the human approvals to give.
    const finished = new Map<string, (e: RecordedEvent) => void>();
    const runEvents = new Map<string, RecordedEvent[]>();
    const approvalsGiven: number[] = [];
    let approvalErrors = 0;
    // A durable consumer of the run events (on the bench's own NATS), not a plain subscription: the
    // relays publish only what some consumer of the stream reads (BATON_RELAY_PUBLISH).
    runWatch = await subscribeEvents({
      connection: nc,
      durable: `bench-wf-runs-${tag}`,
      subjects: ['baton.evt.run.>'],
      retryDelayMs: 100,
      handler: (e) => {
        const d = e.data as { runId?: string; stageId?: string; kind?: string };
        if (!d.runId) return;
        const list = runEvents.get(d.runId);
        if (list) list.push(e);
        if (e.type === 'StageApprovalRequested' && d.kind === 'human' && list) {
          const t = performance.now();
          void client
            .command(ApproveStage, { runId: d.runId, stageId: d.stageId!, reason: 'bench: approved at once' }, { commandId: randomUUID(), correlationId: d.runId, actor: { kind: 'human', id: 'bench-approver' } })
            .then(() => approvalsGiven.push(performance.now() - t))
            .catch(() => approvalErrors++);
        }
        if (e.type === 'RunCompleted' || e.type === 'RunFailed' || e.type === 'RunCancelled') finished.get(d.runId)?.(e);
      },
    });
    await nc.flush();

    const team = startChild('sim-agents', [...sideProf('sim-agents'), '-r', '@swc-node/register', 'tools/sim-agents/src/main.ts', '--agents', AGENTS_FILE, '--duration-ms', '0', '--steps', '1', '--failure-rate', '0', '--json'], {
      NATS_URL: nats.url,
    });
    services.push(team);
    await waitUntil('sim-agents ready', 90_000, async () => {
      if (team.proc.exitCode !== null) throw new Error(`sim-agents exited with ${team.proc.exitCode}:\n${team.tail.join('\n')}`);
      return team.lines.some((l) => l.includes('"sim.ready"'));
    }, 100);
    const seq = await BatonAgent.connect({ agentId: SEQ_AGENT, servers: nats.url, heartbeatIntervalMs: 2000 });
    agents.push(seq);
    await seq.register({ role: 'bench', capabilities: [], maxConcurrency: 8 });
    await seq.start(async (task) => ({ done: task.action }), { concurrency: 8 });
    const feature = await client.command(RegisterWorkflow, { yaml: readFileSync(join(ROOT, 'examples/workflows/feature-development.yml'), 'utf8'), file: 'feature-development.yml' }, { commandId: randomUUID() });
    const sequential = await client.command(RegisterWorkflow, { yaml: SEQUENTIAL_YAML, file: 'bench-sequential.yml' }, { commandId: randomUUID() });

    const runOnce = async (workflowId: string, timeoutMs: number): Promise<RunTiming> => {
      const runId = `bench-${randomBytes(6).toString('hex')}`;
      runEvents.set(runId, []);
      // A run that does not end in time is reported as TimedOut (with the events it got to), not thrown.
      const end = new Promise<RecordedEvent | undefined>((res) => {
        const t = setTimeout(() => res(undefined), timeoutMs);
        finished.set(runId, (e) => {
          clearTimeout(t);
          res(e);
        });
      });
      const t0 = performance.now();
      await client.command(StartRun, { workflowId, params: {}, priority: 'P1', runId }, { commandId: randomUUID(), actor: { kind: 'human', id: 'bench-starter' } });
      const last = await end;
      const wallMs = performance.now() - t0;
      finished.delete(runId);
      const events = runEvents.get(runId)!;
      runEvents.delete(runId);
      if (last === undefined) {
        const seen = events.map((e) => `${e.type}${(e.data as { stageId?: string }).stageId ? `:${(e.data as { stageId?: string }).stageId}` : ''}`);
        log(`  run ${runId} of ${workflowId} did not end in ${Math.round(timeoutMs)} ms; its events: ${seen.join(', ')}`);
        return { runId, state: 'TimedOut', wallMs, eventSpanMs: undefined };
      }
      const first = events.find((e) => e.type === 'RunStarted');
      const span = first ? Date.parse(last.metadata.occurredAt) - Date.parse(first.metadata.occurredAt) : undefined;
      return { runId, state: last.type, wallMs, eventSpanMs: span };
    };
    const schedulerPid = scheduler.proc.pid;
    const countedSnapshot = async (file: string, pid: number | undefined, what: string): Promise<PgCounterSnapshot> => {
      const seen = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PgCounterSnapshot).snap : 0;
      process.kill(pid!, 'SIGUSR2');
      return waitUntil(`the ${what} pg counter snapshot`, 5000, async () => {
        const s = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as PgCounterSnapshot) : undefined;
        return s && s.snap > seen ? s : undefined;
      }, 10);
    };
    const pgSnapshot = (): Promise<PgCounterSnapshot> => countedSnapshot(counterFile, schedulerPid, 'scheduler');
    const validatorPgSnapshot = (): Promise<PgCounterSnapshot> => countedSnapshot(validatorCounterFile, validator.proc.pid, 'handoff-validator');
    const seriesWindows = new Map<string, { fromUs: number; toUs: number }>();
    const series = async (what: string, workflowId: string, n: number, share: number) => {
      const until = performance.now() + share * left();
      // One run first, not counted: code paths warm, connections open.
      // The first run also waits for the team to be on line in the scheduler: give it up to a minute.
      const warm = await runOnce(workflowId, Math.max(10_000, Math.min(60_000, left() - 10_000)));
      if (warm.state !== 'RunCompleted') throw new Error(`${what}: the warm-up run ended with ${warm.state}`);
      const runs: RunTiming[] = [];
      const cost0 = { scheduler: cpuMsOf(schedulerPid), validator: cpuMsOf(validator.proc.pid), team: cpuMsOf(team.proc.pid), pg: await pgSnapshot(), validatorPg: await validatorPgSnapshot() };
      const fromUs = monoUs();
      for (let i = 0; i < n && performance.now() < until; i++) {
        if ((opts.gapMs ?? 0) > 0) await sleep(opts.gapMs!);
        runs.push(await runOnce(workflowId, Math.max(30_000, Math.min(until - performance.now(), left() - 20_000))));
      }
      seriesWindows.set(what, { fromUs, toUs: monoUs() });
      const cost1 = { scheduler: cpuMsOf(schedulerPid), validator: cpuMsOf(validator.proc.pid), team: cpuMsOf(team.proc.pid), pg: await pgSnapshot(), validatorPg: await validatorPgSnapshot() };
      const perRunOf = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || runs.length === 0 ? undefined : round((b - a) / runs.length, 1));
      // What a run costs, less dependent on the machine's load than its time: CPU of the services, the scheduler's Postgres round trips.
      const perRun = {
        schedulerCpuMs: perRunOf(cost0.scheduler, cost1.scheduler),
        handoffValidatorCpuMs: perRunOf(cost0.validator, cost1.validator),
        simAgentsCpuMs: perRunOf(cost0.team, cost1.team),
        handoffValidatorPgRoundTrips: perRunOf(cost0.validatorPg.total.calls, cost1.validatorPg.total.calls),
        handoffValidatorTopStatements: topStatements(cost0.validatorPg, cost1.validatorPg, 4, 60, (calls) => perRunOf(0, calls)),
        schedulerPgRoundTrips: perRunOf(cost0.pg.total.calls, cost1.pg.total.calls),
        topStatementsByCalls: topStatements(cost0.pg, cost1.pg, 10, 80, (calls) => perRunOf(0, calls)),
      };
      const ok = runs.filter((r) => r.state === 'RunCompleted');
      const wall = stats(ok.map((r) => r.wallMs));
      const span = stats(ok.flatMap((r) => (r.eventSpanMs === undefined ? [] : [r.eventSpanMs])));
      log(`${what}: ${ok.length}/${runs.length} runs succeeded; start -> end p50 ${wall.p50Ms} ms, max ${wall.maxMs} ms (events' own clock p50 ${span.p50Ms} ms)`);
      const hops = await hopsOf(pool!, ok.map((r) => r.runId));
      log(`  where a run's time goes (ms per run, p50 over runs, by the events' occurredAt): ${JSON.stringify(hops)}`);
      log(`  cost per run: ${JSON.stringify(perRun)}`);
      if (ok.length > 0) log(`  the last run's events, ms from its start: ${await timelineOf(pool!, ok[ok.length - 1]!.runId)}`);
      return { runs: runs.length, succeeded: ok.length, startToEnd: wall, eventSpan: span, hops, perRun, states: [...new Set(runs.map((r) => r.state))] };
    };
    log(`workflows: Feature Development x${opts.featureRuns}, 3-step sequential x${opts.sequentialRuns}, then ${opts.activeRuns} active runs`);
    const featureDevelopment = await series('Feature Development', feature.workflowId, opts.featureRuns, 0.3);
    const threeSteps = await series('3-step sequential', sequential.workflowId, opts.sequentialRuns, 0.2);

    // ------------------------------------------------------------ dispatch with many runs active
    const hold = await client.command(RegisterWorkflow, { yaml: HOLD_YAML, file: 'bench-hold.yml' }, { commandId: randomUUID() });
    const lat = await BatonAgent.connect({ agentId: LAT_AGENT, servers: nats.url, heartbeatIntervalMs: 2000 });
    agents.push(lat);
    const handlerAt = new Map<string, () => void>();
    await lat.register({ role: 'bench', capabilities: [], maxConcurrency: 64 });
    await lat.start(
      async (task) => {
        handlerAt.get(task.taskId)?.();
        return { ok: true };
      },
      { concurrency: 64 },
    );
    let profileWindow: { fromUs: number; toUs: number } | undefined;
    /** Submit → handler start, one task at a time; a task that reaches no handler in 10 s is a miss (three misses end the probe). */
    const probe = async (label: string, until: number) => {
      const pg0 = await pgSnapshot();
      const cpu0 = cpuMsOf(schedulerPid);
      const fromUs = monoUs();
      const measured = await probeLatency(label, until);
      const toUs = monoUs();
      const cpu1 = cpuMsOf(schedulerPid);
      const pg1 = await pgSnapshot();
      if (label === 'large') profileWindow = { fromUs, toUs };
      const n = Math.max(1, measured.probes);
      const statements = Object.entries(pg1.byStatement)
        .map(([k, v]) => ({ k, calls: v.calls - (pg0.byStatement[k]?.calls ?? 0), ms: v.ms - (pg0.byStatement[k]?.ms ?? 0) }))
        .filter((x) => x.calls > 0)
        .sort((a, b) => b.ms - a.ms)
        .slice(0, 6)
        .map((x) => `${round(x.calls / n, 1)}x ${round(x.ms / n, 2)} ms ${x.k.slice(0, 90)}`);
      return {
        ...measured,
        // The scheduler's whole cost over the probe window (background work included), per probe task.
        perProbe: {
          schedulerCpuMs: cpu0 === undefined || cpu1 === undefined ? undefined : round((cpu1 - cpu0) / n, 2),
          pgRoundTrips: round((pg1.total.calls - pg0.total.calls) / n, 1),
          pgMs: round((pg1.total.ms - pg0.total.ms) / n, 2),
          topStatementsByTime: statements,
        },
      };
    };
    const probeLatency = async (label: string, until: number): Promise<{ submitToHandler: Stats; misses: number; probes: number }> => {
      const xs: number[] = [];
      let misses = 0;
      let probes = 0;
      for (let i = 0; i < 20 + opts.probes && performance.now() < until && misses < 3; i++) {
        const taskId = `bench-probe-${label}-${i}-${tag}`;
        const seen = new Promise<number | undefined>((res) => {
          const t = setTimeout(() => res(undefined), 10_000);
          handlerAt.set(taskId, () => {
            clearTimeout(t);
            res(performance.now());
          });
        });
        const t0 = performance.now();
        probes++;
        await client.command(SubmitTask, { taskId, action: 'probe', requirement: { agentId: LAT_AGENT, capabilities: [] }, priority: 'P1', inputs: {} }, { commandId: randomUUID() });
        const at = await seen;
        handlerAt.delete(taskId);
        if (at === undefined) {
          misses++;
          log(`  probe ${taskId} reached no handler in 10 s`);
        } else if (i >= 20) xs.push(at - t0);
        await sleep(5);
      }
      return { submitToHandler: stats(xs), misses, probes };
    };
    let active = 0;
    const startHeld = async (upTo: number, until: number) => {
      while (active < upTo && performance.now() < until) {
        const batch: Promise<unknown>[] = [];
        for (let i = 0; i < 200 && active + batch.length < upTo; i++) {
          batch.push(client.command(StartRun, { workflowId: hold.workflowId, params: {}, priority: 'P2', runId: `bench-hold-${tag}-${active + batch.length}` }, { commandId: randomUUID(), actor: { kind: 'human', id: 'bench-starter' } }));
        }
        await Promise.all(batch);
        active += batch.length;
      }
    };
    /**
     * Until every started run waits on its stage (its task is queued in the scheduler's read
     * model), or `until`: then the probes run with those that wait by then (`waiting`), reported.
     */
    const settle = async (until: number): Promise<{ seconds: number; waiting: number }> => {
      const t = performance.now();
      for (;;) {
        const { rows } = await pool!.query<{ n: number }>(`SELECT count(*)::int AS n FROM scheduler.tasks WHERE status = 'queued' AND run_id LIKE $1`, [`bench-hold-${tag}-%`]);
        const waiting = rows[0]!.n;
        if (waiting >= active || performance.now() >= until) return { seconds: round((performance.now() - t) / 1000, 1), waiting };
        await sleep(200);
      }
    };
    const small = Math.min(100, opts.activeRuns);
    await startHeld(small, deadline);
    await settle(deadline);
    const atSmall = await probe('small', performance.now() + 0.15 * left());
    const t0 = performance.now();
    await startHeld(opts.activeRuns, performance.now() + 0.6 * left());
    const startSec = (performance.now() - t0) / 1000;
    // Measured once they all wait (the start-up backlog is startRunsPerSec and settleSeconds, not dispatch).
    const settled = await settle(performance.now() + 0.5 * left());
    log(`active runs: ${active} started (${round((active - small) / startSec, 1)} runs/s), ${settled.waiting} waiting on their stage ${settled.seconds} s later; dispatch probes at ${small}: p50 ${atSmall.submitToHandler.p50Ms} p99 ${atSmall.submitToHandler.p99Ms} ms, ${atSmall.misses} missed`);
    await sleep(1000);
    const atLarge = await probe('large', performance.now() + Math.max(5000, left() - 15_000));
    log(`active runs: dispatch probes at ${active}: p50 ${atLarge.submitToHandler.p50Ms} p99 ${atLarge.submitToHandler.p99Ms} ms, ${atLarge.misses} missed`);
    log(`  per probe at ${small}: ${JSON.stringify(atSmall.perProbe)}`);
    log(`  per probe at ${active}: ${JSON.stringify(atLarge.perProbe)}`);
    if (opts.profile) {
      await stopChild(scheduler, 15_000);
      const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile')) : [];
      if (files[0] && profileWindow) {
        const prof = JSON.parse(readFileSync(join(profDir, files[0]), 'utf8')) as CpuProfile;
        log(`scheduler profile of the probes at ${active} active runs:`);
        process.stderr.write(`${formatSummary(summarizeCpuProfile(prof, { ...profileWindow, top: 20 }))}\n`);
        for (const what of ['3-step sequential', 'Feature Development']) {
          const w = seriesWindows.get(what);
          if (!w) continue;
          log(`scheduler profile of the ${what} runs:`);
          process.stderr.write(`${formatSummary(summarizeCpuProfile(prof, { ...w, top: 25 }))}\n`);
        }
      } else log('no .cpuprofile was written');
      const window = seriesWindows.get('Feature Development');
      for (const [name, child] of [['handoff-validator', validator], ['sim-agents', team]] as const) {
        await stopChild(child, 15_000);
        const dir = join(sideProfDir, name);
        const file = existsSync(dir) ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
        if (!file || !window) {
          log(`no ${name} .cpuprofile was written`);
          continue;
        }
        log(`${name} profile of the Feature Development runs:`);
        process.stderr.write(`${formatSummary(summarizeCpuProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, { ...window, top: 25 }))}\n`);
        if (process.env.BENCH_PROFILE_KEEP) writeFileSync(join(process.env.BENCH_PROFILE_KEEP, `${name}.cpuprofile`), readFileSync(join(dir, file)));
      }
    }
    return {
      gapMs: opts.gapMs ?? 0,
      featureDevelopment,
      threeSteps,
      humanApprovals: { given: approvalsGiven.length, errors: approvalErrors, commandRoundTrip: stats(approvalsGiven) },
      activeRuns: {
        small: { runs: small, ...atSmall },
        large: { runs: active, requested: opts.activeRuns, startRunsPerSec: round((active - small) / startSec, 1), settleSeconds: settled.seconds, waitingAtProbes: settled.waiting, ...atLarge },
        waitingOn: `stage "wait" of each run, for agent ${HOLD_AGENT} (never on line)`,
      },
      elapsedSeconds: round((performance.now() - started) / 1000, 1),
    };
  } catch (err) {
    for (const s of services) process.stderr.write(`${s.tail.join('\n')}\n`);
    throw err;
  } finally {
    await Promise.allSettled(agents.map((a) => a.stop({ timeoutMs: 3000 })));
    await runWatch?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await pool?.end().catch(() => undefined);
    for (const s of [...services].reverse()) await stopChild(s, 15_000).catch(() => undefined);
    await nats.stop();
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
    log(`workflows: database ${db.name} dropped`);
  }
}

export type WorkflowResult = Awaited<ReturnType<typeof runWorkflowOverhead>>;

/**
 * Where the runs' time goes: for each run, the gaps between consecutive events of the run and
 * its tasks and handoffs (by position in the store, timed by their own `occurredAt`), summed per
 * kind of step (`previous type → type`); p50 over the runs of each sum, largest first.
 */
/** The `n` statements called most between two counter snapshots, as `<per run>x <first chars>`. */
function topStatements(before: PgCounterSnapshot, after: PgCounterSnapshot, n: number, width: number, perRun: (calls: number) => number | undefined): string[] {
  return Object.entries(after.byStatement)
    .map(([k, v]) => ({ k, calls: v.calls - (before.byStatement[k]?.calls ?? 0) }))
    .filter((x) => x.calls > 0)
    .sort((a, b) => b.calls - a.calls)
    .slice(0, n)
    .map((x) => `${perRun(x.calls)}x ${x.k.slice(0, width)}`);
}

/** One run's events in order, as `type[:stage] +ms` from its first (for reading where a hop waits). */
async function timelineOf(pool: Pool, runId: string): Promise<string> {
  const { rows } = await pool.query<{ type: string; stage: string | null; at: string }>(
    `SELECT type, data->>'stageId' AS stage, metadata->>'occurredAt' AS at
       FROM baton_es.events WHERE coalesce(data->>'runId', metadata->>'correlationId') = $1 ORDER BY tx_id, seq`,
    [runId],
  );
  const t0 = rows.length > 0 ? Date.parse(rows[0]!.at) : 0;
  return rows.map((r) => `${r.type}${r.stage ? `:${r.stage}` : ''} +${Date.parse(r.at) - t0}`).join(', ');
}

async function hopsOf(pool: Pool, runIds: readonly string[]): Promise<Record<string, number>> {
  if (runIds.length === 0) return {};
  const { rows } = await pool.query<{ run_id: string; type: string; at: string }>(
    `SELECT coalesce(data->>'runId', metadata->>'correlationId') AS run_id, type, metadata->>'occurredAt' AS at
       FROM baton_es.events WHERE coalesce(data->>'runId', metadata->>'correlationId') = ANY($1) ORDER BY tx_id, seq`,
    [runIds],
  );
  const perRun = new Map<string, Map<string, number>>();
  const last = new Map<string, { type: string; at: number }>();
  for (const r of rows) {
    const at = Date.parse(r.at);
    const prev = last.get(r.run_id);
    last.set(r.run_id, { type: r.type, at });
    if (!prev) continue;
    const sums = perRun.get(r.run_id) ?? new Map<string, number>();
    perRun.set(r.run_id, sums);
    const hop = `${prev.type}->${r.type}`;
    sums.set(hop, (sums.get(hop) ?? 0) + (at - prev.at));
  }
  const hops = new Set([...perRun.values()].flatMap((m) => [...m.keys()]));
  return Object.fromEntries(
    [...hops]
      .map((h) => [h, stats([...perRun.values()].map((m) => m.get(h) ?? 0)).p50Ms] as const)
      .filter(([, ms]) => ms > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

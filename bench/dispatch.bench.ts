/**
 * bench:dispatch: Baton's dispatch and orchestration measured against its peers in the same run,
 * with one JSON line on stdout (figures, peers' figures, each target with its ratio and `met`)
 * and progress on stderr. Baton is driven only through its public faces (NATS protocol, the
 * agent SDK, service processes), so the bench keeps working while its insides change. Flags,
 * parts and every JSON field: bench/README.md.
 *
 *   npm run bench:dispatch                       (full sizes: 20,000 tasks, 30 s at 1,000/s, 10,000 active runs; at most 20 min)
 *   npm run bench:dispatch -- --quick            (at most 7 min: 2,000 tasks, 5 s rates, 1,000 active runs)
 *   npm run bench:dispatch -- --tasks 5000 --parts baton,peers
 *
 * Env: DATABASE_URL (admin URL, default postgres://baton:baton@127.0.0.1:5432/baton),
 * BENCH_BUDGET_MS (the whole run's time budget; every part stops by itself within its share).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { runBatonDispatch, type BatonDispatchResult } from './baton-dispatch';
import { intFlag } from './flags';
import { runPeer, type PeerResult } from './peers/run-peer';
import type { PeerName } from './peers/queues';
import { BENCH_TRACING, Budget, cleanUpOnSignal, log, round } from './support';
import { judgeTargets } from './targets';
import { runWorkflowOverhead, type WorkflowResult } from './workflow-overhead';

const PARTS = ['baton', 'peers', 'workflows'] as const;
type Part = (typeof PARTS)[number];
const PEERS: readonly PeerName[] = ['graphile-worker', 'pg-boss'];

function parseCli() {
  const { values: argv } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      tasks: { type: 'string' },
      idle: { type: 'string' },
      rates: { type: 'string' },
      'rate-seconds': { type: 'string' },
      accounting: { type: 'string' },
      'active-runs': { type: 'string' },
      'workflow-runs': { type: 'string' },
      'workflow-gap-ms': { type: 'string' },
      parts: { type: 'string' },
      peers: { type: 'string' },
      profile: { type: 'boolean' },
      'shared-nats': { type: 'boolean' },
    },
  });
  const quick = argv.quick === true || process.env.BENCH_QUICK === '1';
  const parts = (argv.parts ?? PARTS.join(',')).split(',').map((p) => p.trim());
  for (const p of parts) if (!(PARTS as readonly string[]).includes(p)) throw new Error(`BAD_ARGUMENT: --parts takes ${PARTS.join(', ')}; got ${p}`);
  const peers = (argv.peers ?? PEERS.join(',')).split(',').map((p) => p.trim());
  for (const p of peers) if (!(PEERS as readonly string[]).includes(p)) throw new Error(`BAD_ARGUMENT: --peers takes ${PEERS.join(', ')}; got ${p}`);
  const rates = (argv.rates ?? process.env.BENCH_RATES ?? '200,1000').split(',').map((r) => intFlag('rates', r, 0));
  const budgetMs = intFlag('BENCH_BUDGET_MS', process.env.BENCH_BUDGET_MS, quick ? 420_000 : 1_200_000, 30_000);
  return {
    quick,
    parts: parts as Part[],
    peers: peers as PeerName[],
    tasks: intFlag('tasks', argv.tasks ?? process.env.BENCH_TASKS, quick ? 2000 : 20_000),
    idle: intFlag('idle', argv.idle ?? process.env.BENCH_IDLE, quick ? 200 : 500),
    rates,
    rateSeconds: intFlag('rate-seconds', argv['rate-seconds'] ?? process.env.BENCH_RATE_SECONDS, quick ? 5 : 30),
    accounting: intFlag('accounting', argv.accounting ?? process.env.BENCH_ACCOUNTING, quick ? 300 : 1000),
    activeRuns: intFlag('active-runs', argv['active-runs'] ?? process.env.BENCH_ACTIVE_RUNS, quick ? 1000 : 10_000),
    workflowRuns: intFlag('workflow-runs', argv['workflow-runs'] ?? process.env.BENCH_WORKFLOW_RUNS, quick ? 5 : 20),
    workflowGapMs: intFlag('workflow-gap-ms', argv['workflow-gap-ms'] ?? process.env.BENCH_WORKFLOW_GAP_MS, 0, 0),
    profile: argv.profile === true || process.env.BENCH_PROFILE === '1',
    sharedNats: argv['shared-nats'] === true || process.env.BENCH_SHARED_NATS === '1',
    budgetMs,
  };
}

async function main(): Promise<void> {
  const cfg = parseCli();
  cleanUpOnSignal();
  const budget = new Budget(cfg.budgetMs);
  const loadAtStart = loadavg().map((x) => round(x, 2));
  log(`parts ${cfg.parts.join(', ')}; peers ${cfg.peers.join(', ')}; budget ${cfg.budgetMs / 1000} s${cfg.quick ? ' (quick sizes)' : ''}`);
  const want = (p: Part) => cfg.parts.includes(p);
  // Shares of what is left when each part starts (weights: Baton 1, each peer 0.25, workflows 0.6),
  // in that order; the workflows get the rest.
  const peerCount = want('peers') ? cfg.peers.length : 0;
  const WORKFLOW_WEIGHT = 0.6;
  const PEER_WEIGHT = 0.25;
  const after = (want('workflows') ? WORKFLOW_WEIGHT : 0) + peerCount * PEER_WEIGHT;

  // A part that fails is reported in `errors` and the others still run: one JSON line either way.
  const errors: Partial<Record<string, string>> = {};
  const attempt = async <T>(part: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (err) {
      errors[part] = err instanceof Error ? err.message : String(err);
      log(`${part} failed: ${errors[part]}`);
      return undefined;
    }
  };
  let baton: BatonDispatchResult | undefined;
  if (want('baton')) {
    baton = await attempt('baton', () => runBatonDispatch({
      tasks: cfg.tasks,
      idle: cfg.idle,
      rates: cfg.rates,
      rateSeconds: cfg.rateSeconds,
      accounting: cfg.accounting,
      profile: cfg.profile,
      sharedNats: cfg.sharedNats ? { url: process.env.NATS_URL?.trim() || 'nats://127.0.0.1:4222', monitor: process.env.NATS_MONITOR_URL?.trim() || 'http://127.0.0.1:8222' } : undefined,
      budget,
      share: 1 / (1 + after),
    }));
  }
  const peers: Partial<Record<PeerName, PeerResult>> = {};
  if (want('peers')) {
    for (const [i, peer] of cfg.peers.entries()) {
      const remainingPeers = cfg.peers.length - i;
      const share = PEER_WEIGHT / (PEER_WEIGHT * remainingPeers + (want('workflows') ? WORKFLOW_WEIGHT : 0));
      peers[peer] = await attempt(peer, () => runPeer(peer, { tasks: cfg.tasks, idle: cfg.idle }, Math.max(30_000, share * budget.leftMs())));
    }
  }
  let workflows: WorkflowResult | undefined;
  if (want('workflows')) {
    workflows = await attempt('workflows', () =>
      runWorkflowOverhead({
        featureRuns: cfg.workflowRuns,
        sequentialRuns: cfg.workflowRuns,
        gapMs: cfg.workflowGapMs,
        activeRuns: cfg.activeRuns,
        // A p99 of 200 probes is their second slowest; 500 (the full run's) makes it the fifth.
        probes: Math.min(cfg.idle, 500),
        profile: cfg.profile,
        budget,
        share: 1,
      }),
    );
  }

  const s1000 = baton?.sustained['1000'];
  const gw = peers['graphile-worker'];
  const targets = judgeTargets({
    rateSecondsWanted: cfg.rateSeconds,
    baton: baton && {
      drainEndToEndPerSec: baton.drain.endToEndLifecyclesPerSec,
      drainFinished: baton.drain.finishedWithinBudget,
      idleP50Ms: baton.idle.submitToHandler.p50Ms,
      idleP99Ms: baton.idle.submitToHandler.p99Ms,
      sustained1000: s1000 && { seconds: cfg.rateSeconds, saturated: s1000.saturatedAfterMs !== null, missed: s1000.missedAfter10s, p99Ms: s1000.submitToHandler.p99Ms },
      messagesPerLifecycle: baton.messages.wireTapPerTask,
      cpuMsPerLifecycle: baton.drain.cpuMsPerTask.serverSide,
      schedulerSettledRssMb: baton.rss.schedulerSettled?.rssMb,
    },
    graphileWorker: gw && { endToEndJobsPerSec: gw.drain.endToEndJobsPerSec, idleP50Ms: gw.idle.enqueueToHandlerStart.p50Ms, idleP99Ms: gw.idle.enqueueToHandlerStart.p99Ms },
    workflows: workflows && {
      activeRunsSmall: { runs: workflows.activeRuns.small.runs, p99Ms: workflows.activeRuns.small.submitToHandler.p99Ms, misses: workflows.activeRuns.small.misses },
      activeRunsLarge: { runs: workflows.activeRuns.large.runs, requested: workflows.activeRuns.large.requested, p99Ms: workflows.activeRuns.large.submitToHandler.p99Ms, misses: workflows.activeRuns.large.misses },
      featureDevelopment: { runs: workflows.featureDevelopment.runs, succeeded: workflows.featureDevelopment.succeeded, p50Ms: workflows.featureDevelopment.startToEnd.p50Ms },
      threeSteps: { runs: workflows.threeSteps.runs, succeeded: workflows.threeSteps.succeeded, p50Ms: workflows.threeSteps.startToEnd.p50Ms },
    },
  });
  const result = {
    bench: 'dispatch',
    machine: { cpus: cpus().length, loadAvgAtStart: loadAtStart, loadAvgAtEnd: loadavg().map((x) => round(x, 2)) },
    config: { ...cfg, tracing: BENCH_TRACING, services: 'scheduler (and for workflows agent-registry, handoff-validator) as child processes; peers each in a child process on its own database' },
    baton,
    peers,
    workflows,
    errors,
    targets,
    met: Object.values(targets).every((t) => t.met),
    elapsedSeconds: round(budget.elapsedMs() / 1000, 1),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  if (Object.keys(errors).length > 0) process.exitCode = 1;
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

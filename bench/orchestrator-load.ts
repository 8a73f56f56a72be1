/**
 * test:orchestrator:load: a steady stream of task requests against a running Baton, the load the
 * file mode's teams bring when they move up to the engine. By default 100 tasks a minute for 5
 * minutes: each is submitted (submit-task), assigned by the scheduler and worked by one of a few
 * in-process SDK agents (1-3 s of simulated work). Prints assignment time (submit → the agent
 * has the task) as percentiles against the < 5 s target, and the peak memory of the Baton
 * processes against the < 512 MB target: progress on stderr, one JSON line on stdout.
 *
 *   npm run test:orchestrator:load                          (100/min for 5 min; own NATS, database, registry and scheduler)
 *   npm run test:orchestrator:load -- --minutes 1 --rate 100
 *   npm run test:orchestrator:load -- --nats nats://127.0.0.1:4222   (a stack that is already running; memory not measured)
 *
 * Run on demand, not in CI: it takes the minutes it is asked for.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { BatonAgent } from '@baton/agent-sdk';
import { SubmitTask } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { cleanUpOnSignal, createBenchDatabase, log, pct, round, rssOf, sleep, startPrivateNats, startService, stopChild, waitUntil, type BenchDatabase, type Child, type PrivateNats } from './support';

const TARGET_ASSIGN_MS = 5000;
const TARGET_MEMORY_MB = 512;

function options() {
  const { values } = parseArgs({ options: { minutes: { type: 'string' }, rate: { type: 'string' }, agents: { type: 'string' }, nats: { type: 'string' } } });
  const num = (name: string, v: string | undefined, dflt: number, min: number) => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`BAD_ARGUMENT: --${name} must be a number >= ${min}, got ${v}`);
    return n;
  };
  return {
    minutes: num('minutes', values.minutes, 5, 0.1),
    ratePerMinute: num('rate', values.rate, 100, 1),
    agents: Math.floor(num('agents', values.agents, 3, 1)),
    natsUrl: values.nats ?? undefined,
  };
}

async function main(): Promise<void> {
  const opts = options();
  cleanUpOnSignal();
  const tag = randomBytes(3).toString('hex');
  const tmp = mkdtempSync(join(tmpdir(), 'baton-load-'));
  let nats: PrivateNats | undefined;
  let db: BenchDatabase | undefined;
  const services: Child[] = [];
  const conns: NatsConnection[] = [];
  const agents: BatonAgent[] = [];
  const peakMb = new Map<string, number>();
  const watch = (name: string, pid: number | undefined) => {
    const r = rssOf(pid);
    if (r) peakMb.set(name, Math.max(peakMb.get(name) ?? 0, r.hwmMb));
  };
  try {
    let natsUrl = opts.natsUrl;
    if (natsUrl === undefined) {
      nats = await startPrivateNats(join(tmp, 'nats'));
      natsUrl = nats.url;
      db = await createBenchDatabase(`baton_load_${tag}`);
      const env = { DATABASE_URL: db.url, NATS_URL: natsUrl };
      services.push(await startService('agent-registry', env));
      services.push(await startService('scheduler', { ...env, SCHEDULER_AGENT_EVENTS_FROM: 'new' }));
      log(`stack: nats ${natsUrl}, database ${db.name}, agent-registry pid ${services[0]!.proc.pid}, scheduler pid ${services[1]!.proc.pid}`);
    } else {
      log(`against the running stack at ${natsUrl} (its memory is not measured from here)`);
    }
    const names = ['agent-registry', 'scheduler'];
    const sampler = setInterval(() => services.forEach((s, i) => watch(names[i]!, s.proc.pid)), 1000);

    const capability = `load_${tag}`;
    const submittedAt = new Map<string, number>();
    const assignMs = new Map<string, number>();
    for (let i = 0; i < opts.agents; i++) {
      const agent = await BatonAgent.connect({ agentId: `load-${tag}-${i + 1}`, servers: natsUrl, heartbeatIntervalMs: 2000 });
      agents.push(agent);
      await agent.register({ role: 'load', capabilities: [capability], maxConcurrency: 10 });
      await agent.start(async (task) => {
        const at = submittedAt.get(task.taskId);
        if (at !== undefined && !assignMs.has(task.taskId)) assignMs.set(task.taskId, performance.now() - at);
        await sleep(1000 + Math.random() * 2000);
        return { summary: `done ${task.taskId}` };
      });
    }
    const nc = await connect({ servers: natsUrl, name: `orchestrator-load-${tag}` });
    conns.push(nc);
    const client = new BatonClient(nc, { timeoutMs: 10_000 });

    const total = Math.round(opts.minutes * opts.ratePerMinute);
    const intervalMs = 60_000 / opts.ratePerMinute;
    log(`submitting ${total} tasks at ${opts.ratePerMinute}/min for ${opts.minutes} min to ${opts.agents} agents`);
    const start = performance.now();
    const submitErrors: string[] = [];
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = start + i * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const taskId = `load-${tag}-${i + 1}`;
      submittedAt.set(taskId, performance.now());
      inFlight.push(
        client
          .command(SubmitTask, { taskId, action: 'load', requirement: { capabilities: [capability] }, priority: (['P0', 'P1', 'P2'] as const)[i % 3]!, inputs: { n: i } }, { commandId: `submit-${taskId}` })
          .then(() => undefined, (err: unknown) => void submitErrors.push(`${taskId}: ${(err as Error).message}`)),
      );
      if ((i + 1) % Math.max(1, Math.round(opts.ratePerMinute / 2)) === 0) {
        const got = [...assignMs.values()].sort((a, b) => a - b);
        log(`${i + 1}/${total} submitted, ${got.length} assigned, p50 ${round(pct(got, 50), 1)} ms, p99 ${round(pct(got, 99), 1)} ms`);
      }
    }
    await Promise.all(inFlight);
    await waitUntil('every task assigned', 60_000, async () => assignMs.size + submitErrors.length >= total, 200).catch((err: unknown) => log(String(err)));
    clearInterval(sampler);
    services.forEach((s, i) => watch(names[i]!, s.proc.pid));
    peakMb.set('load driver (this process, agents included)', round(process.memoryUsage().rss / 1024 / 1024, 1));

    const sorted = [...assignMs.values()].sort((a, b) => a - b);
    const p = (q: number) => round(pct(sorted, q), 1);
    const stackPeakMb = round([...peakMb.entries()].filter(([k]) => names.includes(k)).reduce((s, [, v]) => s + v, 0), 1);
    const result = {
      bench: 'orchestrator-load',
      minutes: opts.minutes,
      ratePerMinute: opts.ratePerMinute,
      submitted: total,
      assigned: sorted.length,
      submitErrors: submitErrors.length,
      assignmentMs: { p50: p(50), p90: p(90), p95: p(95), p99: p(99), max: round(sorted[sorted.length - 1] ?? Number.NaN, 1) },
      peakRssMb: Object.fromEntries(peakMb),
      targets: {
        assignmentUnder5s: { target: `p99 < ${TARGET_ASSIGN_MS} ms`, met: sorted.length === total && p(99) < TARGET_ASSIGN_MS },
        memoryUnder512MB: services.length === 0 ? { target: `< ${TARGET_MEMORY_MB} MB`, met: null, note: 'stack not started here' } : { target: `each Baton process < ${TARGET_MEMORY_MB} MB`, met: names.every((n) => (peakMb.get(n) ?? Infinity) < TARGET_MEMORY_MB), stackPeakMb },
      },
    };
    log(`assignment time (submit → agent has the task), ${sorted.length}/${total} tasks: p50 ${p(50)} ms, p90 ${p(90)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms, max ${result.assignmentMs.max} ms (target < ${TARGET_ASSIGN_MS} ms)`);
    for (const [name, mb] of peakMb) log(`peak RSS ${name}: ${mb} MB`);
    for (const e of submitErrors.slice(0, 5)) log(`submit error: ${e}`);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await Promise.allSettled(agents.map((a) => a.stop({ timeoutMs: 5000 })));
    await Promise.allSettled(conns.map((c) => c.close()));
    for (const s of services.reverse()) await stopChild(s, 10_000);
    await nats?.stop();
    await db?.drop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`orchestrator-load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

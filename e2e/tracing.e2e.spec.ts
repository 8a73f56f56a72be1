import { spawn } from 'node:child_process';
import path from 'node:path';
import { GetRun, type RecordedEvent } from '@baton/contracts';
import { BatonClient } from '@baton/messaging';
import { env, uniqueId, waitFor } from '@baton/testing';
import { E2eStack } from './support/e2e-stack';
import { compiledMain, repoRoot, runBaton, SimAgentsProcess } from './support/stack';

// One run, one trace: Feature Development with the simulated team, every process exporting its
// spans to a real Jaeger over OTLP/HTTP. The run's trace id is the one stored with its
// RunStarted event; Jaeger's query API must then hold that trace with the CLI's command, the
// scheduler's run, stages and tasks, the agents' work and the handoff-validator's verdicts, each
// span's parent in the same trace.

const JAEGER_URL = env('TEST_JAEGER_URL') ?? 'http://127.0.0.1:16686';
const OTLP_URL = env('TEST_OTLP_URL') ?? 'http://127.0.0.1:4318';
const WORKFLOW = path.join(repoRoot, 'examples/workflows/feature-development.yml');

/** Tracing on, exporting every 200 ms, so the spans reach Jaeger soon after they end. */
const OTEL_ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_URL, OTEL_BSP_SCHEDULE_DELAY: '200' };

interface JaegerSpan {
  readonly traceID: string;
  readonly spanID: string;
  readonly operationName: string;
  readonly references: readonly { readonly refType: string; readonly traceID: string; readonly spanID: string }[];
  readonly processID: string;
  readonly tags: readonly { readonly key: string; readonly value: unknown }[];
}

interface JaegerTrace {
  readonly traceID: string;
  readonly spans: readonly JaegerSpan[];
  readonly processes: Readonly<Record<string, { readonly serviceName: string }>>;
}

/** A trace as Jaeger's query API returns it (`GET /api/traces/<id>`), or undefined while it has none. */
async function jaegerTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const res = await fetch(`${JAEGER_URL}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`Jaeger answered ${res.status} for trace ${traceId}: ${await res.text()}`);
  const body = (await res.json()) as { data?: JaegerTrace[] };
  return body.data?.[0];
}

/** The spans of a trace with their service, parent and tags, for the assertions. */
class TraceView {
  readonly byId = new Map<string, JaegerSpan>();
  constructor(readonly trace: JaegerTrace) {
    for (const s of trace.spans) this.byId.set(s.spanID, s);
  }
  service(s: JaegerSpan): string {
    return this.trace.processes[s.processID]?.serviceName ?? '?';
  }
  parentId(s: JaegerSpan): string | undefined {
    return s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;
  }
  parent(s: JaegerSpan): JaegerSpan | undefined {
    const id = this.parentId(s);
    return id === undefined ? undefined : this.byId.get(id);
  }
  tag(s: JaegerSpan, key: string): unknown {
    return s.tags.find((t) => t.key === key)?.value;
  }
  /** The span and its ancestors up to the root, nearest first. */
  chain(s: JaegerSpan): JaegerSpan[] {
    const out: JaegerSpan[] = [];
    for (let cur: JaegerSpan | undefined = s; cur !== undefined && out.length < 1000; cur = this.parent(cur)) out.push(cur);
    return out;
  }
  named(prefix: string): JaegerSpan[] {
    return this.trace.spans.filter((s) => s.operationName.startsWith(prefix));
  }
  /** Spans whose parent is not in the trace (the root, and any span cut off from it). */
  orphans(): JaegerSpan[] {
    return this.trace.spans.filter((s) => {
      const p = this.parentId(s);
      return p === undefined || !this.byId.has(p);
    });
  }
}

describe('one run, one trace (e2e, Jaeger)', () => {
  const stack = new E2eStack({ database: 'e2e_tracing' });
  let client: BatonClient;

  const baton = async (args: readonly string[], as = 'alice'): Promise<string> => {
    const r = await runBaton(['--nats', stack.natsUrl, ...args], { ...stack.common, ...OTEL_ENV, BATON_USER: as });
    if (r.code !== 0) throw new Error(`baton ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    const jaeger = await fetch(`${JAEGER_URL}/api/services`).catch((err: unknown) => err as Error);
    if (jaeger instanceof Error || !jaeger.ok) {
      throw new Error(`Jaeger's query API is not answering at ${JAEGER_URL} (TEST_JAEGER_URL); start it with: bash scripts/infra.sh up`);
    }
    await stack.start();
    client = new BatonClient(stack.nc, { timeoutMs: 20_000 });
    await stack.workflowServices(uniqueId('e2e-trace'), OTEL_ENV);
    // The simulated team, as `npm start` runs it, with tracing on through the agent SDK.
    const proc = spawn(process.execPath, ['--enable-source-maps', compiledMain('tools/sim-agents'), '--json', '--agents', 'examples/agents.yaml', '--duration-ms', '50-150', '--steps', '1', '--heartbeat-ms', '1000'], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '', LOG_LEVEL: 'warn', NATS_URL: stack.natsUrl, ...OTEL_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const sim = stack.track(new SimAgentsProcess('sim-agents', proc));
    await sim.waitForLine((l) => l.type === 'sim.ready', 'ready', 60_000);
  });

  afterAll(() => stack.stop());

  it('Feature Development is one trace in Jaeger: CLI, scheduler, agents and handoff-validator, every span under its parent', async () => {
    await baton(['workflows', 'register', WORKFLOW]);
    const runId = uniqueId('trace-run').replace(/[^A-Za-z0-9_-]/g, '-');
    await baton(['workflows', 'execute', 'WF-FEAT-001', '--run-id', runId]);

    // Stages that need a person are approved through the CLI, by someone who did not start the run
    // (their command is a trace of its own: the run's trace must still hold the stage it releases).
    const result = await waitFor(
      async () => {
        const run = await client.query(GetRun, { runId });
        if (run.state !== 'running') return run;
        const replay = JSON.parse(await baton(['replay', runId, '--json'])) as { stages: { stageId: string; status: string; awaiting: string | null }[] };
        for (const st of replay.stages) {
          if (st.status === 'awaiting_approval' && /^human/.test(st.awaiting ?? '')) await baton(['approve', runId, st.stageId, '--reason', 'traced'], 'release-manager');
        }
        return undefined;
      },
      { what: `run ${runId} finished`, timeoutMs: 180_000, intervalMs: 500 },
    );
    expect(result.state).toBe('success');

    const events = JSON.parse(await baton(['audit', runId, '--json'])) as RecordedEvent[];
    const started = events.find((e) => e.type === 'RunStarted');
    const traceparent = started?.metadata.traceparent;
    expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    const traceId = traceparent!.slice(3, 35);
    const runSpanId = traceparent!.slice(36, 52);
    const taskIds = [...new Set(events.filter((e) => e.type === 'TaskCompleted').map((e) => (e.data as { taskId: string }).taskId))];
    expect(taskIds.length).toBeGreaterThan(5);

    // Spans arrive in batches from seven processes: poll until every completed task's work is in.
    const view = await waitFor(
      async () => {
        const t = await jaegerTrace(traceId);
        if (!t) throw new Error(`trace ${traceId} not in Jaeger yet`);
        const v = new TraceView(t);
        const worked = new Set(v.named('process baton.agent.*.inbox').map((s) => v.tag(s, 'baton.task.id')));
        const missing = taskIds.filter((id) => !worked.has(id));
        if (missing.length > 0) throw new Error(`${t.spans.length} spans; no agent span yet for ${missing.length} task(s): ${missing.slice(0, 3).join(', ')}`);
        const orphans = v.orphans();
        if (orphans.length !== 1) throw new Error(`${orphans.length} spans without their parent yet: ${orphans.slice(0, 5).map((s) => `${v.service(s)}:${s.operationName}`).join(', ')}`);
        return v;
      },
      { what: `the run's trace ${traceId} complete in Jaeger`, timeoutMs: 60_000, intervalMs: 1000 },
    );

    // One root, the CLI command that started the run; every other span's parent is in the trace.
    const [root] = view.orphans();
    expect(view.service(root!)).toBe('baton-cli');
    expect(root!.operationName).toBe('baton workflows');
    expect(view.byId.has(runSpanId)).toBe(true);
    expect(view.byId.get(runSpanId)!.operationName).toBe('run StartRun');

    const services = new Set(view.trace.spans.map((s) => view.service(s)));
    for (const svc of ['baton-cli', 'scheduler', 'handoff-validator', 'baton-agent']) expect(services).toContain(svc);
    expect(services.size).toBeGreaterThanOrEqual(3);

    // Each agent's work: the handler under its inbox delivery, under the scheduler's publish of
    // the assignment (its own command, or the task's creation), under the task's creation in its
    // stage, under the run.
    for (const taskId of taskIds) {
      const delivery = view.named('process baton.agent.*.inbox').find((s) => view.tag(s, 'baton.task.id') === taskId)!;
      expect(view.service(delivery)).toBe('baton-agent');
      const handler = view.trace.spans.find((s) => s.operationName.startsWith('handle ') && view.parentId(s) === delivery.spanID);
      expect(handler).toBeDefined();
      const chain = view.chain(delivery);
      const names = chain.map((s) => `${view.service(s)}:${s.operationName}`);
      expect(names[1]).toBe('scheduler:send baton.agent.*.inbox');
      // Assigned by a pass, or created already assigned (an agent was free when its stage started).
      expect(['scheduler:task AssignTask', 'scheduler:task CreateTask']).toContain(names[2]);
      const created = chain.find((s) => s.operationName === 'task CreateTask');
      expect(created && view.tag(created, 'baton.stream.id')).toBe(`task-${taskId}`);
      const stage = chain.find((s) => s.operationName.startsWith('stage '));
      expect(stage && view.service(stage)).toBe('scheduler');
      expect(chain.some((s) => s.spanID === runSpanId)).toBe(true);
      expect(chain[chain.length - 1]!.spanID).toBe(root!.spanID);
    }

    // Handoff verdicts: the validator's span under the agent's completion of its task.
    const validations = view.named('validate handoff');
    expect(validations.length).toBeGreaterThan(0);
    for (const v of validations) {
      expect(view.service(v)).toBe('handoff-validator');
      const chain = view.chain(v).map((s) => `${view.service(s)}:${s.operationName}`);
      expect(chain[1]).toBe('handoff-validator:process baton.cmd.handoff-validator.validate-handoff');
      expect(chain).toContain('scheduler:process baton.cmd.scheduler.complete-task');
      expect(chain).toContain('baton-agent:process baton.agent.*.inbox');
    }
    expect(view.trace.spans.some((s) => view.service(s) === 'handoff-validator' && s.operationName.startsWith('handoff ') && view.parent(s)?.operationName === 'validate handoff')).toBe(true);
  });
});

import { handoff, TaskFailure, type AgentTask, type HandoffResult, type TaskContext, type TaskHandler, type TaskOutputs } from '@baton/agent-sdk';
import { BatonError, TaskChecks } from '@baton/contracts';
import { sampleArtifacts, sampleContext, sampleOutputs } from '@baton/handoff-rules';
import { outputsFor, type OutputsByAction } from './outputs';
import { between, taskRandom } from './random';

export interface SimulatedWorkOptions {
  readonly agentId: string;
  readonly seed: number;
  readonly durationMs: { readonly min: number; readonly max: number };
  readonly failureRate: number;
  readonly steps: number;
  readonly outputs: OutputsByAction;
}

/** Waits `ms` as the simulated work; throws the abort reason when the task is lost or the agent stops. */
function working(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    // An agent told to answer at once (`--duration-ms 0`) does not wait for a timer tick either.
    if (ms <= 0) return resolve();
    const onAbort = (): void => {
      clearTimeout(t);
      reject((signal.reason as Error | undefined) ?? new BatonError('UNAVAILABLE', 'aborted'));
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** What one simulated attempt will do, decided up front from the seed: per-step time and tokens, and whether it fails. */
export function planAttempt(task: Pick<AgentTask, 'taskId' | 'attempt'>, o: SimulatedWorkOptions): { stepMs: number[]; tokens: number[]; fails: boolean } {
  const random = taskRandom(o.seed, o.agentId, task.taskId, task.attempt);
  const total = between(random, o.durationMs.min, o.durationMs.max);
  const stepMs = Array.from({ length: o.steps }, (_, i) => Math.floor(total / o.steps) + (i === o.steps - 1 ? total % o.steps : 0));
  const tokens = Array.from({ length: o.steps }, () => between(random, 200, 2000));
  const fails = random() < o.failureRate;
  return { stepMs, tokens, fails };
}

/** A bare gate or criterion name (`no_regressions`), as opposed to a threshold (`coverage >= 80%`). */
const FLAG = /^[a-z][a-z0-9_.]*$/i;

/**
 * A handoff that passes the task's checks (`inputs.checks`): the sample artifacts of
 * `@baton/handoff-rules` (compliant with examples/handoffs) plus a plausible one for each other
 * declared output, the sample context, and every flag gate or criterion reported as holding.
 */
export function compliantHandoff(task: Pick<AgentTask, 'inputs'>, outputs: TaskOutputs): HandoffResult | null {
  const parsed = TaskChecks.safeParse(task.inputs['checks'] ?? undefined);
  if (task.inputs['checks'] == null || !parsed.success) return null;
  const checks = parsed.data;
  const artifacts: Record<string, string> = { ...sampleArtifacts };
  for (const [name, value] of Object.entries(outputs)) {
    if (!(name in artifacts) && (checks.declaredOutputs ?? []).includes(name)) artifacts[name] = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  }
  const flags = Object.fromEntries([...checks.qualityGate, ...checks.criteria].filter((g) => FLAG.test(g)).map((g) => [g, true]));
  return handoff({ artifacts, context: sampleContext, outputs: { ...outputs, ...sampleOutputs, ...flags } });
}

/**
 * The handler of a simulated agent: works in `steps` steps (reporting progress and tokens
 * after each but the last), then fails at the configured rate (a retryable `SIMULATED_FAILURE`)
 * or returns the configured or plausible outputs: as a compliant handoff when the task has
 * checks, and as an approval for `approve_stage` tasks.
 */
export function simulatedWork(o: SimulatedWorkOptions): TaskHandler {
  return async (task: AgentTask, ctx: TaskContext): Promise<TaskOutputs | HandoffResult> => {
    const plan = planAttempt(task, o);
    let tokens = 0;
    for (let i = 0; i < o.steps; i++) {
      await working(plan.stepMs[i] ?? 0, ctx.signal);
      tokens += plan.tokens[i] ?? 0;
      if (i < o.steps - 1) await ctx.progress(Math.round(((i + 1) / o.steps) * 100), `step ${i + 1}/${o.steps}`, tokens);
    }
    if (plan.fails) throw new TaskFailure(`simulated failure of ${task.action} (failure rate ${o.failureRate})`, { code: 'SIMULATED_FAILURE', retryable: true });
    if (task.action === 'approve_stage' && !Object.hasOwn(o.outputs, 'approve_stage')) return { decision: 'approved', reason: `${o.agentId} approves (simulated)` };
    const outputs = outputsFor(task, o.agentId, o.outputs, taskRandom(o.seed + 1, o.agentId, task.taskId, task.attempt));
    return compliantHandoff(task, outputs) ?? outputs;
  };
}

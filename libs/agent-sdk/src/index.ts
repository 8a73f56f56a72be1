/**
 * `@baton/agent-sdk`: the TypeScript SDK for agents that work on Baton.
 *
 * An agent registers its profile with the agent-registry, sends heartbeats
 * (`baton.agent.<id>.heartbeat`, with the tasks in hand), and works the assignments the scheduler
 * pushes to its durable inbox (consumer `agent-<id>` on stream `BATON_AGENT_INBOX`, so what was
 * assigned while it was away waits for it). For each assignment the SDK calls your handler with
 * at most `maxConcurrency` running at once, then completes the task with the outputs the handler
 * returned, or fails it with what the handler threw. It sends no `accept-task`: the holder's first
 * progress or its completion records the acceptance (see docs/messaging.md), which saves a
 * request, its reply and an append per task. Every report carries the
 * task's lease epoch: when the task was given to another agent (this one was presumed dead) the
 * scheduler answers STALE_LEASE and the SDK quietly stops working it. The inbox message is
 * acknowledged only once the outcome is recorded, so an agent that crashes gets it again.
 *
 * Errors are `BatonError`s (from `@baton/contracts`) with a stable `code`: branch on the code.
 *
 * @example
 * import { BatonAgent, TaskFailure, errorCodeOf } from '@baton/agent-sdk';
 * import { GetTask } from '@baton/contracts';
 *
 * const agent = await BatonAgent.connect({
 *   agentId: 'MCT-PM-001',
 *   servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4222',
 *   heartbeatIntervalMs: 5000,
 *   onActivity: (a) => console.log(a.type, 'taskId' in a ? a.taskId : ''),
 * });
 * await agent.register({ role: 'product_manager', capabilities: ['write_prd'], maxConcurrency: 3 });
 * await agent.start(async (task, ctx) => {
 *   if (task.action !== 'write_prd') throw new TaskFailure(`cannot do ${task.action}`, { code: 'UNSUPPORTED' });
 *   await ctx.progress(10, 'reading the initiative', 1200);     // STALE_LEASE here ends the task quietly
 *   await ctx.blocked('waiting for the market research');
 *   await ctx.unblocked();
 *   // Long work should watch ctx.signal: it aborts when the task is lost or stop() runs out of time.
 *   const prd = `# PRD: ${String(task.inputs['title'] ?? task.taskId)}\n\n## Goals\n...`;
 *   await ctx.progress(90, 'PRD drafted', 5400);
 *   return { 'prd.md': prd };                                     // completes the task with these outputs
 * });
 *
 * // Send commands and queries of your own; refusals are BatonErrors with a code.
 * const view = await agent.query(GetTask, { taskId: 'task-1' }).catch((err: unknown) => {
 *   if (errorCodeOf(err) === 'NOT_FOUND') return undefined;
 *   throw err;
 * });
 *
 * process.once('SIGTERM', () => void agent.stop({ timeoutMs: 30_000 })); // drain: finish what is in hand
 */
export { BatonAgent, DEFAULT_MAX_REWORKS, type AgentProfile, type BatonAgentOptions, type TaskContext, type TaskHandler } from './baton-agent';
export { stderrLogger, type AgentActivity, type AgentLogger, type AgentTask, type TaskActivity } from './activity';
export { TaskFailure, failureOf, isRetryableCode, type FailureReport } from './errors';
export { handoff, isHandoff, outputsOf, type Handoff, type HandoffResult, type TaskOutputs } from './outcome';
export { CommandClient, type CommandClientOptions } from './wire';
export { upstreamArtifacts, type UpstreamArtifact } from './upstream-artifacts';
export { BatonError, errorCodeOf, type ErrorCode } from '@baton/contracts';
export {
  memoryDedupe,
  subscribeEvents,
  type EventDedupe,
  type EventDelivery,
  type EventStart,
  type EventSubscription,
  type EventSubscriptionOptions,
  type EventSubscriptionStats,
} from './event-subscription';

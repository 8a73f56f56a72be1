/**
 * Test-only helpers of the escalation service's tests: a quick ladder, stand-ins for the agent
 * registry and the scheduler. The events other services publish come from `publishRelayedEvent`
 * (`@baton/testing`).
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EVENTS_STREAM } from '@baton/contracts';

/** A workflow whose metadata sets a quick escalation ladder (10 min / 20 min / 40 min, stall 15 min). */
export function quickLadderWorkflow(id: string): string {
  return [
    'workflow:',
    `  id: "${id}"`,
    '  name: "Quick escalation"',
    '  version: "1.0.0"',
    '  trigger:',
    '    type: "manual"',
    '  metadata:',
    '    escalation: { l1_after: 10m, l2_after: 20m, l3_after: 40m, stall_after: 15m }',
    '  stages:',
    '    - stage: "write"',
    '      agent: "MCT-PM-001"',
    '      action: "write_prd"',
    '',
  ].join('\n');
}

/** An agent as the registry knows it (its peers and lead). */
export interface RegistryAgent {
  readonly peers: readonly string[];
  readonly lead: string | null;
}

/**
 * Test double of the agent registry over a real NATS connection: answers
 * `baton.qry.agent-registry.get-agent` for the agents in `agents` (NOT_FOUND for others), as
 * the registry would. Returns the subscription's unsubscribe.
 */
export function serveRegistry(nc: NatsConnection, agents: ReadonlyMap<string, RegistryAgent>, at: Date): () => void {
  const sub = nc.subscribe('baton.qry.agent-registry.get-agent', {
    callback: (err, msg) => {
      if (err) return;
      const agentId = (JSON.parse(new TextDecoder().decode(msg.data)) as { data: { agentId: string } }).data.agentId;
      const agent = agents.get(agentId);
      const reply = agent
        ? {
            ok: true,
            data: {
              agentId,
              name: null,
              role: 'pm',
              capabilities: [],
              model: null,
              maxConcurrency: 1,
              peers: agent.peers,
              lead: agent.lead,
              status: 'available',
              registeredAt: at.toISOString(),
              revision: 0,
              state: 'IDLE',
              load: 0,
              lastHeartbeatAt: null,
              performance: { tasksCompleted: 0, tasksFailed: 0, meanCompletionMs: null, errorRate: 0 },
            },
          }
        : { ok: false, error: { code: 'NOT_FOUND', message: `agent ${agentId} was not found`, details: { what: 'agent', id: agentId } } };
      msg.respond(JSON.stringify(reply));
    },
  });
  return () => sub.unsubscribe();
}

/** A request the scheduler double received. */
export interface SchedulerRequest {
  readonly subject: string;
  readonly body: { commandId: string; actor?: { kind: string; id: string }; data: { runId?: string; stageId?: string; taskId?: string; toAgentId?: string; reason: string } };
}

/**
 * Test double of the scheduler over a real NATS connection: answers `approve-stage`,
 * `reject-stage` (`{runId, status: 'running'}`) and `reassign-task` (`{taskId, status:
 * 'assigned', …}`) like the scheduler would, or with the error
 * `refuse` returns for a request; records every request it saw.
 */
export function serveScheduler(
  nc: NatsConnection,
  refuse: (r: SchedulerRequest) => { code: string; message: string } | undefined = () => undefined,
): { readonly requests: SchedulerRequest[]; stop(): void } {
  const requests: SchedulerRequest[] = [];
  const subs = ['baton.cmd.scheduler.approve-stage', 'baton.cmd.scheduler.reject-stage', 'baton.cmd.scheduler.reassign-task'].map((subject) =>
    nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err) return;
        const request: SchedulerRequest = { subject: msg.subject, body: JSON.parse(new TextDecoder().decode(msg.data)) as SchedulerRequest['body'] };
        requests.push(request);
        const error = refuse(request);
        const d = request.body.data;
        const data = subject.endsWith('reassign-task') ? { taskId: d.taskId, status: 'assigned', leaseEpoch: 2, revision: 3 } : { runId: d.runId, status: 'running' };
        msg.respond(JSON.stringify(error ? { ok: false, error } : { ok: true, data }));
      },
    }),
  );
  return { requests, stop: () => subs.forEach((s) => s.unsubscribe()) };
}

/** What an escalation integration test started, any part of which may not have started. */
export interface EscalationTestResources {
  readonly stopRegistry?: () => void;
  readonly app?: { close(): Promise<void> };
  readonly nc?: NatsConnection;
  /** The test's own durable consumer of input events, deleted so runs do not pile them up. */
  readonly durable: string;
  readonly tdb?: { drop(): Promise<void> };
}

/** Stops what an escalation integration test started, the service before the connection and database under it. */
export async function stopEscalationTest(started: EscalationTestResources): Promise<void> {
  started.stopRegistry?.();
  await started.app?.close();
  if (started.nc) {
    await (await jetstreamManager(started.nc)).consumers.delete(EVENTS_STREAM, started.durable).catch(() => undefined);
    await started.nc.close();
  }
  await started.tdb?.drop();
}

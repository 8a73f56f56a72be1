// Test-only: a crew of simulated agents for workflow-run tests. Each is announced to the
// scheduler the way the registry's relay does (FakeAgentRegistry) and answers its inbox through
// plain NATS (RawNatsAgent), with a behaviour chosen per test.
import { errorCodeOf, type AgentInboxAssignment } from '@baton/contracts';
import type { FakeAgentRegistry } from './agent-events';
import { RawNatsAgent } from './raw-nats-agent';

/** What a simulated agent does with an assignment: outputs to complete with, or a failure. */
export type AgentBehaviour = (a: AgentInboxAssignment) => Promise<Record<string, unknown> | { fail: string }> | Record<string, unknown> | { fail: string };

export interface SimulatedAgentSpec {
  readonly agentId: string;
  readonly role?: string;
  readonly capabilities?: readonly string[];
  readonly maxConcurrency?: number;
  readonly behaviour?: AgentBehaviour;
}

/** Every assignment handled by the crew, in order, with the agent that did it. */
export interface HandledAssignment {
  readonly agentId: string;
  readonly assignment: AgentInboxAssignment;
}

export class WorkflowAgentCrew {
  readonly handled: HandledAssignment[] = [];
  private readonly agents: RawNatsAgent[] = [];

  constructor(
    private readonly natsUrl: string,
    private readonly registry: FakeAgentRegistry,
  ) {}

  /** Registers and starts one agent per spec (default behaviour: complete with `{ by: agentId }`). */
  async add(specs: readonly SimulatedAgentSpec[]): Promise<void> {
    for (const spec of specs) {
      const role = spec.role ?? 'worker';
      const capabilities = [...(spec.capabilities ?? [])];
      await this.registry.register(spec.agentId, { role, capabilities, maxConcurrency: spec.maxConcurrency ?? 4 });
      const agent = await RawNatsAgent.connect({ url: this.natsUrl, agentId: spec.agentId, role, capabilities, retryForMs: 60_000 });
      this.agents.push(agent);
      const behaviour: AgentBehaviour = spec.behaviour ?? (() => ({ by: spec.agentId }));
      await agent.consumeInbox(async (a) => {
        // Recorded before the ending goes out: a test that sees the run finished must find here the work that finished it
        // (recorded after the reply, the last stage's entry could come after the test's look, on a slow machine it did).
        const entry: HandledAssignment = { agentId: spec.agentId, assignment: a };
        try {
          await agent.accept(a);
          const out = await behaviour(a);
          this.handled.push(entry);
          if ('fail' in out && typeof out['fail'] === 'string') await agent.fail(a, { message: out['fail'] }, false);
          else await agent.complete(a, out);
        } catch (err) {
          // An assignment taken back meanwhile (or of a cancelled task) is simply dropped, and not counted as handled.
          const at = this.handled.indexOf(entry);
          if (at >= 0) this.handled.splice(at, 1);
          const code = errorCodeOf(err);
          if (code !== 'STALE_LEASE' && code !== 'ILLEGAL_TRANSITION') throw err;
        }
      });
    }
  }

  async close(): Promise<void> {
    for (const a of this.agents.splice(0)) await a.close();
  }
}

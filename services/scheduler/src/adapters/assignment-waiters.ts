import type { AgentInboxAssignment, EventMetadata } from '@baton/contracts';

/** What an `await-assignment` is answered with. */
export interface AwaitedAssignment {
  readonly assignment: AgentInboxAssignment | null;
  readonly traceparent?: string;
  readonly tracestate?: string;
}

interface Waiter {
  readonly resolve: (answer: AwaitedAssignment) => void;
  readonly timer: NodeJS.Timeout;
}

const NONE: AwaitedAssignment = { assignment: null };

/**
 * Agents waiting on this scheduler for their next assignment (`await-assignment`, a long poll).
 * The inbox publisher {@link offer}s each assignment here before it publishes to the agent's
 * JetStream inbox: when the agent has a request waiting, the assignment is that request's reply.
 * Of one agent's requests the newest is answered first: an agent that restarted leaves requests
 * whose replies nobody reads, and they are the older ones (a live agent asks again after each
 * answer). Each is answered with no
 * assignment after its `waitMs`, and all of them at {@link releaseAll}. A scheduler that does not
 * lead keeps the requests it gets until their `waitMs` (it makes no assignments to offer), so an
 * agent asks again no sooner than that.
 */
export class AssignmentWaiters {
  readonly #byAgent = new Map<string, Waiter[]>();

  /** Requests waiting now, all agents together. */
  get waiting(): number {
    let n = 0;
    for (const list of this.#byAgent.values()) n += list.length;
    return n;
  }

  /** Waits up to `waitMs` for an assignment offered to `agentId`. */
  wait(agentId: string, waitMs: number): Promise<AwaitedAssignment> {
    if (waitMs <= 0) return Promise.resolve(NONE);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          this.#remove(agentId, waiter);
          resolve(NONE);
        }, waitMs),
      };
      // A waiting agent does not keep a stopping scheduler alive.
      waiter.timer.unref();
      const list = this.#byAgent.get(agentId);
      if (list) list.push(waiter);
      else this.#byAgent.set(agentId, [waiter]);
    });
  }

  /** Whether a request of the agent waits now. */
  has(agentId: string): boolean {
    return this.#byAgent.has(agentId);
  }

  /** Hands the assignment to the agent's newest waiting request; false when none waits. */
  offer(agentId: string, assignment: AgentInboxAssignment, trace?: Pick<EventMetadata, 'traceparent' | 'tracestate'>): boolean {
    const list = this.#byAgent.get(agentId);
    const waiter = list?.pop();
    if (!waiter) return false;
    if (list!.length === 0) this.#byAgent.delete(agentId);
    clearTimeout(waiter.timer);
    waiter.resolve({
      assignment,
      ...(trace?.traceparent ? { traceparent: trace.traceparent } : {}),
      ...(trace?.tracestate ? { tracestate: trace.tracestate } : {}),
    });
    return true;
  }

  /** Answers every waiting request with no assignment (the lease is lost: the agents ask again, maybe the new holder). */
  releaseAll(): void {
    for (const list of this.#byAgent.values()) {
      for (const w of list) {
        clearTimeout(w.timer);
        w.resolve(NONE);
      }
    }
    this.#byAgent.clear();
  }

  #remove(agentId: string, waiter: Waiter): void {
    const list = this.#byAgent.get(agentId);
    if (!list) return;
    const i = list.indexOf(waiter);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#byAgent.delete(agentId);
  }
}

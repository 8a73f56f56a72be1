import type { RegisterAgentData } from '@baton/contracts';

/** Stamped by the adapter: the idempotency key and the time from the injected clock. */
export interface CommandMetadata {
  readonly commandId: string;
  /** ISO-8601, from the injected clock. */
  readonly now: string;
}

export interface RegisterAgent {
  readonly type: 'RegisterAgent';
  readonly data: RegisterAgentData;
  readonly metadata: CommandMetadata;
}

/** Every command of the agent aggregate. */
export type AgentCommand = RegisterAgent;

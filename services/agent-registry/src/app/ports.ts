import type { CommandRunner } from '@baton/aggregate';
import type { AgentCommand, AgentEvent, AgentState } from '../domain';

/** Runs the commands of the agent aggregate (the command kernel over `agentAggregate`). */
export type AgentCommands = CommandRunner<AgentState, AgentCommand, AgentEvent>;

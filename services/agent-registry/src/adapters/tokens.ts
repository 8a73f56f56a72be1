/** Nest injection tokens of the agent-registry's adapters. */
export const EVENT_STORE = Symbol.for('baton.agent-registry.EventStore');
export const READ_DB = Symbol.for('baton.agent-registry.ReadDb');
export const AGENT_COMMANDS = Symbol.for('baton.agent-registry.AgentCommands');
/** `() => Promise<ReloadAgentsReply>`: re-reads AGENTS_FILE (throws VALIDATION_FAILED when none is configured). */
export const RELOAD_AGENTS = Symbol.for('baton.agent-registry.ReloadAgents');

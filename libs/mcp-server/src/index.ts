/**
 * `@baton/mcp-server`: Baton as an MCP server, so a coding agent (Claude Code, Cursor, Codex)
 * takes part with no code at all. Every tool is built around the task lease: `next_task`,
 * `list_claimable_tasks`, `claim_task` (the lease and the task's whole context), `report_progress`,
 * `submit_handoff` (the verdict; a rejection lists every failing rule), `report_blocked`,
 * `escalate`, `release_task` and `reserve_paths`; resources for a task's context, a run's status and
 * artifacts; prompts `take_next_task` and `check_handoff`. See docs/mcp.md.
 *
 * The agent is whoever the credentials say: `--agent` with the NATS credentials of the
 * environment on stdio, the bearer token through `authenticate` over HTTP. No tool takes an agent id.
 *
 * @example
 * // stdio (what `baton mcp --agent claude-1` runs)
 * const nc = await connect({ servers: process.env.NATS_URL, ...natsAuthFromEnv(process.env) });
 * const srv = await serveMcpStdio({ agentId: 'claude-1', connection: nc, profile: { role: 'developer', capabilities: ['code'] } });
 * await srv.closed;
 *
 * // Streamable HTTP (stateless), mounted by the gateway at /mcp
 * const handler = createMcpHttpHandler({ connection: nc, authenticate: bearerTokens({ [token]: 'cursor-1' }) });
 */
export { AgentSession, RESERVATION_ACTION, type AgentSessionOptions, type HandoffOutcome, type HeldTask, type Reservation } from './agent-session';
export { createBatonMcpServer, MCP_SERVER_INFO } from './baton-mcp.server';
export { createMcpHttpHandler, startMcpHttpServer, bearerTokens, bearerTokenOf, type McpHttpHandler, type McpHttpHandlerOptions, type McpHttpServer, type McpHttpServerOptions } from './mcp-http';
export { serveMcpStdio, serveOnStdio, type McpStdioOptions, type McpStdioServer } from './mcp-stdio';
export { createFileModeMcpServer, FILE_MODE_MCP_SERVER_INFO, FileTaskOutput, serveFileModeMcpStdio } from './file-mode.server';
export { natsAuthFromEnv, NATS_AUTH_ENV } from './nats-auth';
export { PROMPT_CHECK_HANDOFF, PROMPT_TAKE_NEXT_TASK } from './mcp-text';
export { artifactUri, type TaskContext, type HandoffChecks, type ReworkFeedback, type UpstreamArtifact } from './task-context';

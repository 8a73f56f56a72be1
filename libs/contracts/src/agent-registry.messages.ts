import { z } from 'zod';
import { defineCommand, defineQuery } from './messages';

const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'use letters, digits, dot, dash or underscore (1-128 chars)');

/** Data of the `RegisterAgent` command, version 1. */
export const RegisterAgentV1 = z.strictObject({
  agentId: Id,
  name: z.string().min(1).max(200).optional(),
  role: z.string().min(1).max(100),
  capabilities: z.array(z.string().min(1).max(100)).max(100).default([]),
  model: z.string().min(1).max(200).optional(),
  maxConcurrency: z.number().int().min(1).max(1000).default(1),
  peers: z.array(Id).max(100).default([]),
  lead: Id.optional(),
});
export type RegisterAgentData = z.infer<typeof RegisterAgentV1>;

export const RegisterAgentReply = z.object({
  agentId: z.string(),
  revision: z.number().int().nonnegative(),
});

export const RegisterAgent = defineCommand({
  service: 'agent-registry',
  name: 'register-agent',
  schema: RegisterAgentV1,
  reply: RegisterAgentReply,
});

export const AgentView = z.object({
  agentId: z.string(),
  name: z.string().nullable(),
  role: z.string(),
  capabilities: z.array(z.string()),
  model: z.string().nullable(),
  maxConcurrency: z.number().int(),
  peers: z.array(z.string()),
  lead: z.string().nullable(),
  status: z.enum(['available', 'busy', 'error', 'offline']),
  registeredAt: z.string(),
  revision: z.number().int(),
});
export type AgentView = z.infer<typeof AgentView>;

export const GetAgent = defineQuery({
  service: 'agent-registry',
  name: 'get-agent',
  schema: z.strictObject({ agentId: Id }),
  reply: AgentView,
});

/** Events of the `agent-<id>` stream. */
export const AgentRegisteredV1 = RegisterAgentV1.required({ capabilities: true, maxConcurrency: true, peers: true }).extend({
  registeredAt: z.string(),
});
export type AgentRegisteredData = z.infer<typeof AgentRegisteredV1>;

export type AgentEvent = { readonly type: 'AgentRegistered'; readonly data: AgentRegisteredData };

export const agentStreamId = (agentId: string): string => `agent-${agentId}`;

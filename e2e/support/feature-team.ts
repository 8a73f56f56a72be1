import { handoff, type HandoffResult, type TaskHandler, type TaskOutputs } from '@baton/agent-sdk';
import { GetRun, type ReplyOf } from '@baton/contracts';
import { sampleArtifacts, sampleContext, sampleOutputs } from '@baton/handoff-rules';
import type { BatonClient } from '@baton/messaging';
import { waitFor } from '@baton/testing';
import type { E2eStack } from './e2e-stack';

/** One agent of a scripted team. */
export interface TeamMember {
  readonly agentId: string;
  readonly role: string;
  /** The model it reports using (the metrics service counts tokens and cost by model). */
  readonly model?: string;
  readonly capabilities?: readonly string[];
}

/** The Feature Development seed's team (examples/agents.yaml), each agent with a model of its own. */
export const FEATURE_TEAM: readonly TeamMember[] = [
  { agentId: 'MCT-CPO-001', role: 'cpo', model: 'claude-opus' },
  { agentId: 'MCT-PM-001', role: 'product_manager', model: 'claude-sonnet' },
  { agentId: 'MCT-UXD-001', role: 'ux_designer', model: 'claude-sonnet' },
  { agentId: 'MCT-PD-001', role: 'product_designer', model: 'claude-sonnet' },
  { agentId: 'MCT-ARCH-001', role: 'architect', model: 'claude-opus' },
  { agentId: 'MCT-BE-001', role: 'backend_dev', model: 'gpt-5' },
  { agentId: 'MCT-FE-001', role: 'frontend_dev', model: 'gpt-5' },
  { agentId: 'MCT-DBA-001', role: 'dba', model: 'gpt-5' },
  { agentId: 'MCT-SEC-001', role: 'security_engineer', model: 'claude-opus' },
  { agentId: 'MCT-QA-001', role: 'qa_engineer', model: 'claude-sonnet' },
  { agentId: 'MCT-OPS-001', role: 'devops_engineer', model: 'claude-sonnet' },
  // The cleanup steps of the `complete` stage (the control plane's own) go to an agent with them as capabilities.
  { agentId: 'MCT-HK-001', role: 'housekeeping', model: 'claude-haiku', capabilities: ['archive_artifacts', 'close_tickets'] },
];

/**
 * Starts `team` as SDK agents of the stack (1 s heartbeats): each registers with its role,
 * capabilities and model, taking 4 tasks at once, and works with `handler(agentId)`.
 */
export async function startTeam(stack: E2eStack, team: readonly TeamMember[], handler: (agentId: string) => TaskHandler): Promise<void> {
  for (const member of team) {
    const agent = await stack.agent({ agentId: member.agentId, heartbeatIntervalMs: 1000, inboxAckWaitMs: 5000 });
    await agent.register({ role: member.role, capabilities: [...(member.capabilities ?? [])], maxConcurrency: 4, ...(member.model !== undefined ? { model: member.model } : {}) });
    await agent.start(handler(member.agentId), { concurrency: 4 });
  }
}

/** A PRD without its user stories (everything else as in the good sample): the handoff the PRD rules refuse. */
export const PRD_WITHOUT_STORIES = sampleArtifacts['prd.md'].replace(/## User Stories[\s\S]*?(?=## Out of Scope)/, '');

/**
 * What a scripted Feature Development agent hands over for the actions every e2e team does the
 * same way (designs, technical design, implementation, test plan, staging), with the sample
 * artifacts that pass the example handoff specs; undefined for the actions each test scripts
 * itself (approvals, the PRD, scans, reviews, deploys).
 *
 * @example
 * default:
 *   return standardFeatureWork(task.action) ?? { done: task.action };
 */
export function standardFeatureWork(action: string): TaskOutputs | HandoffResult | undefined {
  switch (action) {
    case 'create_designs':
      return handoff({ artifacts: { 'designs/': sampleArtifacts['designs/'], 'design_specs.md': '# Design specs\n\nAll states designed.\n' }, outputs: { responsive_complete: true, all_states_designed: true } });
    case 'create_tdd':
      return handoff({
        artifacts: { 'tdd.md': sampleArtifacts['tdd.md'], 'api_spec.yaml': sampleArtifacts['api_spec.yaml'], 'linear_tickets[]': sampleArtifacts['linear_tickets[]'] },
        context: sampleContext,
        outputs: { diagrams_render: true, dependencies_linked: true },
      });
    case 'implement_backend':
    case 'implement_frontend':
      return handoff({ artifacts: { pull_request: sampleArtifacts.pull_request, code_changes: sampleArtifacts.code_changes }, context: sampleContext, outputs: sampleOutputs });
    case 'execute_test_plan':
      return handoff({ artifacts: { 'test_results.md': sampleArtifacts['test_results.md'] }, outputs: { all_p0_tests_pass: true, coverage: 86 } });
    case 'validate_staging':
      return { smoke_tests_pass: true, no_regressions: true };
    default:
      return undefined;
  }
}

/** Waits until the run is no longer running (done, failed or cancelled) and returns it. */
export function runFinished(client: BatonClient, runId: string, timeoutMs = 60_000): Promise<ReplyOf<typeof GetRun>> {
  return waitFor(
    async () => {
      const r = await client.query(GetRun, { runId });
      return r.state !== 'running' ? r : undefined;
    },
    { what: 'the run finished', timeoutMs, intervalMs: 250 },
  );
}

import { handoff, type HandoffResult, type TaskOutputs } from '@baton/agent-sdk';
import { GetRun, type ReplyOf } from '@baton/contracts';
import { sampleArtifacts, sampleContext, sampleOutputs } from '@baton/handoff-rules';
import type { BatonClient } from '@baton/messaging';
import { waitFor } from '@baton/testing';

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

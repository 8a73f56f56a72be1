import { serviceContext, type CommandContext } from '@baton/aggregate';
import { BatonError, NotFoundError, type WorkflowDiagnosticView } from '@baton/contracts';
import { compareVersions, formatDiagnostic, parseWorkflow, type WorkflowDefinition, type WorkflowDiagnostic } from '@baton/workflow-dsl';
import type { StoredVersion } from '../domain';
import type { WorkflowRunner } from './runners';

/** The outcome of {@link WorkflowDefinitions.register}. */
export interface RegisteredWorkflow {
  readonly workflowId: string;
  readonly version: string;
  readonly hash: string;
  /** False when this exact content was already registered (idempotent by hash). */
  readonly created: boolean;
  readonly def: WorkflowDefinition;
}

export function diagnosticView(d: WorkflowDiagnostic): WorkflowDiagnosticView {
  return { file: d.file, line: d.line, column: d.column, message: d.message, text: formatDiagnostic(d) };
}

/** VALIDATION_FAILED whose `details.errors` lists each `file:line:col` problem. */
export class WorkflowInvalidError extends BatonError {
  constructor(errors: readonly WorkflowDiagnostic[]) {
    const views = errors.map(diagnosticView);
    super('VALIDATION_FAILED', [`${views.length} error${views.length === 1 ? '' : 's'} in workflow definition`, ...views.map((v) => v.text)].join('\n'), { errors: views });
    this.name = 'WorkflowInvalidError';
  }
}

/**
 * Workflow definitions: `workflow-<id>` streams of `WorkflowVersionRegistered` (the YAML as
 * written, its version and content hash), decided by the workflow aggregate and appended by its
 * command runner. Parsed definitions are cached by id, version and hash; the cache is only a
 * cache (rebuilt from the store on demand).
 */
export class WorkflowDefinitions {
  private readonly cache = new Map<string, WorkflowDefinition>();

  constructor(private readonly runner: WorkflowRunner) {}

  /**
   * Parses and registers a version. Same content again: `created: false`. Same version with
   * other content: CONFLICT. Invalid: VALIDATION_FAILED listing every error. Without a command
   * context (the workflows directory at start-up) the command id derives from the content.
   */
  async register(yaml: string, file = 'workflow.yml', ctx?: CommandContext): Promise<RegisteredWorkflow> {
    const parsed = parseWorkflow(yaml, { file });
    if (!parsed.ok) throw new WorkflowInvalidError(parsed.errors);
    const def = parsed.workflow;
    const r = await this.runner.execute(
      def.id,
      (metadata) => ({ type: 'RegisterWorkflowVersion', data: { workflowId: def.id, version: def.version, hash: def.hash, yaml }, metadata }),
      ctx ?? serviceContext('scheduler', `register:${def.id}:${def.version}:${def.hash}`),
    );
    const created = r.appended.length > 0;
    if (created) this.cache.set(cacheKey(def.id, def.version, def.hash), def);
    return { workflowId: def.id, version: def.version, hash: def.hash, created, def };
  }

  /** Every registered version of a workflow, oldest first. */
  async versions(workflowId: string): Promise<readonly StoredVersion[]> {
    return (await this.runner.load(workflowId)).state.versions;
  }

  /** The definition of `version` (default: the latest by semver precedence). NOT_FOUND when absent. */
  async load(workflowId: string, version?: string): Promise<{ def: WorkflowDefinition; stored: StoredVersion }> {
    const versions = await this.versions(workflowId);
    const stored =
      version === undefined
        ? versions.reduce<StoredVersion | undefined>((best, v) => (best === undefined || compareVersions(v.version, best.version) >= 0 ? v : best), undefined)
        : versions.find((v) => v.version === version);
    if (stored === undefined) throw new NotFoundError('workflow', version === undefined ? workflowId : `${workflowId}@${version}`);
    return { def: this.parse(workflowId, stored), stored };
  }

  /** The definition a run pinned: version and hash must both match. */
  async pinned(workflowId: string, version: string, hash: string): Promise<WorkflowDefinition> {
    const cached = this.cache.get(cacheKey(workflowId, version, hash));
    if (cached !== undefined) return cached;
    const { def } = await this.load(workflowId, version);
    if (def.hash !== hash) throw new BatonError('INTERNAL', `workflow ${workflowId}@${version} has hash ${def.hash}, the run pinned ${hash}`);
    return def;
  }

  private parse(workflowId: string, stored: StoredVersion): WorkflowDefinition {
    const key = cacheKey(workflowId, stored.version, stored.hash);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const parsed = parseWorkflow(stored.yaml, { file: `${workflowId}.yml` });
    if (!parsed.ok) throw new BatonError('INTERNAL', `stored workflow ${workflowId}@${stored.version} no longer parses`, { errors: parsed.errors.map(diagnosticView) });
    this.cache.set(key, parsed.workflow);
    return parsed.workflow;
  }
}

function cacheKey(id: string, version: string, hash: string): string {
  return `${id}\u0000${version}\u0000${hash}`;
}

import { createHash } from 'node:crypto';
import {
  BatonError,
  NotFoundError,
  WorkflowVersionRegisteredV1,
  errorCodeOf,
  workflowStreamId,
  type RecordedEvent,
  type WorkflowDiagnosticView,
} from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { compareVersions, formatDiagnostic, parseWorkflow, WorkflowVersionConflictError, type WorkflowDefinition, type WorkflowDiagnostic } from '@baton/workflow-dsl';
import type { Clock, IdSource } from './ports';

/** The outcome of {@link WorkflowDefinitions.register}. */
export interface RegisteredWorkflow {
  readonly workflowId: string;
  readonly version: string;
  readonly hash: string;
  /** False when this exact content was already registered (idempotent by hash). */
  readonly created: boolean;
  readonly def: WorkflowDefinition;
}

/** A stored version: the registration event and its parsed definition. */
export interface StoredVersion {
  readonly version: string;
  readonly hash: string;
  readonly yaml: string;
  readonly registeredAt: string;
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

const MAX_ATTEMPTS = 5;

/**
 * Workflow definitions: `workflow-<id>` streams of `WorkflowVersionRegistered` (the YAML as
 * written, its version and content hash). Parsed definitions are cached by id, version and hash;
 * the cache is only a cache (rebuilt from the store on demand).
 */
export class WorkflowDefinitions {
  private readonly cache = new Map<string, WorkflowDefinition>();

  constructor(
    private readonly store: EventStore,
    private readonly clock: Clock,
    private readonly ids: IdSource,
  ) {}

  /**
   * Parses and registers a version. Same content again: `created: false`. Same version with
   * other content: CONFLICT. Invalid: VALIDATION_FAILED listing every error.
   */
  async register(yaml: string, file = 'workflow.yml', causationId?: string): Promise<RegisteredWorkflow> {
    const parsed = parseWorkflow(yaml, { file });
    if (!parsed.ok) throw new WorkflowInvalidError(parsed.errors);
    const def = parsed.workflow;
    const streamId = workflowStreamId(def.id);
    for (let attempt = 1; ; attempt++) {
      const recorded = await this.store.readStream(streamId);
      const versions = recorded.map(toVersion);
      const same = versions.find((v) => v.version === def.version);
      if (same !== undefined) {
        if (same.hash !== def.hash) throw new WorkflowVersionConflictError(def.id, def.version, same.hash, def.hash);
        return { workflowId: def.id, version: def.version, hash: def.hash, created: false, def };
      }
      const now = this.clock.now().toISOString();
      const commandId = `register:${def.id}:${def.version}:${def.hash}`;
      const last = recorded[recorded.length - 1];
      try {
        await this.store.append(
          streamId,
          [
            {
              eventId: this.ids.newId(),
              type: 'WorkflowVersionRegistered',
              data: { workflowId: def.id, version: def.version, hash: def.hash, yaml, registeredAt: now },
              metadata: { occurredAt: now, commandId, correlationId: def.id, causationId: causationId ?? commandId, actor: { kind: 'service', id: 'scheduler' } },
            },
          ],
          { expectedRevision: last === undefined ? 'no_stream' : last.revision, commandId },
        );
        this.cache.set(cacheKey(def.id, def.version, def.hash), def);
        return { workflowId: def.id, version: def.version, hash: def.hash, created: true, def };
      } catch (err) {
        if (errorCodeOf(err) === 'WRONG_EXPECTED_VERSION' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** Every registered version of a workflow, oldest first. */
  async versions(workflowId: string): Promise<StoredVersion[]> {
    return (await this.store.readStream(workflowStreamId(workflowId))).map(toVersion);
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

function toVersion(e: RecordedEvent): StoredVersion {
  const d = WorkflowVersionRegisteredV1.parse(e.data);
  return { version: d.version, hash: d.hash, yaml: d.yaml, registeredAt: d.registeredAt };
}

/** A short, stable, id-safe digest (for run and task ids derived from other ids). */
export function shortDigest(text: string, length = 24): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

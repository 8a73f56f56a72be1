import { BatonError } from '@baton/contracts';

/** One problem in a workflow file, located at 1-based line and column. */
export interface WorkflowDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** What is wrong, without the location prefix. */
  readonly message: string;
  /** Path of the offending node in the YAML document (`['workflow','stages',3,'next']`). */
  readonly path: readonly (string | number)[];
}

/** `file:line:col: message`, the form editors and terminals link. */
export function formatDiagnostic(d: WorkflowDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

/**
 * Thrown by {@link parseWorkflowOrThrow} when a definition is invalid. Its message lists every
 * diagnostic, one per line; `details.errors` carries them as data.
 */
export class WorkflowDefinitionError extends BatonError {
  constructor(readonly errors: readonly WorkflowDiagnostic[]) {
    const head = `${errors[0]?.file ?? 'workflow'}: ${errors.length} error${errors.length === 1 ? '' : 's'} in workflow definition`;
    super('VALIDATION_FAILED', [head, ...errors.map(formatDiagnostic)].join('\n'), { errors });
    this.name = 'WorkflowDefinitionError';
  }
}

/** A condition could not be evaluated (missing key, type mismatch at run time, non-boolean result). */
export class ConditionEvaluationError extends BatonError {
  constructor(
    readonly expression: string,
    readonly reason: string,
    readonly celCode: string,
    options?: { cause?: unknown },
  ) {
    super('VALIDATION_FAILED', `condition "${expression}" could not be evaluated: ${reason}`, { expression, reason, celCode }, false, options);
    this.name = 'ConditionEvaluationError';
  }
}

/** A catalog already holds this workflow version with different content. */
export class WorkflowVersionConflictError extends BatonError {
  constructor(id: string, version: string, existingHash: string, newHash: string) {
    // Not retryable: the same request will conflict again until the version is bumped.
    super('CONFLICT', `workflow ${id} version ${version} is already registered with different content; bump "version" to publish a change`, {
      id,
      version,
      existingHash,
      newHash,
    }, false);
    this.name = 'WorkflowVersionConflictError';
  }
}

import { BatonError } from '@baton/contracts';

/** One problem in a handoff spec file, located at 1-based line and column. */
export interface SpecDiagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** What is wrong and how to fix it, without the location prefix. */
  readonly message: string;
  /** The offending source text (a key, a rule as written, or the line). */
  readonly text: string;
}

/** `file:line:col: message`, the form editors and terminals link. */
export function formatSpecDiagnostic(d: SpecDiagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

/**
 * Thrown by {@link parseHandoffSpec} and {@link loadHandoffCatalog} when a spec file is invalid
 * (code VALIDATION_FAILED). Its message lists every problem as `file:line:col: message`;
 * `details.errors` carries them as data.
 */
export class HandoffSpecError extends BatonError {
  constructor(readonly errors: readonly SpecDiagnostic[]) {
    const files = [...new Set(errors.map((e) => e.file))];
    const head = `${files.join(', ') || 'handoff spec'}: ${errors.length} error${errors.length === 1 ? '' : 's'} in handoff spec`;
    super('VALIDATION_FAILED', [head, ...errors.map(formatSpecDiagnostic)].join('\n'), { errors });
    this.name = 'HandoffSpecError';
  }
}

/** A custom rule or schema could not be registered (bad name, bad schema, or registered twice). */
export class RuleRegistrationError extends BatonError {
  constructor(code: 'DUPLICATE' | 'VALIDATION_FAILED', message: string, details?: unknown) {
    super(code, message, details);
    this.name = 'RuleRegistrationError';
  }
}

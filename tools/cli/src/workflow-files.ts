import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { formatDiagnostic, parseWorkflow } from '@baton/workflow-dsl';
import { CliError } from './failure';

/** One workflow file read from disk: the path as the user gave it (for `file:line:col`) and its text. */
export interface WorkflowFile {
  readonly path: string;
  readonly text: string;
}

const YAML_FILE = /\.ya?ml$/i;

/**
 * True when a YAML text is shaped like a workflow (`workflow:` or root `steps:`), so a
 * directory may also hold other YAML (routing rules, agent rosters) that is not sent as one.
 * Unparseable YAML counts as a workflow, so its syntax errors are reported.
 */
export function isWorkflowYaml(text: string): boolean {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return true;
  const value: unknown = doc.toJS();
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return true;
  return 'workflow' in value || 'steps' in value || 'stages' in value;
}

/**
 * Expands the arguments into workflow files: a file is taken as it is; a directory gives its
 * `*.yml`/`*.yaml` files that look like workflows ({@link isWorkflowYaml}), sorted by name.
 */
export async function readWorkflowFiles(paths: readonly string[]): Promise<WorkflowFile[]> {
  const out: WorkflowFile[] = [];
  for (const p of paths) {
    let info;
    try {
      info = await stat(p);
    } catch {
      throw new CliError(`${p}: no such file or directory`);
    }
    if (info.isDirectory()) {
      const names = (await readdir(p)).filter((n) => YAML_FILE.test(n)).sort();
      const found: WorkflowFile[] = [];
      for (const n of names) {
        const path = join(p, n);
        const text = await readFile(path, 'utf8');
        if (isWorkflowYaml(text)) found.push({ path, text });
      }
      if (found.length === 0) throw new CliError(`${p}: no workflow files (*.yml, *.yaml) in this directory`);
      out.push(...found);
    } else {
      out.push({ path: p, text: await readFile(p, 'utf8') });
    }
  }
  return out;
}

/** Outcome of validating one file: the workflow it defines, or its errors as `file:line:col: message`. */
export type FileValidation =
  | { readonly file: string; readonly ok: true; readonly workflowId: string; readonly version: string; readonly stages: number | null }
  | { readonly file: string; readonly ok: false; readonly errors: readonly string[] };

/** Validates a workflow file locally with the workflow DSL (the same checks the scheduler runs). */
export function validateLocally(file: WorkflowFile): FileValidation {
  const r = parseWorkflow(file.text, { file: file.path });
  if (!r.ok) return { file: file.path, ok: false, errors: r.errors.map(formatDiagnostic) };
  return { file: file.path, ok: true, workflowId: r.workflow.id, version: r.workflow.version, stages: r.workflow.stageOrder.length };
}

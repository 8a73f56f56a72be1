import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseWorkflowOrThrow } from './workflow.parser';
import type { WorkflowDefinition } from './workflow.model';

/**
 * Reads a workflow YAML file and parses it, naming the file (its base name) in every error.
 * The only function of this lib that touches the file system.
 *
 * @throws WorkflowDefinitionError (code VALIDATION_FAILED) when the definition is invalid.
 * @example const def = await loadWorkflowFile('examples/workflows/feature-development.yml');
 */
export async function loadWorkflowFile(path: string): Promise<WorkflowDefinition> {
  const text = await readFile(path, 'utf8');
  return parseWorkflowOrThrow(text, { file: basename(path) });
}

/**
 * Which workflow takes a work item, by its type. Workflows that list the type in their
 * `trigger.item_types` come first (the file says so explicitly); then the quick-reference table
 * of the orchestration seed (001), as rules from an issue type to the workflow that starts with
 * the agent the table names. A rule only applies when its workflow is registered.
 */
export const QUICK_REFERENCE_ROUTES: Readonly<Record<string, readonly string[]>> = {
  // API/Backend → backend-architect
  api: ['backend-feature'],
  backend: ['backend-feature'],
  // Database → database-architect / database-optimization
  database: ['database-performance'],
  // DevOps/Infra → backend-architect, then devops-engineer
  devops: ['devops-pipeline'],
  infra: ['devops-pipeline'],
  infrastructure: ['devops-pipeline'],
  // Errors/Bugs → error-detective (a bug ticket goes to the Bug Fix workflow when registered)
  bug: ['WF-BUG-001', 'error-investigation'],
  error: ['error-investigation'],
  // Performance → database-optimization
  performance: ['database-performance'],
  // Security → code-reviewer
  security: ['security-fix'],
  // Integration → search-specialist, then mcp-expert
  integration: ['integration-setup'],
};

/** A registered workflow as routing sees it. */
export interface RoutableWorkflow {
  readonly workflowId: string;
  readonly itemTypes: readonly string[];
}

/**
 * The workflow for a work item type, or null. Explicit `item_types` win (ties: the smallest
 * workflow id, so the answer does not depend on registration order); then the quick-reference rules.
 *
 * @example routeWorkItem('slow_query', [{ workflowId: 'database-performance', itemTypes: ['slow_query'] }]) // 'database-performance'
 */
export function routeWorkItem(type: string, workflows: readonly RoutableWorkflow[]): string | null {
  const explicit = workflows.filter((w) => w.itemTypes.includes(type)).map((w) => w.workflowId).sort();
  if (explicit[0] !== undefined) return explicit[0];
  const registered = new Set(workflows.map((w) => w.workflowId));
  for (const candidate of QUICK_REFERENCE_ROUTES[type.toLowerCase()] ?? []) if (registered.has(candidate)) return candidate;
  return null;
}

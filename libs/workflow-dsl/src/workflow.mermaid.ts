import { nextTargets } from './workflow.graph';
import type { WorkflowDefinition } from './workflow.model';

/**
 * A Mermaid flowchart of a workflow for docs and dashboards: solid arrows for `next` (labelled
 * with the outcome), dotted for `depends_on`, a `loop ≤N` label on bounded loops, and
 * branches listed inside their stage.
 */
export function toMermaid(def: WorkflowDefinition): string {
  const lines = ['flowchart TD'];
  for (const id of def.stageOrder) {
    const s = def.stages[id];
    if (s === undefined) continue;
    const parts = [id, ...(s.action === null ? [] : [s.action]), ...s.branches.map((b) => `∥ ${b.id}`)];
    lines.push(`  ${id}["${parts.join('<br/>')}"]`);
  }
  for (const id of def.stageOrder) {
    const s = def.stages[id];
    if (s === undefined) continue;
    if (s.next.kind === 'by_outcome') {
      for (const [outcome, target] of Object.entries(s.next.targets)) {
        const loop = s.loop?.backTo === target ? ` (loop ≤${s.loop.maxIterations})` : '';
        lines.push(`  ${id} -->|${outcome}${loop}| ${target}`);
      }
    } else {
      for (const t of nextTargets(s.next)) lines.push(s.loop?.backTo === t ? `  ${id} -->|loop ≤${s.loop.maxIterations}| ${t}` : `  ${id} --> ${t}`);
    }
    for (const d of s.dependsOn) lines.push(`  ${d} -.-> ${id}`);
  }
  return lines.join('\n');
}

import { z } from 'zod';
import { ArtifactHash } from '@baton/contracts';

/** An artifact an upstream stage handed over, as the run puts it in `inputs.upstream.<stageId>.artifacts.<name>`. */
export interface UpstreamArtifact {
  readonly stageId: string;
  readonly name: string;
  readonly hash: string;
  readonly size: number | null;
  readonly mediaType: string | null;
}

const ArtifactRefLike = z.object({ hash: ArtifactHash, size: z.number().int().nonnegative().optional(), mediaType: z.string().optional() });
const StageOutputs = z.object({ artifacts: z.record(z.string(), z.unknown()) });

/**
 * The artifacts upstream stages handed over, read from a task's `inputs.upstream` (stage id →
 * that stage's outputs, whose `artifacts` name each artifact by hash). Anything else there is
 * ignored: outputs without artifacts are the task's other inputs. The agent runner fetches these
 * into files; the MCP server lists them as resources.
 *
 * @example
 * for (const a of upstreamArtifacts(task.inputs)) console.log(a.stageId, a.name, a.hash);
 */
export function upstreamArtifacts(inputs: Readonly<Record<string, unknown>>): UpstreamArtifact[] {
  const upstream = inputs['upstream'];
  if (typeof upstream !== 'object' || upstream === null) return [];
  const found: UpstreamArtifact[] = [];
  for (const [stageId, outputs] of Object.entries(upstream)) {
    const parsed = StageOutputs.safeParse(outputs);
    if (!parsed.success) continue;
    for (const [name, value] of Object.entries(parsed.data.artifacts)) {
      const ref = ArtifactRefLike.safeParse(value);
      if (ref.success) found.push({ stageId, name, hash: ref.data.hash, size: ref.data.size ?? null, mediaType: ref.data.mediaType ?? null });
    }
  }
  return found;
}

import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_ARTIFACT_BYTES, type ArtifactInput } from '@baton/contracts';

/** The declared outputs as artifacts, or what is wrong with them (missing, not a file, too large). */
export interface CollectedOutputs {
  readonly artifacts: ArtifactInput[];
  readonly problems: string[];
}

/** The artifact name of a declared output: the path as declared, without a leading `./`. */
export function outputName(declared: string): string {
  return path.posix.normalize(declared.split(path.sep).join('/')).replace(/^(\.\/)+/, '');
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * Reads each declared output (relative to `workdir`, or absolute) into an artifact: text as
 * UTF-8, anything else as base64.
 *
 * @example
 * const { artifacts, problems } = await collectOutputs('/work/repo', ['docs/design.md']);
 */
export async function collectOutputs(workdir: string, declared: readonly string[], maxBytes = MAX_ARTIFACT_BYTES): Promise<CollectedOutputs> {
  const artifacts: ArtifactInput[] = [];
  const problems: string[] = [];
  for (const output of declared) {
    const file = path.resolve(workdir, output);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined) {
      problems.push(`${output} was not written`);
      continue;
    }
    if (!info.isFile()) {
      problems.push(`${output} is not a file`);
      continue;
    }
    if (info.size > maxBytes) {
      problems.push(`${output} is ${info.size} bytes; an artifact may have at most ${maxBytes}`);
      continue;
    }
    const bytes = await readFile(file);
    const text = asText(bytes);
    artifacts.push(text === undefined ? { name: outputName(output), content: bytes.toString('base64'), encoding: 'base64' } : { name: outputName(output), content: text, encoding: 'utf8' });
  }
  return { artifacts, problems };
}

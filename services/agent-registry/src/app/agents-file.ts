import { readFile } from 'node:fs/promises';
import { RegisterAgentV1, ValidationError, type RegisterAgentData } from '@baton/contracts';
import { isMap, isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';

const S = RegisterAgentV1.shape;

/**
 * One entry of agents.yaml (snake_case keys, as in the file). Unknown keys are errors, to catch
 * typos; `null` on an optional field (`lead: null`) means not set.
 */
export const AgentsFileEntry = z.strictObject({
  id: S.agentId,
  name: S.name.unwrap().nullish(),
  role: S.role,
  capabilities: S.capabilities.unwrap().nullish().transform((v) => v ?? []),
  model: S.model.unwrap().nullish(),
  max_concurrency: S.maxConcurrency.unwrap().nullish().transform((v) => v ?? 1),
  peers: S.peers.unwrap().nullish().transform((v) => v ?? []),
  lead: S.lead.unwrap().nullish(),
});

/**
 * agents.yaml: a top-level `agents:` list.
 *
 * ```yaml
 * agents:
 *   - id: MCT-BE-001
 *     name: Backend Developer
 *     role: backend
 *     capabilities: [node, postgres]
 *     model: sonnet
 *     max_concurrency: 2
 *     peers: [MCT-FE-001]
 *     lead: MCT-ARCH-001
 * ```
 */
export const AgentsFileSchema = z.strictObject({ agents: z.array(AgentsFileEntry).max(10_000).nullable().default([]) });

/** Where a problem is in the file: 1-based line and column. */
export interface AgentsFileIssue {
  readonly line: number;
  readonly col: number;
  /** Dotted path in the document, e.g. `agents.2.role`; empty for the document itself. */
  readonly path: string;
  readonly message: string;
}

/** agents.yaml could not be read, or is not valid YAML, or does not match the format. Code VALIDATION_FAILED. */
export class AgentsFileError extends ValidationError {
  constructor(
    readonly file: string,
    readonly issues: readonly AgentsFileIssue[],
  ) {
    super(
      `${file} is not a valid agents file: ${issues.map((i) => `${file}:${i.line}:${i.col}: ${i.path ? `${i.path}: ` : ''}${i.message}`).join('; ')}`,
      { file, issues },
    );
    this.name = 'AgentsFileError';
  }
}

/** An agents file, read and checked: the agents as RegisterAgent data, in file order. */
export interface AgentsFile {
  readonly file: string;
  readonly agents: readonly RegisterAgentData[];
}

type Path = readonly (string | number)[];

/** Line and column of the node at `path`, or of its nearest ancestor that exists; of a key when `key` is given. */
function locate(doc: Document, lines: LineCounter, path: Path, key?: string): { line: number; col: number } {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (!isNode(node) || !node.range) continue;
    let offset = node.range[0];
    if (key !== undefined && n === path.length && isMap(node)) {
      const pair = node.items.find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === key);
      const keyRange = pair && isNode(pair.key) ? pair.key.range : undefined;
      if (keyRange) offset = keyRange[0];
    }
    return lines.linePos(offset);
  }
  return { line: 1, col: 1 };
}

/**
 * Parses and checks the text of an agents file. Throws {@link AgentsFileError} listing every
 * problem with its line and column: YAML syntax, the format (required fields, types, unknown
 * keys), and ids listed twice.
 *
 * @example
 * const { agents } = parseAgentsFile(text, 'examples/agents.yaml');
 */
export function parseAgentsFile(text: string, file: string): AgentsFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new AgentsFileError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { line: pos.line, col: pos.col, path: '', message: e.message.split('\n')[0] ?? e.message };
      }),
    );
  }
  const parsed = AgentsFileSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) {
    throw new AgentsFileError(
      file,
      parsed.error.issues.map((i) => {
        const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
        const unknownKey = i.code === 'unrecognized_keys' ? i.keys[0] : undefined;
        return { ...locate(doc, lines, path, unknownKey), path: path.join('.'), message: i.message };
      }),
    );
  }
  const entries = parsed.data.agents ?? [];
  const seen = new Map<string, number>();
  const duplicates: AgentsFileIssue[] = [];
  entries.forEach((e, index) => {
    const first = seen.get(e.id);
    if (first === undefined) seen.set(e.id, index);
    else duplicates.push({ ...locate(doc, lines, ['agents', index, 'id']), path: `agents.${index}.id`, message: `agent id ${e.id} is listed twice (first as agents.${first})` });
  });
  if (duplicates.length > 0) throw new AgentsFileError(file, duplicates);

  return {
    file,
    agents: entries.map((e) => ({
      agentId: e.id,
      ...(e.name != null ? { name: e.name } : {}),
      role: e.role,
      capabilities: e.capabilities,
      ...(e.model != null ? { model: e.model } : {}),
      maxConcurrency: e.max_concurrency,
      peers: e.peers,
      ...(e.lead != null ? { lead: e.lead } : {}),
    })),
  };
}

/**
 * Reads and checks an agents file (see {@link parseAgentsFile}); a file that cannot be read is
 * an {@link AgentsFileError} too.
 *
 * @example
 * const { agents } = await loadAgentsFile(process.env.AGENTS_FILE);
 */
export async function loadAgentsFile(path: string): Promise<AgentsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new AgentsFileError(path, [{ line: 1, col: 1, path: '', message: `cannot read the file: ${(err as Error).message}` }]);
  }
  return parseAgentsFile(text, path);
}

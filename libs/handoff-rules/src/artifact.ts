import { LineCounter, parseDocument } from 'yaml';

/** An artifact as the rules see it. Build one with {@link toArtifactContent}. */
export interface ArtifactContent {
  readonly name: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
  /** utf8 text, or null for binary */
  readonly text: string | null;
}

/** Everything a handoff carries: its artifacts, its context, and the values the agent reports. */
export interface HandoffInput {
  readonly artifacts: readonly ArtifactContent[];
  readonly context: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, unknown>>;
}

/**
 * The media type Baton assumes for an artifact name: `.md` → text/markdown, `.yaml`/`.yml` →
 * application/yaml, `.json` → application/json, a list (`linear_tickets[]`) or a folder
 * (`designs/`) → application/json (its content is a JSON description), anything else text/plain.
 *
 * @example mediaTypeFor('api_spec.yaml') // 'application/yaml'
 */
export function mediaTypeFor(name: string): string {
  const n = name.trim().toLowerCase();
  if (n.endsWith('[]') || n.endsWith('/')) return 'application/json';
  if (n.endsWith('.md') || n.endsWith('.markdown')) return 'text/markdown';
  if (n.endsWith('.yaml') || n.endsWith('.yml')) return 'application/yaml';
  if (n.endsWith('.json')) return 'application/json';
  return 'text/plain';
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Wraps raw bytes as an {@link ArtifactContent}: decodes UTF-8 text (null when the bytes are not
 * valid UTF-8 or contain NUL, i.e. binary) and guesses the media type from the name when not given.
 *
 * @example toArtifactContent('prd.md', new TextEncoder().encode('# PRD'))
 */
export function toArtifactContent(name: string, bytes: Uint8Array, mediaType?: string): ArtifactContent {
  let text: string | null;
  try {
    text = bytes.includes(0) ? null : UTF8.decode(bytes);
  } catch (_) {
    text = null;
  }
  return { name, mediaType: mediaType === undefined || mediaType.trim() === '' ? mediaTypeFor(name) : mediaType, bytes, text };
}

/** The name without a trailing `[]` or `/`, lower-cased: `Linear_Tickets[]` → `linear_tickets`. */
function baseName(name: string): string {
  return name.trim().replace(/(\[\]|\/)$/, '').toLowerCase();
}

/**
 * The handed-over artifact a spec means by `name`: exact name, else case-insensitive, else
 * ignoring a trailing `[]` or `/` (`linear_tickets[]` ≡ `linear_tickets`, `designs/` ≡ `designs`).
 */
export function findArtifact<T extends { readonly name: string }>(artifacts: readonly T[], name: string): T | undefined {
  return (
    artifacts.find((a) => a.name === name) ??
    artifacts.find((a) => a.name.toLowerCase() === name.toLowerCase()) ??
    artifacts.find((a) => baseName(a.name) === baseName(name))
  );
}

/** True when two artifact names mean the same artifact (see {@link findArtifact}). */
export function artifactNamesMatch(a: string, b: string): boolean {
  return findArtifact([{ name: a }], b) !== undefined;
}

/** A JSON/YAML artifact's parsed value, or why it does not parse. */
export type StructuredView =
  | { readonly ok: true; readonly format: 'json' | 'yaml'; readonly value: unknown }
  | { readonly ok: false; readonly format: 'json' | 'yaml'; readonly reason: string };

const structuredCache = new WeakMap<ArtifactContent, StructuredView | null>();

function declaredFormat(artifact: ArtifactContent): 'json' | 'yaml' | null {
  const type = artifact.mediaType.toLowerCase();
  if (type.includes('json')) return 'json';
  if (type.includes('yaml') || type.includes('yml')) return 'yaml';
  const byName = mediaTypeFor(artifact.name);
  if (byName === 'application/json') return 'json';
  if (byName === 'application/yaml') return 'yaml';
  return null;
}

/**
 * The parsed content of a JSON or YAML artifact (by media type or name; a text/plain artifact
 * whose text is a JSON object or array counts too), or null when the artifact is not structured.
 */
export function structuredView(artifact: ArtifactContent): StructuredView | null {
  if (structuredCache.has(artifact)) return structuredCache.get(artifact) ?? null;
  const view = computeStructured(artifact);
  structuredCache.set(artifact, view);
  return view;
}

function computeStructured(artifact: ArtifactContent): StructuredView | null {
  const format = declaredFormat(artifact);
  const text = artifact.text;
  if (format === null) {
    if (text === null || !/^\s*[[{]/.test(text)) return null;
    const sniffed = parseJson(text);
    return sniffed.ok ? sniffed : null;
  }
  if (text === null) return { ok: false, format, reason: `${artifact.name} is binary, not ${format === 'json' ? 'JSON' : 'YAML'} text` };
  return format === 'json' ? parseJson(text) : parseYaml(text);
}

/** Parses JSON text, reporting the error position as line:column. */
export function parseJson(text: string): StructuredView {
  try {
    return { ok: true, format: 'json', value: JSON.parse(text) as unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(message);
    let where = '';
    if (pos) {
      const offset = Number(pos[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` at line ${line}, column ${column}`;
    }
    return { ok: false, format: 'json', reason: `is not valid JSON${where}: ${message.replace(/\s*\(line \d+ column \d+\)$/, '')}` };
  }
}

/** Parses YAML text (one document), reporting the first error as line:column. */
export function parseYaml(text: string): StructuredView {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    return { ok: false, format: 'yaml', reason: `is not valid YAML at line ${pos.line}, column ${pos.col}: ${first.message.split(' at line ')[0] ?? first.message}` };
  }
  try {
    return { ok: true, format: 'yaml', value: doc.toJS({ maxAliasCount: 100 }) as unknown };
  } catch (e) {
    return { ok: false, format: 'yaml', reason: `is not valid YAML: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** True for artifacts read as prose (markdown or plain text), not JSON/YAML. */
export function isProse(artifact: ArtifactContent): boolean {
  return artifact.text !== null && declaredFormat(artifact) === null && structuredView(artifact) === null;
}

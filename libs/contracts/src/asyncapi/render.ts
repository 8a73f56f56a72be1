import { stringify } from 'yaml';

/** First line of docs/asyncapi.yaml, so nobody edits the generated file by hand. */
const HEADER = '# Generated from libs/contracts by `npm run gen:asyncapi`. Do not edit; change the contracts and regenerate.\n';

/**
 * The document as YAML, exactly as docs/asyncapi.yaml holds it (a test compares the two). Shared
 * objects are written out in full, never as YAML anchors, so any AsyncAPI tool reads it.
 *
 * @example
 * writeFileSync('docs/asyncapi.yaml', renderAsyncApiYaml(buildAsyncApiDocument({ version })));
 */
export function renderAsyncApiYaml(document: unknown): string {
  return HEADER + stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
}

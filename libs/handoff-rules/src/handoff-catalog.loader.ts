import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '@baton/contracts';
import { HandoffCatalog } from './handoff-catalog';
import { HandoffSpecError, type SpecDiagnostic } from './handoff.errors';
import { parseHandoffSpecs, type HandoffSpec, type ParseHandoffSpecOptions } from './handoff-spec';

/**
 * Reads every `*.yaml` / `*.yml` file in `dir` (sorted by name; subdirectories are not read) into
 * a {@link HandoffCatalog}. Throws a {@link HandoffSpecError} listing every problem in every file
 * (and duplicate ids, naming both files), or a NOT_FOUND error when the directory cannot be read.
 *
 * @example
 * const catalog = await loadHandoffCatalog(process.env.HANDOFFS_DIR ?? 'examples/handoffs');
 */
export async function loadHandoffCatalog(dir: string, options: ParseHandoffSpecOptions = {}): Promise<HandoffCatalog> {
  let names: string[];
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    names = entries.filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name)).map((e) => e.name).sort();
  } catch (e) {
    throw new BatonError('NOT_FOUND', `handoff spec directory ${dir} cannot be read (${e instanceof Error ? e.message : String(e)}): create it or point HANDOFFS_DIR at the directory holding the *.yaml specs`, { dir }, false, { cause: e });
  }
  const specs: HandoffSpec[] = [];
  const errors: SpecDiagnostic[] = [];
  const texts = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const text = await readFile(file, 'utf8');
    texts.set(file, text);
    try {
      specs.push(...parseHandoffSpecs(text, file, options));
    } catch (e) {
      // Branch on the code (STYLE.md §8); the diagnostics travel in details.errors.
      const details = e instanceof BatonError && e.code === 'VALIDATION_FAILED' ? (e.details as { errors?: SpecDiagnostic[] } | undefined) : undefined;
      if (details?.errors === undefined) throw e;
      errors.push(...details.errors);
    }
  }
  const seen = new Map<string, HandoffSpec>();
  for (const spec of specs) {
    const first = seen.get(spec.id);
    if (first !== undefined) {
      const text = texts.get(spec.source) ?? '';
      const offset = Math.max(0, text.indexOf(spec.id));
      const line = text.slice(0, offset).split('\n').length;
      errors.push({ file: spec.source, line, column: offset - text.lastIndexOf('\n', offset - 1), message: `handoff id "${spec.id}" is already defined in ${first.source}: rename one of them (ids must be unique)`, text: spec.id });
    } else seen.set(spec.id, spec);
  }
  if (errors.length > 0) throw new HandoffSpecError(errors);
  return new HandoffCatalog(specs);
}

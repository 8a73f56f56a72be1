import { readFile } from 'node:fs/promises';
import { BatonError } from '@baton/contracts';
import { parse } from 'yaml';
import type { z } from 'zod';

/** Reads a file named on the command line; one that cannot be read is VALIDATION_FAILED. */
export async function readInputFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `cannot read ${file}: ${(err as Error).message}`, { file });
  }
}

/**
 * Parses `text` (the YAML of `file`) and checks it against `schema`; an empty file is an empty
 * map. Invalid YAML, or a document that does not match, is VALIDATION_FAILED: `${file}${mismatch}: <issues>`.
 */
export function parseYamlFile<S extends z.ZodType>(text: string, file: string, schema: S, mismatch: string): z.output<S> {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new BatonError('VALIDATION_FAILED', `${file} is not valid YAML: ${(err as Error).message}`, { file });
  }
  const parsed = schema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new BatonError('VALIDATION_FAILED', `${file}${mismatch}: ${issues.join('; ')}`, { file, issues });
  }
  return parsed.data;
}

import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

function newAjv(): Ajv2020 {
  // strictSchema catches misspelled keywords ("requried"); strictTypes and friends would reject
  // ordinary hand-written schemas, and a logger would print to the console, so both are off.
  const ajv = new Ajv2020({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false, strictRequired: false, logger: false });
  addFormats(ajv);
  return ajv;
}

const shared = newAjv();
const compiled = new Map<string, ValidateFunction>();

/** A compiled JSON Schema (draft 2020-12, with ajv-formats), or why it does not compile. */
export type SchemaCompile = { readonly ok: true; readonly validate: ValidateFunction } | { readonly ok: false; readonly reason: string };

/** Compiles a JSON Schema once (cached by content). */
export function compileJsonSchema(schema: Readonly<Record<string, unknown>>): SchemaCompile {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return { ok: true, validate: hit };
  try {
    let validate: ValidateFunction;
    try {
      validate = shared.compile(schema);
    } catch (e) {
      // The same $id with different content: compile it on its own.
      if (!(e instanceof Error) || !/already exists/.test(e.message)) throw e;
      validate = newAjv().compile(schema);
    }
    compiled.set(key, validate);
    return { ok: true, validate };
  } catch (e) {
    return { ok: false, reason: `${e instanceof Error ? e.message : String(e)}; fix the schema (JSON Schema draft 2020-12)` };
  }
}

/** `/tickets/0 must have required property 'estimate'`, one line per ajv error. */
export function formatSchemaErrors(errors: readonly ErrorObject[] | null | undefined, max = 10): string[] {
  const lines: string[] = [];
  for (const e of errors ?? []) {
    const where = e.instancePath === '' ? '(root)' : e.instancePath;
    const extra =
      e.keyword === 'additionalProperties' ? ` ("${String((e.params as { additionalProperty?: unknown }).additionalProperty)}")` : e.keyword === 'enum' ? ` (${JSON.stringify((e.params as { allowedValues?: unknown }).allowedValues)})` : '';
    const line = `${where} ${e.message ?? 'is invalid'}${extra}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return lines.length > max ? [...lines.slice(0, max), `…and ${lines.length - max} more`] : lines;
}

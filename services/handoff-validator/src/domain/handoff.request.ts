import { DuplicateArtifactNameError, UnknownHandoffSpecError } from './handoff.errors';

/**
 * The spec ids a handoff names, checked against the ids loaded: duplicates dropped, order kept.
 * Throws {@link UnknownHandoffSpecError} (VALIDATION_FAILED) listing the unknown and the known ids.
 */
export function selectNamedSpecs(requested: readonly string[], known: readonly string[]): string[] {
  const knownSet = new Set(known);
  const unique = [...new Set(requested)];
  const unknown = unique.filter((id) => !knownSet.has(id));
  if (unknown.length > 0) throw new UnknownHandoffSpecError(unknown, [...known].sort());
  return unique;
}

/** Every artifact of a handoff (inline and by reference) must have its own name. Throws {@link DuplicateArtifactNameError}. */
export function assertUniqueArtifactNames(names: readonly string[]): void {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const n of names) (seen.has(n) ? repeated : seen).add(n);
  if (repeated.size > 0) throw new DuplicateArtifactNameError([...repeated]);
}

import { BatonError, NotFoundError, ValidationError } from '@baton/contracts';

/** An artifact larger than the validator's limit (`ARTIFACT_MAX_BYTES`). Code PAYLOAD_TOO_LARGE; details name it, its size and the limit. */
export class ArtifactTooLargeError extends BatonError {
  constructor(
    readonly artifact: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super('PAYLOAD_TOO_LARGE', `artifact "${artifact}" is ${size} bytes; the limit is ${limit} bytes (ARTIFACT_MAX_BYTES)`, {
      artifact,
      size,
      limit,
    });
  }
}

/** An artifact whose content cannot be read as declared (base64 that does not decode, text that is not well-formed). Code VALIDATION_FAILED. */
export class InvalidArtifactError extends ValidationError {
  constructor(
    readonly artifact: string,
    reason: string,
  ) {
    super(`artifact "${artifact}": ${reason}`, { artifact, reason });
  }
}

/** Two artifacts of one handoff share a name, so rules could not tell which one they are about. Code VALIDATION_FAILED. */
export class DuplicateArtifactNameError extends ValidationError {
  constructor(readonly names: readonly string[]) {
    super(`artifact names must be unique within a handoff (artifacts and artifactRefs together); repeated: ${names.map((n) => `"${n}"`).join(', ')}`, {
      duplicates: names,
    });
  }
}

/** `checks.specIds` names a spec the validator has not loaded. Code VALIDATION_FAILED; details list the unknown and the known ids. */
export class UnknownHandoffSpecError extends ValidationError {
  constructor(
    readonly unknown: readonly string[],
    readonly known: readonly string[],
  ) {
    super(
      `unknown handoff spec${unknown.length === 1 ? '' : 's'} ${unknown.join(', ')}; known: ${known.length > 0 ? known.join(', ') : '(none loaded)'}`,
      { unknown, known },
    );
  }
}

/** An `artifactRefs` hash that is not in the artifact store. Code NOT_FOUND; details name every missing one. */
export class ArtifactNotFoundError extends BatonError {
  constructor(readonly missing: readonly { readonly name: string; readonly hash: string }[]) {
    super(
      'NOT_FOUND',
      `artifact${missing.length === 1 ? '' : 's'} not found: ${missing.map((m) => `"${m.name}" (${m.hash})`).join(', ')}; store ${
        missing.length === 1 ? 'it' : 'them'
      } first with put-artifact, or send ${missing.length === 1 ? 'it' : 'them'} inline`,
      { what: 'artifact', id: missing[0]?.hash, missing },
    );
  }
}

/** No artifact with this hash is stored. Code NOT_FOUND. */
export class ArtifactHashNotFoundError extends NotFoundError {
  constructor(readonly hash: string) {
    super('artifact', hash);
  }
}

/** No handoff with this id was recorded. Code NOT_FOUND. */
export class HandoffNotFoundError extends NotFoundError {
  constructor(readonly handoffId: string) {
    super('handoff', handoffId);
  }
}

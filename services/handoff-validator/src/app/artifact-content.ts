import { createHash } from 'node:crypto';
import type { ArtifactInput } from '@baton/contracts';
import { mediaTypeFor } from '@baton/handoff-rules';
import { ArtifactTooLargeError, InvalidArtifactError } from '../domain';

/**
 * The address of an artifact: `sha256:` and the lower-case hex SHA-256 of its bytes. Every
 * {@link ArtifactStore} adapter addresses artifacts with it.
 *
 * @example
 * contentAddress(Buffer.from('')) // 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
 */
export function contentAddress(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** An artifact of a request, decoded and size-checked, not stored yet. */
export interface DecodedArtifact {
  readonly name: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
}

/** Standard base64 (RFC 4648 §4), padded to a multiple of 4 characters. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A UTF-16 surrogate without its partner: such a string has no UTF-8 form. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeBase64(name: string, content: string): Buffer {
  // Line-wrapped base64 (MIME, the `base64` tool) is accepted: whitespace is dropped first.
  const compact = content.replace(/\s+/g, '');
  if (!BASE64.test(compact)) {
    throw new InvalidArtifactError(name, 'content is not valid base64 (use the standard alphabet A-Z a-z 0-9 + / and pad with = to a multiple of 4 characters)');
  }
  const bytes = Buffer.from(compact, 'base64');
  // Non-zero bits after the last whole byte mean the text was cut or altered.
  if (bytes.toString('base64') !== compact) throw new InvalidArtifactError(name, 'content is not valid base64 (its last group does not decode to whole bytes)');
  return bytes;
}

/**
 * Decodes one artifact of a request and checks its size: base64 that does not decode, or text
 * with no UTF-8 form, throws VALIDATION_FAILED naming the artifact; more than `maxBytes` decoded
 * bytes throws PAYLOAD_TOO_LARGE naming the artifact and the limit. The media type is the given
 * one, else guessed from the name.
 */
export function decodeArtifact(input: ArtifactInput, maxBytes: number): DecodedArtifact {
  if (input.name.includes('\u0000') || input.mediaType?.includes('\u0000')) throw new InvalidArtifactError(input.name, 'the name and media type must not contain NUL characters');
  let bytes: Buffer;
  if (input.encoding === 'base64') {
    bytes = decodeBase64(input.name, input.content);
  } else {
    if (LONE_SURROGATE.test(input.content)) throw new InvalidArtifactError(input.name, 'content has an unpaired UTF-16 surrogate and cannot be stored as UTF-8; send it as base64');
    bytes = Buffer.from(input.content, 'utf8');
  }
  if (bytes.byteLength > maxBytes) throw new ArtifactTooLargeError(input.name, bytes.byteLength, maxBytes);
  return { name: input.name, mediaType: input.mediaType ?? mediaTypeFor(input.name), bytes };
}

const TEXT_APPLICATION_TYPES = new Set([
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'application/xml',
  'application/javascript',
  'application/x-ndjson',
  'application/toml',
  'application/sql',
  'application/graphql',
]);

/** True for media types whose content is text: `text/*`, JSON, YAML, XML and their `+json`/`+yaml`/`+xml` kin. */
export function isTextMediaType(mediaType: string): boolean {
  const base = (mediaType.split(';')[0] ?? '').trim().toLowerCase();
  return base.startsWith('text/') || TEXT_APPLICATION_TYPES.has(base) || /\+(json|yaml|xml)$/.test(base);
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * How get-artifact sends bytes back: `utf8` text when the media type is textual and the bytes
 * are valid UTF-8 (so nothing is lost), otherwise `base64`.
 */
export function encodeForReply(bytes: Uint8Array, mediaType: string): { encoding: 'utf8' | 'base64'; content: string } {
  if (isTextMediaType(mediaType)) {
    try {
      return { encoding: 'utf8', content: strictUtf8.decode(bytes) };
    } catch {
      // Not UTF-8 after all: fall through to base64.
    }
  }
  return { encoding: 'base64', content: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
}

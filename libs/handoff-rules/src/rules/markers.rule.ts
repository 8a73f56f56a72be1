import { truncate } from '../text.util';

/** A place in a text where a pattern was found. */
export interface TextHit {
  /** 1-based line. */
  readonly line: number;
  /** What was found (safe to show: markers and terms, never secrets). */
  readonly found: string;
}

/** Placeholder markers: TBD, TODO, FIXME, XXX (whole words, upper case), ???, [placeholder]-style brackets, lorem ipsum. */
const TBD_MARKERS: readonly RegExp[] = [
  /\bTBD\b/g,
  /\bTODO\b/g,
  /\bFIXME\b/g,
  /\bXXX\b/g,
  /\?{3,}/g,
  /\[\s*(?:placeholder|tbd|todo|insert\b[^\]\n]*|to be (?:determined|decided|defined|confirmed)|fill[ -]?in\b[^\]\n]*|your [^\]\n]{1,30} here|add [^\]\n]{1,30} here)\s*\]/gi,
  /<\s*(?:placeholder|insert [^>\n]{1,40})\s*>/gi,
  /\blorem ipsum\b/gi,
];

/** Vague wording a PRD should not use (checked with the TBD markers by no_ambiguous_terms). */
const AMBIGUOUS_TERMS: readonly RegExp[] = [/\betc\.(?!\w)/gi, /\band\/or\b/gi, /\bas appropriate\b/gi, /\bif possible\b/gi, /\bTBC\b/g, /\bas needed\b/gi];

function scan(text: string, patterns: readonly RegExp[]): TextHit[] {
  const hits: TextHit[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    const found: { at: number; text: string }[] = [];
    for (const pattern of patterns) {
      for (const m of line.matchAll(pattern)) found.push({ at: m.index, text: m[0] });
    }
    found.sort((a, b) => a.at - b.at);
    for (const f of found) hits.push({ line: i + 1, found: truncate(f.text, 40) });
  });
  return hits;
}

/** Every TBD-style marker in `text`, with its line (offset by `firstLine - 1` for a slice of a document). */
export function findTbdMarkers(text: string, firstLine = 1): TextHit[] {
  return scan(text, TBD_MARKERS).map((h) => ({ line: h.line + firstLine - 1, found: h.found }));
}

/** Every ambiguous term in `text` ("etc.", "and/or", "as appropriate", "if possible", "TBC", "as needed"). */
export function findAmbiguousTerms(text: string): TextHit[] {
  return scan(text, AMBIGUOUS_TERMS);
}

/** `line 12: "TBD"` entries for a failure's missing list. */
export function describeHits(hits: readonly TextHit[]): string[] {
  return hits.map((h) => `line ${h.line}: "${h.found}"`);
}

import { nameStartsWith, nameWords, sameName, stripEmphasis } from './text.util';

/**
 * A part of a markdown document a rule can point at: a heading's section, a labelled line
 * (`**Acceptance criteria:** …`), a list item, or the whole document.
 */
export interface MdBlock {
  readonly kind: 'document' | 'heading' | 'label' | 'item';
  /** Heading text, label text or list item text, as written. */
  readonly title: string;
  /** 1-based line of the heading, label or item (0 for the document). */
  readonly line: number;
  /** Heading level 1-6 (0 for the document; 7 for labels and items). */
  readonly level: number;
  /** First body line (0-based index) and the line after the last. */
  readonly start: number;
  readonly end: number;
  /** For labels, the text after the colon; for items, the item's own text. */
  readonly inline: string;
  /** Sub-sections (headings only). */
  readonly children: readonly MdBlock[];
}

export interface MdDoc {
  readonly lines: readonly string[];
  /** True for lines inside fenced code blocks (and the fences). */
  readonly code: readonly boolean[];
  /** True for heading lines (ATX, and setext text + underline). */
  readonly heading: readonly boolean[];
  readonly root: MdBlock;
}

const ATX = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const LIST_ITEM = /^(\s*)(?:[-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

interface MutableBlock {
  kind: 'document' | 'heading';
  title: string;
  line: number;
  level: number;
  start: number;
  end: number;
  inline: string;
  children: MutableBlock[];
}

/** Splits markdown into its heading tree, noting code blocks so rules can skip them. */
export function parseOutline(text: string): MdDoc {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const code: boolean[] = [];
  const heading: boolean[] = lines.map(() => false);
  let fence: string | null = null;
  for (const line of lines) {
    const f = FENCE.exec(line);
    if (fence !== null) {
      code.push(true);
      if (f && f[1]?.[0] === fence[0] && (f[1]?.length ?? 0) >= fence.length && line.trim() === f[1]) fence = null;
    } else if (f) {
      code.push(true);
      fence = f[1] ?? '```';
    } else {
      code.push(false);
    }
  }
  const root: MutableBlock = { kind: 'document', title: '', line: 0, level: 0, start: 0, end: lines.length, inline: '', children: [] };
  const stack: MutableBlock[] = [root];
  const open = (index: number, level: number, title: string, start: number): void => {
    while ((stack[stack.length - 1]?.level ?? 0) >= level) {
      const done = stack.pop() as MutableBlock;
      done.end = index;
    }
    const block: MutableBlock = { kind: 'heading', title: title.trim(), line: index + 1, level, start, end: lines.length, inline: '', children: [] };
    (stack[stack.length - 1] as MutableBlock).children.push(block);
    stack.push(block);
  };
  for (let i = 0; i < lines.length; i++) {
    if (code[i]) continue;
    const line = lines[i] ?? '';
    const atx = ATX.exec(line);
    if (atx) {
      heading[i] = true;
      open(i, atx[1]?.length ?? 1, atx[2] ?? '', i + 1);
      continue;
    }
    const next = lines[i + 1];
    if (next !== undefined && !code[i + 1] && /^ {0,3}(=+|-+)[ \t]*$/.test(next) && isParagraphLine(line) && (i === 0 || (lines[i - 1] ?? '').trim() === '' || heading[i - 1])) {
      heading[i] = true;
      heading[i + 1] = true;
      open(i, next.trim().startsWith('=') ? 1 : 2, line, i + 2);
      i++;
    }
  }
  return { lines, code, heading, root: root as MdBlock };
}

function isParagraphLine(line: string): boolean {
  return line.trim() !== '' && !LIST_ITEM.test(line) && !/^\s*(>|\||<)/.test(line) && !/^ {4}/.test(line);
}

/** The heading text used for matching: without numbering ("2.1 "), emphasis and a trailing colon. */
function matchable(title: string): string {
  return stripEmphasis(title)
    .replace(/^\s*(?:\d+(?:\.\d+)*\.?|[A-Z]\.)\s+/, '')
    .replace(/:\s*$/, '')
    .trim();
}

/** `**Acceptance criteria:** text`, `Acceptance Criteria: text`, `**Acceptance Criteria**` (alone), `- Estimate: 3`. */
export function parseLabel(line: string): { label: string; rest: string; indent: number } | null {
  const indent = /^\s*/.exec(line)?.[0].length ?? 0;
  let s = line.trim();
  const item = /^(?:[-*+]|\d{1,9}[.)])[ \t]+/.exec(s);
  if (item) s = s.slice(item[0].length);
  const bold = /^(\*\*|__)(.+?)\1(.*)$/.exec(s);
  if (bold) {
    const inner = (bold[2] ?? '').trim();
    const after = (bold[3] ?? '').trim();
    if (inner.endsWith(':')) return labelOf(inner.slice(0, -1), after, indent);
    if (after.startsWith(':')) return labelOf(inner, after.slice(1).trim(), indent);
    if (after === '') return labelOf(inner, '', indent);
    return null;
  }
  const plain = /^([A-Za-z][A-Za-z0-9 _\-/&()]{0,60}?)\s*:(?!\/\/)\s*(.*)$/.exec(s);
  if (!plain) return null;
  return labelOf(plain[1] ?? '', plain[2] ?? '', indent);
}

function labelOf(label: string, rest: string, indent: number): { label: string; rest: string; indent: number } | null {
  const clean = stripEmphasis(label).trim();
  if (clean === '' || clean.split(/\s+/).length > 6 || !/^[A-Za-z]/.test(clean)) return null;
  return { label: clean, rest, indent };
}

function isListItem(line: string): boolean {
  return LIST_ITEM.test(line);
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)?.[0].replace(/\t/g, '    ').length ?? 0;
}

/** Where a labelled line's body ends: at a heading, another top-level label, or a blank line followed by unindented prose. */
function labelEnd(doc: MdDoc, at: number, limit: number, indent: number): number {
  let i = at + 1;
  while (i < limit) {
    const line = doc.lines[i] ?? '';
    if (doc.heading[i]) return i;
    if (line.trim() === '') {
      let j = i + 1;
      while (j < limit && (doc.lines[j] ?? '').trim() === '') j++;
      const next = doc.lines[j];
      if (next === undefined || j >= limit || doc.heading[j] || (!isListItem(next) && indentOf(next) <= indent)) return i;
      i = j;
      continue;
    }
    if (!doc.code[i] && !isListItem(line) && indentOf(line) <= indent && parseLabel(line) !== null) return i;
    if (!doc.code[i] && isListItem(line) && indentOf(line) < indent) return i;
    i++;
  }
  return limit;
}

/** All heading blocks under `scope`, shallower first. */
function headingsBreadthFirst(scope: MdBlock): MdBlock[] {
  const out: MdBlock[] = [];
  let level: readonly MdBlock[] = scope.children;
  while (level.length > 0) {
    out.push(...level);
    level = level.flatMap((b) => b.children);
  }
  return out;
}

/** Labelled lines (outside code) in `scope`'s lines, in document order. */
function labelsIn(doc: MdDoc, scope: MdBlock): MdBlock[] {
  const out: MdBlock[] = [];
  for (let i = scope.start; i < scope.end; i++) {
    if (doc.code[i] || doc.heading[i]) continue;
    const label = parseLabel(doc.lines[i] ?? '');
    if (label === null) continue;
    out.push({ kind: 'label', title: label.label, line: i + 1, level: 7, start: i + 1, end: labelEnd(doc, i, scope.end, label.indent), inline: label.rest, children: [] });
  }
  return out;
}

/**
 * The block a rule key names inside `scope`: a heading with the same words (shallowest first),
 * else a labelled line with the same words, else a heading that starts with the key's words.
 */
export function findBlock(doc: MdDoc, scope: MdBlock, key: string): MdBlock | null {
  const headings = headingsBreadthFirst(scope);
  return (
    headings.find((h) => sameName(matchable(h.title), key)) ??
    labelsIn(doc, scope).find((l) => sameName(l.title, key)) ??
    headings.find((h) => nameStartsWith(matchable(h.title), key)) ??
    null
  );
}

/** The section whose heading contains `word` ("story" → "User Stories") and that has items, shallowest first. */
export function findCollection(doc: MdDoc, word: string): MdBlock | null {
  const target = nameWords(word);
  const candidates = headingsBreadthFirst(doc.root).filter((h) => {
    const words = nameWords(matchable(h.title));
    return target.length > 0 && target.every((t) => words.includes(t));
  });
  return candidates.find((h) => itemsOf(doc, h).length > 0) ?? candidates[0] ?? null;
}

/** The lines of a block's body that carry text (headings, blank lines and fences excluded), with the inline text first. */
export function bodyLines(doc: MdDoc, block: MdBlock): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  if (block.inline.trim() !== '') out.push({ line: block.line, text: block.inline });
  for (let i = block.start; i < block.end; i++) {
    const text = doc.lines[i] ?? '';
    if (doc.heading[i] || text.trim() === '' || FENCE.test(text)) continue;
    out.push({ line: i + 1, text });
  }
  return out;
}

/** True when the block has any letters or digits in its body. */
export function hasContent(doc: MdDoc, block: MdBlock): boolean {
  return bodyLines(doc, block).some((l) => /[\p{L}\p{N}]/u.test(l.text.replace(/^\s*(?:[-*+]|\d{1,9}[.)])\s*/, '')));
}

/** The top-level list items of a block's own body (before its first sub-heading). */
export function listItemsOf(doc: MdDoc, block: MdBlock): MdBlock[] {
  const stop = block.children[0] ? block.children[0].line - 1 : block.end;
  const candidates: { index: number; indent: number; text: string }[] = [];
  for (let i = block.start; i < stop; i++) {
    if (doc.code[i] || doc.heading[i]) continue;
    const m = LIST_ITEM.exec(doc.lines[i] ?? '');
    if (m) candidates.push({ index: i, indent: indentOf(m[1] ?? ''), text: m[2] ?? '' });
  }
  if (candidates.length === 0) return [];
  const top = Math.min(...candidates.map((c) => c.indent));
  const items = candidates.filter((c) => c.indent <= top + 1);
  return items.map((c, k) => {
    const next = items[k + 1];
    let end = next ? next.index : stop;
    // A top-level item ends at a blank line followed by unindented prose.
    for (let i = c.index + 1; i < end; i++) {
      const line = doc.lines[i] ?? '';
      if (line.trim() !== '' && !doc.code[i] && indentOf(line) <= c.indent && !isListItem(line)) {
        end = i;
        break;
      }
    }
    return { kind: 'item' as const, title: c.text.trim(), line: c.index + 1, level: 7, start: c.index + 1, end, inline: c.text, children: [] };
  });
}

/**
 * The items of a section: its sub-headings or its top-level list items, whichever are more
 * (a "User Stories" section may hold `### Story 1` headings or a bulleted list).
 */
export function itemsOf(doc: MdDoc, block: MdBlock): readonly MdBlock[] {
  const list = listItemsOf(doc, block);
  return block.children.length >= list.length && block.children.length > 0 ? block.children : list;
}

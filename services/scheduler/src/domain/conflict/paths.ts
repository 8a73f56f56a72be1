/**
 * Do two declared file sets touch the same file? Tasks declare `inputs.files`: paths or globs.
 *
 * Pattern language (the usual one, kept small):
 * - `*` matches any characters within one path segment (not `/`), `?` exactly one of them;
 * - `**` as a whole segment matches zero or more segments (`src/**` = everything under `src`);
 * - anything else is literal (no braces or character classes);
 * - a directory covers everything beneath it: a path given with a trailing `/`, or whose last
 *   segment is a literal name without a dot after its first character (`src/api`, `.github`,
 *   also `Makefile`: when in doubt a dotless name is taken as a directory, which can only make
 *   the check stricter); `src/a.ts` and `src/*.ts` name files only;
 * - `./` prefixes, repeated and trailing `/` and backslashes are normalized away.
 *
 * Two patterns **overlap** when some path matches both. That is decided exactly, without
 * listing files: a memoized walk over both patterns' segments (and, inside a segment, over both
 * segments' characters) in which a wildcard on either side may consume what the other side has.
 */

/** A pattern split into segments, with `**` kept as its own segment, ending in `**` (it covers what is beneath). */
export type CompiledPattern = readonly string[];

const GLOBSTAR = '**';

/** Normalizes a declared path: trims, `\` → `/`, drops `./` segments, repeated and trailing slashes. */
export function normalizePath(path: string): string {
  const segments = path
    .trim()
    .replace(/\\/g, '/')
    .split('/')
    .filter((s, i) => s !== '.' && (s !== '' || i === 0));
  // Keep a leading '' (an absolute path) but not one left by a lone './'.
  const joined = segments.join('/');
  return joined === '' && path.trim().startsWith('/') ? '/' : joined;
}

/** A last segment that names a directory: given with a trailing `/`, or a literal name with no dot after its first character (`src/api`, `.github`). */
function namesDirectory(raw: string, last: string): boolean {
  return /[/\\]\s*$/.test(raw) || (!/[*?]/.test(last) && !last.slice(1).includes('.'));
}

/** Compiles a declared path or glob (see the module comment). */
export function compilePattern(path: string): CompiledPattern {
  const normalized = normalizePath(path);
  const segments = (normalized === '/' ? [''] : normalized.split('/')).map((s) => (/^\*\*+$/.test(s) ? GLOBSTAR : s));
  const collapsed: string[] = [];
  for (const s of segments) if (!(s === GLOBSTAR && collapsed[collapsed.length - 1] === GLOBSTAR)) collapsed.push(s);
  const last = collapsed[collapsed.length - 1] ?? '';
  if (last !== GLOBSTAR && namesDirectory(path, last)) collapsed.push(GLOBSTAR);
  return collapsed;
}

/**
 * Is there a sequence both patterns match? A star element matches zero or more elements, any
 * other pair of elements must `meet`. Segment texts (star `*`) and compiled patterns (star `**`)
 * are the same problem one level apart, so they share this walk.
 */
function sequencesIntersect<T>(a: ArrayLike<T>, b: ArrayLike<T>, star: T, meet: (x: T, y: T) => boolean): boolean {
  const memo = new Map<number, boolean>();
  const width = b.length + 1;
  const walk = (i: number, j: number): boolean => {
    const key = i * width + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (i < a.length && a[i] === star) r = walk(i + 1, j) || (j < b.length && walk(i, j + 1));
    else if (j < b.length && b[j] === star) r = walk(i, j + 1) || (i < a.length && walk(i + 1, j));
    else if (i === a.length || j === b.length) r = false;
    else r = meet(a[i]!, b[j]!) && walk(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return walk(0, 0);
}

/** Can some segment text match both segment patterns (`*` and `?` wildcards, no `/`)? */
export function segmentsIntersect(a: string, b: string): boolean {
  if (!/[*?]/.test(a) && !/[*?]/.test(b)) return a === b;
  return sequencesIntersect(a, b, '*', (x, y) => x === '?' || y === '?' || x === y);
}

/** Is there a path both compiled patterns match? */
export function compiledOverlap(a: CompiledPattern, b: CompiledPattern): boolean {
  return sequencesIntersect(a, b, GLOBSTAR, segmentsIntersect);
}

/** Is there a path both declared paths/globs match? */
export function pathsOverlap(a: string, b: string): boolean {
  return compiledOverlap(compilePattern(a), compilePattern(b));
}

/** One overlapping pair: a pattern of the first set and one of the second. */
export interface FileOverlap {
  readonly mine: string;
  readonly theirs: string;
}

/** Every overlapping pair between two declared file sets, in declaration order. */
export function overlappingFiles(mine: readonly string[], theirs: readonly string[]): FileOverlap[] {
  const compiledTheirs = theirs.map((t) => ({ t, c: compilePattern(t) }));
  const out: FileOverlap[] = [];
  for (const m of mine) {
    const cm = compilePattern(m);
    for (const { t, c } of compiledTheirs) if (compiledOverlap(cm, c)) out.push({ mine: m, theirs: t });
  }
  return out;
}

import { compilePattern, normalizePath, overlappingFiles, pathsOverlap, segmentsIntersect } from './paths';

describe('file overlap (paths and globs)', () => {
  describe('normalizePath', () => {
    it.each([
      ['./src/a.ts', 'src/a.ts'],
      ['src//a.ts', 'src/a.ts'],
      ['src/api/', 'src/api'],
      ['  src\\win\\a.ts ', 'src/win/a.ts'],
      ['/abs/x', '/abs/x'],
      ['src/./a.ts', 'src/a.ts'],
    ])('%s → %s', (input, expected) => {
      expect(normalizePath(input)).toBe(expected);
    });
  });

  it('compiles a pattern into segments, one ** per run, a directory covering what is beneath it', () => {
    expect(compilePattern('src/a.ts')).toEqual(['src', 'a.ts']);
    expect(compilePattern('src/*.ts')).toEqual(['src', '*.ts']);
    expect(compilePattern('src/api')).toEqual(['src', 'api', '**']);
    expect(compilePattern('src/v1.2/')).toEqual(['src', 'v1.2', '**']);
    expect(compilePattern('.github')).toEqual(['.github', '**']);
    expect(compilePattern('src/**/**/x')).toEqual(['src', '**', 'x', '**']);
    expect(compilePattern('src/***')).toEqual(['src', '**']);
  });

  describe('segmentsIntersect', () => {
    it.each([
      ['a.ts', 'a.ts', true],
      ['a.ts', 'b.ts', false],
      ['*.ts', 'a.ts', true],
      ['*.ts', 'a.js', false],
      ['a*', '*b', true],
      ['a*c', 'ab*', true],
      ['a?c', 'abc', true],
      ['a?c', 'ac', false],
      ['*', '', true],
      ['x*', 'y*', false],
      ['*.spec.ts', '*.unit.*', true],
    ])('%s ∩ %s = %s', (a, b, expected) => {
      expect(segmentsIntersect(a, b)).toBe(expected);
      expect(segmentsIntersect(b, a)).toBe(expected);
    });
  });

  describe('pathsOverlap', () => {
    it.each([
      // the same file
      ['src/a.ts', 'src/a.ts', true],
      ['./src/a.ts', 'src//a.ts', true],
      // different files
      ['src/a.ts', 'src/b.ts', false],
      ['src/a.ts', 'lib/a.ts', false],
      // a directory covers what is beneath it
      ['src/api', 'src/api/users.ts', true],
      ['src/api/', 'src/api/deep/users.ts', true],
      ['src/api', 'src/apiary.ts', false],
      ['.github', '.github/workflows/ci.yml', true],
      ['src/v1.2/', 'src/v1.2/x.ts', true],
      ['src/a.ts', 'src/a.ts/x', false],
      // single-segment wildcards
      ['src/*.ts', 'src/a.ts', true],
      ['src/*.ts', 'src/sub/a.ts', false],
      ['src/*/index.ts', 'src/api/index.ts', true],
      ['src/*/index.ts', 'src/api/v1/index.ts', false],
      ['src/?.ts', 'src/a.ts', true],
      // globstars
      ['src/**', 'src/a/b/c.ts', true],
      ['src/**/*.ts', 'src/a.ts', true],
      ['src/**/*.ts', 'src/x/y/z.ts', true],
      ['src/**/*.ts', 'src/x/y/z.js', false],
      ['**/*.md', 'docs/guide.md', true],
      ['**/*.md', 'lib/x.ts', false],
      ['**', 'anything/at/all', true],
      // two globs: is there a path both match?
      ['src/**/*.ts', 'src/api/**', true],
      ['src/*.ts', 'src/*.js', false],
      ['src/**/test/*.ts', 'src/a/**/x.ts', true],
      ['lib/**', 'src/**', false],
      ['*/a.ts', 'b/*', true],
    ])('%s vs %s → %s', (a, b, expected) => {
      expect(pathsOverlap(a, b)).toBe(expected);
      expect(pathsOverlap(b, a)).toBe(expected);
    });
  });

  it('lists every overlapping pair in declaration order', () => {
    expect(overlappingFiles(['src/a.ts', 'docs/**', 'README.md'], ['docs/x.md', 'src/**/*.ts', 'package.json'])).toEqual([
      { mine: 'src/a.ts', theirs: 'src/**/*.ts' },
      { mine: 'docs/**', theirs: 'docs/x.md' },
    ]);
    expect(overlappingFiles(['a'], [])).toEqual([]);
  });

  it('stays fast on patterns with many wildcards (memoized, no backtracking blow-up)', () => {
    const many = `${'*a'.repeat(30)}/${'**/'.repeat(30)}x`;
    const other = `${'a*'.repeat(30)}b/${'y/'.repeat(30)}z`;
    const started = Date.now();
    expect(pathsOverlap(many, other)).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

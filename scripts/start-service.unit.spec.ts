import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// scripts/start-service.sh as the image, npm start and the benchmarks run it: with sh, from the
// repository root, on a stand-in entry point that reports the Node settings it was started with.

const repoRoot = path.resolve(__dirname, '..');
const script = path.join(repoRoot, 'scripts/start-service.sh');

// Child processes on a shared machine: generous time, never a performance limit.
jest.setTimeout(60_000);

interface Started {
  readonly status: number | null;
  readonly stderr: string;
  readonly seen?: { execArgv: string[]; arenas?: string; heapLimitMb: number };
}

describe('start-service.sh', () => {
  let dir: string;
  let main: string;
  /** The same stand-in where the scheduler's entry point would be. */
  let scheduler: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'baton-start-service-'));
    main = path.join(dir, 'main.js');
    const report = `const v8 = require('node:v8');
       process.stdout.write(JSON.stringify({ execArgv: process.execArgv, arenas: process.env.MALLOC_ARENA_MAX,
         heapLimitMb: v8.getHeapStatistics().heap_size_limit / 1048576 }));`;
    writeFileSync(main, report);
    scheduler = path.join(dir, 'services/scheduler/dist/main.js');
    mkdirSync(path.dirname(scheduler), { recursive: true });
    writeFileSync(scheduler, report);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (args: string[], env: Record<string, string> = {}): Started => {
    const r = spawnSync('sh', [script, ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, HOME: tmpdir(), ...env },
    });
    return { status: r.status, stderr: r.stderr, ...(r.status === 0 ? { seen: JSON.parse(r.stdout) as Started['seen'] } : {}) };
  };

  it('sizes the old generation at half of BATON_MEMORY_LIMIT_MB, bounds the young one and keeps two malloc arenas', () => {
    const r = start([main], { BATON_MEMORY_LIMIT_MB: '1024' });
    expect(r.status).toBe(0);
    expect(r.seen!.execArgv).toEqual(['--enable-source-maps', '--max-semi-space-size=8', '--max-old-space-size=512']);
    expect(r.seen!.arenas).toBe('2');
    // V8's limit is the old generation plus the young one.
    expect(r.seen!.heapLimitMb).toBeGreaterThanOrEqual(512);
    expect(r.seen!.heapLimitMb).toBeLessThan(512 + 64);
  });

  it('sets the semi-space from BATON_SEMI_SPACE_MB for any service (the scheduler too: 8 unless told)', () => {
    const r = start([scheduler], { BATON_MEMORY_LIMIT_MB: '1024' });
    expect(r.status).toBe(0);
    expect(r.seen!.execArgv).toEqual(['--enable-source-maps', '--max-semi-space-size=8', '--max-old-space-size=512']);
    const set = start([scheduler], { BATON_MEMORY_LIMIT_MB: '1024', BATON_SEMI_SPACE_MB: '32' });
    expect(set.status).toBe(0);
    expect(set.seen!.execArgv).toEqual(['--enable-source-maps', '--max-semi-space-size=32', '--max-old-space-size=512']);
    // The old generation plus a young one of three semi-spaces at most.
    expect(set.seen!.heapLimitMb).toBeGreaterThanOrEqual(512);
    expect(set.seen!.heapLimitMb).toBeLessThanOrEqual(512 + 3 * 32);
  });

  it.each([
    ['BATON_SEMI_SPACE_MB', 'x8', 'expected a whole number of MB (1-256), got "x8"'],
    ['BATON_SEMI_SPACE_MB', '0', 'expected a whole number of MB (1-256), got 0'],
    ['BATON_SEMI_SPACE_MB', '512', 'expected a whole number of MB (1-256), got 512'],
    ['BATON_MEMORY_LIMIT_MB', 'abc', 'expected a whole number of MB, got "abc"'],
    ['BATON_MEMORY_LIMIT_MB', '200', 'a service needs at least 256 MB, got 200'],
  ])('refuses %s=%s with 64 and starts nothing', (variable, value, message) => {
    const r = start([main], { [variable]: value });
    expect(r.status).toBe(64);
    expect(r.stderr).toContain(`${variable} is invalid: ${message}`);
    expect(r.seen).toBeUndefined();
  });

  it('passes extra node options after its own (a preload, a profiler), and keeps a MALLOC_ARENA_MAX already set', () => {
    const r = start([main, '--no-warnings', '--max-semi-space-size=4'], { BATON_MEMORY_LIMIT_MB: '512', MALLOC_ARENA_MAX: '4' });
    expect(r.status).toBe(0);
    expect(r.seen!.execArgv).toEqual(['--enable-source-maps', '--max-semi-space-size=8', '--max-old-space-size=256', '--no-warnings', '--max-semi-space-size=4']);
    expect(r.seen!.arenas).toBe('4');
  });

  it('refuses an entry point that does not exist (an unknown SERVICE) with 64', () => {
    const r = start(['services/no-such-service/dist/main.js']);
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("no compiled service at 'services/no-such-service/dist/main.js'");
  });
});

import { initialMemoryReleaseState, memoryReleaseIdleMsFromEnv, observeMemory, stateAfterRelease, type MemoryReleaseRule, type MemoryReleaseState } from './idle-memory';

const MB = 1024 * 1024;
const rule: MemoryReleaseRule = { idleMs: 2000, quietUtilization: 0.1, growthBytes: 32 * MB };

/** Feeds samples of 500 ms each; returns the state after them and the index of each sample a release was due at. */
function run(start: MemoryReleaseState, samples: ReadonlyArray<readonly [utilization: number, rssMb: number]>, r: MemoryReleaseRule = rule): { state: MemoryReleaseState; releases: number[] } {
  let state = start;
  const releases: number[] = [];
  samples.forEach(([utilization, rssMb], i) => {
    const next = observeMemory(r, state, { elapsedMs: 500, utilization, rssBytes: rssMb * MB });
    state = next.state;
    if (next.release) releases.push(i);
  });
  return { state, releases };
}

const ready = initialMemoryReleaseState(130 * MB);
const burst: ReadonlyArray<readonly [number, number]> = [
  [0.9, 160],
  [1, 200],
  [0.95, 210],
];
const quiet = (n: number, rssMb: number): Array<[number, number]> => Array.from({ length: n }, () => [0.02, rssMb]);

describe('observeMemory: when a quiet process gives memory back', () => {
  it('releases once the process has been quiet for idleMs after RSS grew by growthBytes or more', () => {
    // Quiet 500 ms per sample: 2,000 ms after the fourth.
    expect(run(ready, [...burst, ...quiet(4, 210)]).releases).toEqual([6]);
    expect(run(ready, [...burst, ...quiet(3, 210)]).releases).toEqual([]);
  });

  it('never releases while the process is busy, however much RSS grew', () => {
    expect(run(ready, [...burst, ...Array.from({ length: 20 }, (): [number, number] => [0.5, 240])]).releases).toEqual([]);
  });

  it('starts counting quiet time again after a busy interval', () => {
    const { releases } = run(ready, [...burst, ...quiet(3, 210), [0.4, 212], ...quiet(3, 212), [0.02, 212]]);
    expect(releases).toEqual([10]);
  });

  it('does not release for growth below growthBytes', () => {
    expect(run(ready, [[1, 161], ...quiet(10, 161)]).releases).toEqual([]);
    expect(run(ready, [[1, 162], ...quiet(4, 162)]).releases).toEqual([4]);
  });

  it('measures growth from the lowest RSS since the last release', () => {
    // RSS fell to 100 MB on its own: 135 MB is then a burst of 35 MB.
    expect(run(ready, [...quiet(1, 100), [1, 135], ...quiet(4, 135)]).releases).toEqual([5]);
  });

  it('releases at most once per burst: the RSS after a release is the new floor', () => {
    const first = run(ready, [...burst, ...quiet(4, 210)]);
    expect(first.releases).toEqual([6]);
    // The release gave back less than hoped (180 MB left): quiet from here on releases nothing more.
    const after = run(stateAfterRelease(180 * MB), quiet(40, 180));
    expect(after.releases).toEqual([]);
    // A new burst on top of it is a new release.
    expect(run(after.state, [[1, 215], ...quiet(4, 215)]).releases).toEqual([4]);
  });

  it('is off with idleMs 0', () => {
    expect(run(ready, [...burst, ...quiet(40, 210)], { ...rule, idleMs: 0 }).releases).toEqual([]);
  });
});

describe('memoryReleaseIdleMsFromEnv', () => {
  it('reads BATON_MEMORY_RELEASE_IDLE_MS, 2000 when unset or blank, 0 for off', () => {
    expect(memoryReleaseIdleMsFromEnv({})).toBe(2000);
    expect(memoryReleaseIdleMsFromEnv({ BATON_MEMORY_RELEASE_IDLE_MS: ' ' })).toBe(2000);
    expect(memoryReleaseIdleMsFromEnv({ BATON_MEMORY_RELEASE_IDLE_MS: '0' })).toBe(0);
    expect(memoryReleaseIdleMsFromEnv({ BATON_MEMORY_RELEASE_IDLE_MS: '5000' })).toBe(5000);
  });

  it('refuses a value that is not a whole number of ms, naming the variable', () => {
    for (const bad of ['-1', '2s', '1.5', '3600001']) {
      expect(() => memoryReleaseIdleMsFromEnv({ BATON_MEMORY_RELEASE_IDLE_MS: bad })).toThrow(/BATON_MEMORY_RELEASE_IDLE_MS/);
    }
  });
});

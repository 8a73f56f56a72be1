import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startJsonLinesProcess, testDatabaseUrl, waitFor } from '@baton/testing';
import { startServiceHost } from './service-host';

const FIXTURE = path.join(__dirname, 'testing', 'idle-memory.process.ts');
const RELEASED = 'memory given back after a burst';

interface Line {
  readonly step?: string;
  readonly msg?: string;
  readonly rssMb: number;
  readonly releases?: number;
  readonly rssBeforeMb?: number;
  readonly rssAfterMb?: number;
  readonly pauseMs?: number;
}

/** RSS of `pid` as the kernel counts it, in MB. */
function rssOf(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) / 1024;
}

jest.setTimeout(90_000);

describe('idle memory release in a real process (a burst, busy, then quiet)', () => {
  it('gives the burst back once quiet, never while busy, and once per burst', async () => {
    // The node options services run with (scripts/start-service.sh).
    const { proc, lines, stderr, exited } = startJsonLinesProcess<Line>(FIXTURE, {
      nodeArgs: ['--max-semi-space-size=8', '--max-old-space-size=256'],
      env: { IDLE_MS: '500', BUSY_MS: '3000' },
    });
    try {
      const released = await waitFor(() => lines.find((l) => l.msg === RELEASED), { timeoutMs: 60_000, what: `the release line (stderr: ${stderr().slice(-500)})` });
      const burst = lines.find((l) => l.step === 'burst')!;
      const busyEnd = lines.find((l) => l.step === 'busy-end')!;
      const ready = lines.find((l) => l.step === 'ready')!;

      // Nothing ran while the loop was busy, though the burst was garbage for all of it.
      expect(busyEnd.releases).toBe(0);
      expect(lines.indexOf(released)).toBeGreaterThan(lines.indexOf(busyEnd));

      // The burst grew the process well past the rule's 32 MB, and the release gave most of it back.
      expect(burst.rssMb - ready.rssMb).toBeGreaterThan(64);
      expect(busyEnd.rssMb - ready.rssMb).toBeGreaterThan(64);
      expect(released.rssBeforeMb! - released.rssAfterMb!).toBeGreaterThan(48);
      expect(released.pauseMs).toBeGreaterThan(0);
      // The kernel agrees: RSS now is within 32 MB of where the process started.
      const now = rssOf(proc.pid!);
      expect(now).toBeLessThan(busyEnd.rssMb - 48);
      expect(now - ready.rssMb).toBeLessThan(32);

      // Quiet for several more windows: no second release without a new burst.
      await new Promise((r) => setTimeout(r, 3000));
      expect(lines.filter((l) => l.msg === RELEASED)).toHaveLength(1);
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
  });

  it('is read from BATON_MEMORY_RELEASE_IDLE_MS by every service host: a bad value stops start-up, naming it', async () => {
    const saved = process.env.BATON_MEMORY_RELEASE_IDLE_MS;
    process.env.BATON_MEMORY_RELEASE_IDLE_MS = 'soon';
    try {
      let started = false;
      await expect(
        startServiceHost({ service: 'scheduler', databaseUrl: testDatabaseUrl(), schema: 'idle_memory_env', migrations: {}, logger: false }, async () => {
          started = true;
        }),
      ).rejects.toThrow('BATON_MEMORY_RELEASE_IDLE_MS is invalid: expected an integer from 0 to 3600000, got "soon"');
      expect(started).toBe(false);
    } finally {
      if (saved === undefined) delete process.env.BATON_MEMORY_RELEASE_IDLE_MS;
      else process.env.BATON_MEMORY_RELEASE_IDLE_MS = saved;
    }
  });
});

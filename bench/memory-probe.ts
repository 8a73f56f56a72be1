/**
 * Preload for a benchmarked service (`node -r ./bench/memory-probe.ts ...`): on SIGUSR2 (the
 * signal bench/pg-query-counter.ts also answers, so one signal takes both readings at the same
 * moment) it writes where the process's memory is to `BENCH_MEMORY_FILE` (atomically: write +
 * rename): `process.memoryUsage()` (RSS, V8 heap used and committed, external, array buffers),
 * V8's heap by space, and /proc/self/smaps_rollup (anonymous vs file-backed resident pages).
 * It reads, never collects: the figures are what the service holds as it runs. Without
 * `BENCH_MEMORY_FILE` it does nothing.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

export interface MemorySnapshot {
  readonly snap: number;
  readonly pid: number;
  /** process.memoryUsage() in MB; `outsideHeapMb` = RSS − V8 heap committed (code, malloc, buffers, the binary). */
  readonly usage: { rssMb: number; heapTotalMb: number; heapUsedMb: number; externalMb: number; arrayBuffersMb: number; outsideHeapMb: number };
  readonly heap: { limitMb: number; mallocedMb: number; peakMallocedMb: number; nativeContexts: number; detachedContexts: number };
  /** Used / committed MB per V8 space (new_space, old_space, code_space, large_object_space...). */
  readonly spaces: Record<string, { usedMb: number; committedMb: number }>;
  /** /proc/self/smaps_rollup in MB (Rss, Pss, Anonymous, Pss_File...). */
  readonly smaps: Record<string, number>;
  readonly anonymous: ReturnType<typeof anonymousMappings>;
}

function smapsRollup(): Record<string, number> {
  try {
    const out: Record<string, number> = {};
    for (const m of readFileSync('/proc/self/smaps_rollup', 'utf8').matchAll(/^(\w+):\s+(\d+) kB$/gm)) out[m[1]!] = Math.round((Number(m[2]) / 1024) * 10) / 10;
    return out;
  } catch {
    return {};
  }
}

/**
 * Resident anonymous memory by kind of mapping, from /proc/self/smaps: glibc malloc's main arena
 * (`[heap]`), thread stacks, and other anonymous mappings by size (V8's heap pages and code
 * come in 256 KB-aligned mappings; glibc's other arenas reserve 64 MB each; malloc's own mmaps of
 * big blocks are anything else). The ten largest anonymous mappings are listed too.
 */
function anonymousMappings(): {
  byKind: Record<string, { mappings: number; rssMb: number }>;
  bySize: Record<string, { mappings: number; rssMb: number }>;
  largest: { sizeMb: number; rssMb: number; name: string }[];
} {
  const byKind: Record<string, { mappings: number; rssMb: number }> = {};
  const bySize: Record<string, { mappings: number; rssMb: number }> = {};
  const all: { sizeMb: number; rssMb: number; name: string }[] = [];
  try {
    const text = readFileSync('/proc/self/smaps', 'utf8');
    for (const block of text.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
      const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ (\d+)[ \t]*([^\n]*)$/m.exec(block);
      if (!head) continue;
      const anon = Number(/^Anonymous:\s+(\d+) kB/m.exec(block)?.[1] ?? 0);
      if (anon === 0) continue;
      const sizeMb = (parseInt(head[2]!, 16) - parseInt(head[1]!, 16)) / 1048576;
      const name = head[4]!.trim();
      const kind = name !== '' ? name : sizeMb >= 63 && sizeMb <= 64 ? 'anon 64 MB (malloc arena)' : sizeMb < 1 ? 'anon < 1 MB' : sizeMb < 8 ? 'anon 1-8 MB' : 'anon >= 8 MB';
      for (const k of [(byKind[kind] ??= { mappings: 0, rssMb: 0 }), (bySize[`${Math.round(sizeMb * 1024)} kB`] ??= { mappings: 0, rssMb: 0 })]) {
        k.mappings++;
        k.rssMb += anon / 1024;
      }
      all.push({ sizeMb: Math.round(sizeMb * 10) / 10, rssMb: Math.round((anon / 1024) * 10) / 10, name: name || 'anon' });
    }
  } catch {
    // not Linux
  }
  for (const k of [...Object.values(byKind), ...Object.values(bySize)]) k.rssMb = Math.round(k.rssMb * 10) / 10;
  const top = Object.entries(bySize).sort((a, b) => b[1].rssMb - a[1].rssMb).slice(0, 12);
  return { byKind, bySize: Object.fromEntries(top), largest: all.sort((a, b) => b.rssMb - a.rssMb).slice(0, 10) };
}

const file = process.env.BENCH_MEMORY_FILE;
if (file) {
  let snap = 0;
  process.on('SIGUSR2', () => {
    snap++;
    const u = process.memoryUsage();
    const h = getHeapStatistics();
    const out: MemorySnapshot = {
      snap,
      pid: process.pid,
      usage: {
        rssMb: mb(u.rss),
        heapTotalMb: mb(u.heapTotal),
        heapUsedMb: mb(u.heapUsed),
        externalMb: mb(u.external),
        arrayBuffersMb: mb(u.arrayBuffers),
        outsideHeapMb: mb(u.rss - u.heapTotal),
      },
      heap: {
        limitMb: mb(h.heap_size_limit),
        mallocedMb: mb(h.malloced_memory),
        peakMallocedMb: mb(h.peak_malloced_memory),
        nativeContexts: h.number_of_native_contexts,
        detachedContexts: h.number_of_detached_contexts,
      },
      spaces: Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { usedMb: mb(s.space_used_size), committedMb: mb(s.physical_space_size) }])),
      smaps: smapsRollup(),
      anonymous: anonymousMappings(),
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(out));
    renameSync(`${file}.tmp`, file);
  });
}

/**
 * Preload for a benchmarked service (`BENCH_ALLOC_FILE=/tmp/alloc.heapprofile` with the bench's
 * `BENCH_PRELOAD=bench/alloc-probe.ts`): samples every allocation, the ones the collector has
 * freed since included (what `--heap-prof` leaves out: it reports what is still alive at exit),
 * and writes the profile when the process exits. Sums by function show where the garbage a
 * collection pause clears comes from. Without `BENCH_ALLOC_FILE` it does nothing.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const file = process.env.BENCH_ALLOC_FILE;
if (file) {
  const session = new Session();
  session.connect();
  session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  let written = false;
  const write = (): void => {
    if (written) return;
    written = true;
    // An in-thread session answers synchronously, so this works inside 'exit' too.
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (!err) writeFileSync(file, JSON.stringify(result.profile));
    });
  };
  process.on('exit', write);
}

import { renderProcessMetrics, sampleProcess } from './process-metrics';

describe('renderProcessMetrics', () => {
  it('renders each metric with HELP, TYPE and a prefixed sample line', () => {
    const text = renderProcessMetrics(
      { service: 'sched"uler', version: '0.1.0' },
      {
        startTimeSeconds: 1700000000,
        cpuUserSeconds: 1.5,
        cpuSystemSeconds: 0.5,
        residentMemoryBytes: 1024,
        heapUsedBytes: 10,
        heapTotalBytes: 20,
        eventLoopDelayP99Seconds: 0.01,
      },
    );
    expect(text.endsWith('\n')).toBe(true);
    expect(text).toContain(`baton_service_info{service="sched\\"uler",version="0.1.0",node_version="${process.version}"} 1\n`);
    expect(text).toContain('# TYPE baton_process_cpu_seconds_total counter\nbaton_process_cpu_seconds_total 2\n');
    expect(text).toContain('baton_process_resident_memory_bytes 1024\n');
    const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toHaveLength(9);
    for (const line of samples) expect(line).toMatch(/^baton_[a-z0-9_]+(\{.*\})? [0-9.e+-]+$/);
  });

  it('samples the running process', () => {
    const s = sampleProcess();
    expect(s.residentMemoryBytes).toBeGreaterThan(0);
    expect(s.startTimeSeconds).toBeLessThanOrEqual(Date.now() / 1000);
    expect(s.eventLoopDelayP99Seconds).toBe(0);
  });
});

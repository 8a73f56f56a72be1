import { Registry } from 'prom-client';
import { exposeMetrics, processRegistry, registerScrapedMetric, registerServiceInfo } from './metrics-registry';

describe('process metrics registry', () => {
  it('is one registry per process, with prom-client default metrics under the baton_ names and the service info', async () => {
    expect(processRegistry()).toBe(processRegistry());
    registerServiceInfo({ service: 'sched"uler', version: '0.1.0' });
    const text = await exposeMetrics();
    expect(text).toContain(`baton_service_info{service="sched\\"uler",version="0.1.0",node_version="${process.version}"} 1`);
    // The names the hand-written exposition used before, kept by prom-client's prefix.
    for (const name of [
      'baton_process_cpu_user_seconds_total',
      'baton_process_cpu_system_seconds_total',
      'baton_process_cpu_seconds_total',
      'baton_process_start_time_seconds',
      'baton_process_resident_memory_bytes',
      'baton_nodejs_heap_size_used_bytes',
      'baton_nodejs_heap_size_total_bytes',
      'baton_nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
  });

  it('serves a scraped gauge and histogram from what the reader returns at each scrape', async () => {
    const own = new Registry();
    let active = 2;
    registerScrapedMetric(own, { name: 'test_active', help: 'Active things.', type: 'gauge', read: async () => [{ labels: { kind: 'a' }, value: active }] });
    registerScrapedMetric(own, {
      name: 'test_duration_seconds',
      help: 'Durations.',
      type: 'histogram',
      bounds: [1, 10],
      read: async () => [{ labels: { kind: 'a' }, buckets: [1, 3], sum: 25.5, count: 4 }],
    });
    let text = await exposeMetrics([own]);
    expect(text).toContain('# TYPE test_active gauge\ntest_active{kind="a"} 2');
    expect(text).toContain(
      [
        '# TYPE test_duration_seconds histogram',
        'test_duration_seconds_bucket{kind="a",le="1"} 1',
        'test_duration_seconds_bucket{kind="a",le="10"} 3',
        'test_duration_seconds_bucket{kind="a",le="+Inf"} 4',
        'test_duration_seconds_sum{kind="a"} 25.5',
        'test_duration_seconds_count{kind="a"} 4',
      ].join('\n'),
    );
    expect(text).toContain('baton_process_resident_memory_bytes');
    active = 5;
    text = await exposeMetrics([own]);
    expect(text).toContain('test_active{kind="a"} 5');
  });
});

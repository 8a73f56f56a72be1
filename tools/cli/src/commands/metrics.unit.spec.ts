import type { GetMetricsReply, MetricFigure } from '@baton/contracts';
import { runCli } from '../cli';
import { fakeClient, fakeDeps } from '../testing/fake-client';
import { formatFigure } from './metrics';

const fig = (value: number | null, unit: MetricFigure['unit'], target: MetricFigure['target'] = null, met: boolean | null = null): MetricFigure => ({ value, unit, target, met });

const reply: GetMetricsReply = {
  since: null,
  workflows: [
    {
      workflowId: 'WF-FEAT-001',
      version: '1.0.0',
      runs: 1,
      finished: 1,
      succeeded: 1,
      cycleTime: fig(3_000_000, 'ms', { op: '<', value: 1_209_600_000 }, true),
      stageDurations: [],
      handoffQuality: fig(57.14, 'percent', { op: '>', value: 90 }, false),
      reworkRate: fig(40, 'percent', { op: '<', value: 10 }, false),
      blockerFrequency: fig(1, 'count', { op: '<', value: 2 }, true),
      parallelEfficiency: fig(28.9, 'percent', { op: '>=', value: 60 }, false),
      agentIdleTime: fig(10, 'percent', { op: '<', value: 5 }, false),
      usage: { tokens: 11_000, costUsd: 0.18 },
    },
  ],
  runs: [],
  agents: [
    {
      key: 'MCT-PM-001',
      executions: 2,
      errors: 0,
      handoffs: 1,
      firstTry: 0,
      firstPassAcceptance: fig(0, 'percent', { op: '>', value: 90 }, false),
      usage: { tokens: 10, costUsd: null },
      costPerAcceptedHandoff: fig(null, 'usd'),
      meanLatencyMs: 1500,
    },
  ],
  models: [],
};

describe('baton metrics', () => {
  it('asks the metrics service with the filters and a range, and prints tables', async () => {
    const client = fakeClient({ 'get-metrics': () => reply });
    const deps = fakeDeps(client);
    expect(await runCli(['metrics', '--workflow', 'WF-FEAT-001', '--agent', 'MCT-PM-001', '--range', '1h'], deps)).toBe(0);
    expect(client.calls).toEqual([{ kind: 'query', name: 'get-metrics', data: { limit: 50, workflowId: 'WF-FEAT-001', agentId: 'MCT-PM-001', rangeMs: 3_600_000 } }]);
    const out = deps.io.out.join('\n');
    expect(out).toContain('WF-FEAT-001');
    expect(out).toContain('50m 00s (< 336h 00m)');
    expect(out).toContain('57.1% (> 90.0%)');
    expect(out).toContain('MCT-PM-001');
  });

  it('prints the reply as one JSON document with --json', async () => {
    const deps = fakeDeps(fakeClient({ 'get-metrics': () => reply }));
    expect(await runCli(['metrics', '--json'], deps)).toBe(0);
    expect(JSON.parse(deps.io.out.join('\n'))).toEqual(reply);
  });

  it('refuses a range that is not a duration', async () => {
    const deps = fakeDeps(fakeClient({}));
    expect(await runCli(['metrics', '--range', 'soon'], deps)).not.toBe(0);
    expect(deps.io.err.join('\n')).toContain('is not a duration');
  });

  it('formats figures by unit, with their targets', () => {
    expect(formatFigure(fig(null, 'ms'))).toBe('-');
    expect(formatFigure(fig(0.0123, 'usd'))).toBe('$0.0123');
    expect(formatFigure(fig(1.5, 'count', { op: '<', value: 2 }, true))).toBe('1.50 (< 2)');
  });
});

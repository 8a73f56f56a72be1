import { projectionReadiness } from './readiness';
import type { ProjectionRunner } from './projection-runner';

const runner = (r: { isLive: boolean; state: string; lastError?: unknown }) => r as unknown as ProjectionRunner<unknown>;

describe('projectionReadiness', () => {
  it('is named after the projection and passes while it is live', () => {
    const check = projectionReadiness('agents', runner({ isLive: true, state: 'running' }));
    expect(check.name).toBe('projection:agents');
    expect(() => check.check()).not.toThrow();
  });

  it('fails while catching up or stopped, with the last error', () => {
    expect(() => projectionReadiness('tasks', runner({ isLive: false, state: 'running' })).check()).toThrow('tasks projection is catching up');
    expect(() => projectionReadiness('tasks', runner({ isLive: false, state: 'stopped', lastError: new Error('boom') })).check()).toThrow(
      'tasks projection is stopped (last error: boom)',
    );
  });
});

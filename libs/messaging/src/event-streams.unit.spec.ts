import { BatonError } from '@baton/contracts';
import { thrownBy } from '@baton/testing';
import { streamReplicasFromEnv } from './event-streams';

describe('streamReplicasFromEnv (BATON_STREAM_REPLICAS)', () => {
  it('is 1 when the variable is unset or blank: one server', () => {
    expect(streamReplicasFromEnv({})).toBe(1);
    expect(streamReplicasFromEnv({ BATON_STREAM_REPLICAS: '  ' })).toBe(1);
  });

  it('takes a whole number from 1 to 5', () => {
    expect(streamReplicasFromEnv({ BATON_STREAM_REPLICAS: '3' })).toBe(3);
    expect(streamReplicasFromEnv({ BATON_STREAM_REPLICAS: ' 5 ' })).toBe(5);
    expect(streamReplicasFromEnv({ BATON_STREAM_REPLICAS: '1' })).toBe(1);
  });

  it.each(['0', '6', '-1', '2.5', 'three', '3x', '1e1'])('refuses %p with VALIDATION_FAILED naming the variable', (value) => {
    const caught = thrownBy(() => streamReplicasFromEnv({ BATON_STREAM_REPLICAS: value }));
    expect(caught).toBeInstanceOf(BatonError);
    expect(caught).toMatchObject({ code: 'VALIDATION_FAILED', details: { variable: 'BATON_STREAM_REPLICAS' } });
    expect((caught as Error).message).toContain(`BATON_STREAM_REPLICAS: must be a whole number from 1 to 5`);
    expect((caught as Error).message).toContain(`"${value}"`);
  });
});

import { parseSlaDuration } from './duration.util';

describe('parseSlaDuration', () => {
  it('reads the forms the seeds use', () => {
    expect(['30 minutes', '4 hours', '2 days', '1h30m', '1 hour 30 minutes', 'PT4H', 'P1DT12H', '90s'].map((t) => parseSlaDuration(t))).toEqual(
      [1_800_000, 14_400_000, 172_800_000, 5_400_000, 5_400_000, 14_400_000, 129_600_000, 90_000].map((ms) => ({ ok: true, ms })),
    );
  });

  it('says how to fix a bad duration', () => {
    expect(parseSlaDuration('30')).toMatchObject({ ok: false, reason: expect.stringContaining('"30" has no unit') });
    expect(parseSlaDuration('soon')).toMatchObject({ ok: false, reason: expect.stringContaining('"soon" is not a duration (write e.g.') });
    expect(parseSlaDuration('0 minutes')).toMatchObject({ ok: false, reason: expect.stringContaining('must be longer than zero') });
    expect(parseSlaDuration('')).toMatchObject({ ok: false, reason: expect.stringContaining('is empty') });
  });
});

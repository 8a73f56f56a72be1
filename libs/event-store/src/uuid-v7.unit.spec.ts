import { isUuid } from './append-validation';
import { uuidV7 } from './uuid-v7';

describe('uuidV7', () => {
  it('is a version-7, RFC-variant UUID carrying the time', () => {
    const id = uuidV7(0x0123456789ab);
    expect(isUuid(id)).toBe(true);
    expect(id.slice(0, 13)).toBe('01234567-89ab');
    expect(id[14]).toBe('7');
    expect(['8', '9', 'a', 'b']).toContain(id[19]);
  });

  it('increases within one millisecond and across milliseconds', () => {
    const ids = [uuidV7(2_000_000_000_000), uuidV7(2_000_000_000_000), uuidV7(2_000_000_000_000), uuidV7(2_000_000_000_001)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(4);
  });

  it('never goes backwards when the clock does', () => {
    const a = uuidV7(2_100_000_000_000);
    const b = uuidV7(2_000_000_000_000);
    expect(b > a).toBe(true);
  });
});

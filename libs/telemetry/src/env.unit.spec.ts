import { EnvError, envBool, envInt, envString, envUrl, rawEnv } from './env';

function thrown(fn: () => unknown): EnvError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EnvError) return err;
    throw err;
  }
  throw new Error('expected an EnvError');
}

describe('rawEnv', () => {
  it('treats unset, empty and whitespace-only as unset and trims values', () => {
    const source = { EMPTY: '', SPACES: '  \t', SET: '  x ' };
    expect(rawEnv('MISSING', source)).toBeUndefined();
    expect(rawEnv('EMPTY', source)).toBeUndefined();
    expect(rawEnv('SPACES', source)).toBeUndefined();
    expect(rawEnv('SET', source)).toBe('x');
  });
});

describe('envString', () => {
  it('returns the value, or the default when blank', () => {
    expect(envString('A', 'd', { source: { A: 'value' } })).toBe('value');
    expect(envString('A', 'd', { source: { A: '   ' } })).toBe('d');
  });

  it('throws naming the variable when required and unset', () => {
    const err = thrown(() => envString('WEBHOOK_SECRET', undefined, { source: { WEBHOOK_SECRET: '' } }));
    expect(err.code).toBe('INVALID_ENV');
    expect(err.variable).toBe('WEBHOOK_SECRET');
    expect(err.reason).toBe('missing');
    expect(err.message).toBe('WEBHOOK_SECRET is not set: expected a non-empty string');
  });
});

describe('envInt', () => {
  it('parses integers, with sign and surrounding space', () => {
    expect(envInt('N', undefined, { source: { N: ' 42 ' } })).toBe(42);
    expect(envInt('N', undefined, { source: { N: '-7' } })).toBe(-7);
    expect(envInt('N', undefined, { source: { N: '+0' } })).toBe(0);
  });

  it('returns the default when blank', () => {
    expect(envInt('HTTP_PORT', 3101, { source: { HTTP_PORT: '' } })).toBe(3101);
  });

  it.each(['3.5', 'abc', '12abc', '0x10', '1e3', '99999999999999999999'])('rejects %p', (value) => {
    const err = thrown(() => envInt('N', 1, { source: { N: value } }));
    expect(err.reason).toBe('malformed');
    expect(err.message).toBe(`N is invalid: expected an integer, got "${value}"`);
  });

  it('enforces bounds and says what they are', () => {
    const err = thrown(() => envInt('HTTP_PORT', 3000, { min: 0, max: 65535, source: { HTTP_PORT: '70000' } }));
    expect(err.message).toBe('HTTP_PORT is invalid: expected an integer from 0 to 65535, got "70000"');
    expect(thrown(() => envInt('N', 1, { min: 1, source: { N: '0' } })).expected).toBe('an integer >= 1');
    expect(thrown(() => envInt('N', 1, { max: 5, source: { N: '6' } })).expected).toBe('an integer <= 5');
    expect(envInt('N', 1, { min: 0, max: 65535, source: { N: '65535' } })).toBe(65535);
  });

  it('throws when required and unset', () => {
    expect(thrown(() => envInt('N', undefined, { source: {} })).message).toBe('N is not set: expected an integer');
  });
});

describe('envUrl', () => {
  it('returns the value as given', () => {
    const url = 'postgres://baton:secret@db:5432/baton';
    expect(envUrl('DATABASE_URL', undefined, { source: { DATABASE_URL: url } })).toBe(url);
  });

  it('falls back to the default, which is validated too', () => {
    expect(envUrl('NATS_URL', 'nats://127.0.0.1:4222', { source: {} })).toBe('nats://127.0.0.1:4222');
    expect(thrown(() => envUrl('NATS_URL', 'not a url', { source: {} })).reason).toBe('malformed');
  });

  it('rejects relative or unparsable values without echoing them', () => {
    const err = thrown(() => envUrl('DATABASE_URL', undefined, { source: { DATABASE_URL: '//baton:pw@db/baton' } }));
    expect(err.message).toBe('DATABASE_URL is invalid: expected an absolute URL');
    expect(err.message).not.toContain('pw');
    expect(err.shownValue).toBeUndefined();
  });

  it('enforces the allowed schemes', () => {
    const opts = { protocols: ['postgres', 'postgresql'], source: { DATABASE_URL: 'mysql://u:pw@h/db' } };
    const err = thrown(() => envUrl('DATABASE_URL', undefined, opts));
    expect(err.message).toBe('DATABASE_URL is invalid: expected an absolute URL with scheme postgres:// or postgresql://');
    expect(envUrl('DATABASE_URL', undefined, { ...opts, source: { DATABASE_URL: 'postgresql://h/db' } })).toBe(
      'postgresql://h/db',
    );
  });

  it('throws when required and unset', () => {
    expect(thrown(() => envUrl('EVENTSTORE_URL', undefined, { source: { EVENTSTORE_URL: ' ' } })).reason).toBe('missing');
  });
});

describe('envBool', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    ['On', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['OFF', false],
  ])('reads %p as %p', (value, expected) => {
    expect(envBool('B', undefined, { source: { B: value } })).toBe(expected);
  });

  it('returns the default when blank and throws on other words', () => {
    expect(envBool('B', true, { source: { B: '' } })).toBe(true);
    const err = thrown(() => envBool('LOG_PRETTY', false, { source: { LOG_PRETTY: 'maybe' } }));
    expect(err.message).toBe('LOG_PRETTY is invalid: expected one of true, false, 1, 0, yes, no, on, off, got "maybe"');
  });

  it('throws when required and unset', () => {
    expect(thrown(() => envBool('B', undefined, { source: {} })).reason).toBe('missing');
  });
});

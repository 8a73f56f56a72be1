import { parseDurationRange, parseSimOptions } from './options';

const seed = (): number => 42;

describe('parseSimOptions', () => {
  it('has defaults for everything', () => {
    expect(parseSimOptions([], {}, seed)).toEqual({
      agentsFile: 'examples/agents.yaml',
      only: undefined,
      durationMs: { min: 500, max: 2000 },
      failureRate: 0,
      outputsFile: undefined,
      seed: 42,
      steps: 4,
      heartbeatMs: 5000,
      ackWaitMs: 10_000,
      inboxOnly: false,
      json: false,
      natsUrl: 'nats://127.0.0.1:4222',
      help: false,
    });
  });

  it('reads every flag', () => {
    const o = parseSimOptions(
      ['--agents', 'team.yaml', '--only', 'a, b,', '--duration-ms', '100-300', '--failure-rate', '0.25', '--outputs', 'out.yaml', '--seed', '7', '--steps', '5', '--heartbeat-ms', '500', '--ack-wait-ms', '3000', '--json'],
      { NATS_URL: 'nats://nats:4222' },
      seed,
    );
    expect(o).toMatchObject({
      agentsFile: 'team.yaml',
      only: ['a', 'b'],
      durationMs: { min: 100, max: 300 },
      failureRate: 0.25,
      outputsFile: 'out.yaml',
      seed: 7,
      steps: 5,
      heartbeatMs: 500,
      ackWaitMs: 3000,
      inboxOnly: false,
      json: true,
      natsUrl: 'nats://nats:4222',
    });
  });

  it('reads the environment when a flag is absent, and a flag wins over it; blank means unset', () => {
    const env = { SIM_AGENTS_FILE: 'env.yaml', SIM_ONLY: 'x', SIM_DURATION_MS: '50', SIM_FAILURE_RATE: '1', SIM_SEED: '9', SIM_JSON: '1', SIM_OUTPUTS_FILE: '  ' };
    expect(parseSimOptions([], env, seed)).toMatchObject({ agentsFile: 'env.yaml', only: ['x'], durationMs: { min: 50, max: 50 }, failureRate: 1, seed: 9, json: true, outputsFile: undefined });
    expect(parseSimOptions(['--only', 'y', '--seed', '3'], env, seed)).toMatchObject({ only: ['y'], seed: 3 });
  });

  it('names the flag or variable of a bad value', () => {
    expect(() => parseSimOptions(['--failure-rate', '1.5'], {}, seed)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('--failure-rate') }));
    expect(() => parseSimOptions([], { SIM_FAILURE_RATE: 'often' }, seed)).toThrow(expect.objectContaining({ message: expect.stringContaining('SIM_FAILURE_RATE') }));
    expect(() => parseSimOptions(['--seed', '-1'], {}, seed)).toThrow(expect.objectContaining({ message: expect.stringContaining('--seed') }));
    expect(() => parseSimOptions(['--steps', '0'], {}, seed)).toThrow(expect.objectContaining({ message: expect.stringContaining('--steps') }));
    expect(() => parseSimOptions(['--only', ' , '], {}, seed)).toThrow(expect.objectContaining({ message: expect.stringContaining('--only') }));
    expect(() => parseSimOptions([], { SIM_JSON: 'yes' }, seed)).toThrow(expect.objectContaining({ message: expect.stringContaining('SIM_JSON') }));
  });

  it('refuses unknown flags and positionals with the usage', () => {
    expect(() => parseSimOptions(['--agent', 'x'], {}, seed)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED', message: expect.stringContaining('usage: sim-agents') }));
    expect(() => parseSimOptions(['extra'], {}, seed)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });

  it('knows --help', () => {
    expect(parseSimOptions(['-h'], {}, seed).help).toBe(true);
  });
});

describe('parseDurationRange', () => {
  it('reads a range or a single value', () => {
    expect(parseDurationRange('100-250')).toEqual({ min: 100, max: 250 });
    expect(parseDurationRange('100 - 250')).toEqual({ min: 100, max: 250 });
    expect(parseDurationRange('0')).toEqual({ min: 0, max: 0 });
  });

  it('refuses reversed, negative and malformed ranges', () => {
    expect(() => parseDurationRange('300-100')).toThrow(expect.objectContaining({ message: expect.stringContaining('below the minimum') }));
    expect(() => parseDurationRange('-5')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => parseDurationRange('1s')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    expect(() => parseDurationRange('1-99999999999')).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});

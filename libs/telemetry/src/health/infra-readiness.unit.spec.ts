import { EnvError } from '../env';
import { readInfraEnv } from './infra-readiness';

describe('readInfraEnv', () => {
  it('defaults to the local servers of scripts/infra.sh and names its checks', () => {
    const infra = readInfraEnv({ nats: true, postgres: true }, {});
    expect(infra.natsUrl).toBe('nats://127.0.0.1:4222');
    expect(infra.databaseUrl).toBe('postgres://baton:baton@127.0.0.1:5432/baton');
    expect(infra.readinessChecks.map((c) => c.name)).toEqual(['nats', 'postgres']);
  });

  it('reads only what is needed', () => {
    const infra = readInfraEnv({ nats: true }, { NATS_URL: 'nats://nats:4222', DATABASE_URL: 'not read' });
    expect(infra).toEqual({ natsUrl: 'nats://nats:4222', readinessChecks: [expect.objectContaining({ name: 'nats' })] });
  });

  it('rejects a URL with the wrong scheme', () => {
    expect(() => readInfraEnv({ postgres: true }, { DATABASE_URL: 'mysql://db/baton' })).toThrow(EnvError);
  });
});

import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { INestApplication } from '@nestjs/common';
import { readHttpServerEnv, startHttpService } from './http-service.bootstrap';
import { createLogger } from './logger';
import { OpsEndpointsModule } from './ops-endpoints.module';

/** The machine's IPv4 addresses other than loopback (the ones another machine could reach). */
function externalAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}

/** Whether a TCP connection to host:port is accepted (true) or refused (false). */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNREFUSED' ? resolve(false) : reject(err)));
  });
}

describe('a service started with the default HTTP settings listens on loopback only (real sockets)', () => {
  let app: INestApplication | undefined;

  afterAll(async () => {
    await app?.close();
  });

  it('is reachable on 127.0.0.1 and refused on every other address of the machine', async () => {
    // Nothing set but a free port: HTTP_HOST takes its default.
    const server = readHttpServerEnv(0, { HTTP_PORT: '0' });
    app = await startHttpService({
      module: OpsEndpointsModule.forRoot({ service: 'http-host-test', version: '0.0.0', readinessChecks: [] }),
      server,
      logger: createLogger({ service: 'http-host-test', level: 'silent' }),
    });
    const address = app.getHttpServer().address() as { address: string; port: number };
    expect((await fetch(`http://127.0.0.1:${address.port}/health/live`)).status).toBe(200);

    const external = externalAddresses();
    if (external.length === 0) {
      process.stdout.write('this machine has no non-loopback IPv4 address: only the loopback side and the bound address are checked\n');
    }
    for (const host of external) expect({ host, accepted: await accepts(host, address.port) }).toEqual({ host, accepted: false });
    expect(address.address).toBe('127.0.0.1');
    expect(server.httpHost).toBe('127.0.0.1');
  });

  it('HTTP_HOST=0.0.0.0 opts in to every interface (what the container files set)', () => {
    expect(readHttpServerEnv(0, { HTTP_HOST: '0.0.0.0' }).httpHost).toBe('0.0.0.0');
    expect(readHttpServerEnv(0, { HTTP_HOST: '  ' }).httpHost).toBe('127.0.0.1');
  });
});

import type { DynamicModule, INestApplication, Type } from '@nestjs/common';

/** A Nest application a test booted, listening on loopback, and the base URL to fetch it at. */
export interface BootedHttpModule {
  readonly app: INestApplication;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly base: string;
}

/**
 * Compiles `module` with @nestjs/testing into a silent application listening on an ephemeral
 * loopback port, for a spec that checks a service's HTTP endpoints without starting the service
 * (close `app` after the test). @nestjs/testing loads on the first call only, so specs that never
 * boot a module do not pay for it.
 *
 * @example
 * const { app, base } = await bootHttpModule(AppModule.forRoot({ version: '9.9.9', readinessChecks: [] }));
 * expect((await fetch(`${base}/health/live`)).status).toBe(200);
 * await app.close();
 */
export async function bootHttpModule(module: DynamicModule | Type): Promise<BootedHttpModule> {
  const { Test } = await import('@nestjs/testing');
  const moduleRef = await Test.createTestingModule({ imports: [module] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, base: `http://127.0.0.1:${address.port}` };
}

/**
 * For the tests of one describe block: a `boot` that works like {@link bootHttpModule} and
 * closes each application it booted after the test that booted it (call it in the describe
 * block's body; it registers an `afterEach`).
 *
 * @example
 * describe('scheduler app module', () => {
 *   const boot = httpModuleBooter();
 *   it('answers /health/live', async () => {
 *     const { base } = await boot(AppModule.forRoot({ version: '9.9.9', readinessChecks: [] }));
 *     expect((await fetch(`${base}/health/live`)).status).toBe(200);
 *   });
 * });
 */
export function httpModuleBooter(): (module: DynamicModule | Type) => Promise<BootedHttpModule> {
  const open: INestApplication[] = [];
  afterEach(async () => {
    for (const app of open.splice(0)) await app.close();
  });
  return async (module) => {
    const booted = await bootHttpModule(module);
    open.push(booted.app);
    return booted;
  };
}

/**
 * A service on {@link runService} in its own process, for run-service.int.spec.ts to signal:
 * the operational endpoints on `HTTP_PORT` (via startHttpService), a SIGHUP handler that logs
 * `reloaded` (or fails when `FIXTURE_SIGHUP_FAILS=1`), and a shutdown hook that takes
 * `FIXTURE_CLOSE_MS` so a test can watch readiness during close and the shutdown timeout.
 * Started with `node -r @swc-node/register`.
 */
import 'reflect-metadata';
import { Injectable, Module, type BeforeApplicationShutdown } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { readHttpServerEnv, runService, startHttpService } from '../http-service.bootstrap';
import { OpsEndpointsModule } from '../ops-endpoints.module';

const closeMs = Number(process.env['FIXTURE_CLOSE_MS'] ?? '0');

@Injectable()
class SlowClose implements BeforeApplicationShutdown {
  async beforeApplicationShutdown(): Promise<void> {
    await sleep(closeMs);
  }
}

// Nest runs beforeApplicationShutdown hooks nearest the root first; module hops put the slow hook
// after the health module's (which turns readiness 503), as a real service's deeper work would be.
@Module({ providers: [SlowClose] })
class SlowCloseModule {}

@Module({ imports: [SlowCloseModule] })
class InnerModule {}

@Module({ imports: [InnerModule] })
class WorkModule {}

@Module({
  imports: [OpsEndpointsModule.forRoot({ service: 'run-service-fixture', version: '0.0.0', readinessChecks: [] }), WorkModule],
})
class FixtureModule {}

runService('run-service-fixture', async (logger, runtime) => {
  const server = readHttpServerEnv(0);
  runtime.onSignal('SIGHUP', () => {
    if (process.env['FIXTURE_SIGHUP_FAILS'] === '1') throw new Error('reload refused');
    logger.info('reloaded');
  });
  return startHttpService({ module: FixtureModule, server, logger });
});

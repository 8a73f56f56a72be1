import { Module, type DynamicModule } from '@nestjs/common';
import { OpsEndpointsModule, type ReadinessCheck } from '@baton/telemetry';

/** What the composition root (main.ts) hands the gateway. */
export interface GatewayConfig {
  readonly version: string;
  /** Dependencies that must answer before /health/ready says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
}

/** Root module of the gateway: REST API, live dashboard and MCP endpoint; it owns no domain state and reaches the other services only over NATS. */
@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        OpsEndpointsModule.forRoot({ service: 'gateway', version: config.version, readinessChecks: config.readinessChecks }),
      ],
    };
  }
}

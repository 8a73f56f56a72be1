import { Module, type DynamicModule } from '@nestjs/common';
import type { ReloadAgentsReply } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { serviceRootModule, type ReadinessCheck } from '@baton/telemetry';
import type { Kysely } from 'kysely';
import type { AgentCommands } from '../app/ports';
import { AgentRegistryNatsController } from './agent-registry.nats-controller';
import type { AgentRegistryDatabase } from '../read-model/agents.table';
import { AGENT_COMMANDS, EVENT_STORE, READ_DB, RELOAD_AGENTS } from './tokens';
import packageJson from '../../package.json';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface AgentRegistryDeps {
  readonly store: EventStore;
  readonly db: Kysely<AgentRegistryDatabase>;
  /** Dependencies that must answer before `/health/ready` says 200. */
  readonly readinessChecks: readonly ReadinessCheck[];
  readonly commands: AgentCommands;
  readonly reloadAgents: () => Promise<ReloadAgentsReply>;
}

/** The agent-registry's Nest module: NATS controller, `/health/live`, `/health/ready`, `/metrics`, and the adapters they use. */
@Module({})
export class AgentRegistryModule {
  static register(deps: AgentRegistryDeps): DynamicModule {
    return serviceRootModule(AgentRegistryModule, { service: 'agent-registry', version: packageJson.version, readinessChecks: deps.readinessChecks }, {
      controllers: [AgentRegistryNatsController],
      providers: [
        { provide: EVENT_STORE, useValue: deps.store },
        { provide: READ_DB, useValue: deps.db },
        { provide: AGENT_COMMANDS, useValue: deps.commands },
        { provide: RELOAD_AGENTS, useValue: deps.reloadAgents },
      ],
    });
  }
}

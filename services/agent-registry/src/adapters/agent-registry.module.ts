import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ReloadAgentsReply } from '@baton/contracts';
import type { EventStore } from '@baton/event-store';
import { NATS_CONNECTION, type EventRelay } from '@baton/messaging';
import type { ProjectionRunner } from '@baton/read-models';
import type { Kysely } from 'kysely';
import type { AgentCommandHandler } from '../app/agent-command.handler';
import type { Clock, IdSource } from '../app/ports';
import { AgentRegistryNatsController } from './agent-registry.nats-controller';
import type { AgentRegistryDatabase } from './agents.table';
import { HealthController } from './health.controller';
import { AGENT_COMMANDS, AGENTS_PROJECTION_RUNNER, CLOCK, EVENT_RELAY, EVENT_STORE, ID_SOURCE, READ_DB, RELOAD_AGENTS } from './tokens';

/** The adapters the composition root builds and hands to Nest (Nest does not own their lifecycle). */
export interface AgentRegistryDeps {
  readonly store: EventStore;
  readonly db: Kysely<AgentRegistryDatabase>;
  readonly projection: ProjectionRunner<AgentRegistryDatabase>;
  readonly relay: EventRelay;
  readonly nc: NatsConnection;
  readonly clock: Clock;
  readonly ids: IdSource;
  readonly commands: AgentCommandHandler;
  readonly reloadAgents: () => Promise<ReloadAgentsReply>;
}

/** The agent-registry's Nest module: NATS controller, health controller, and the adapters they use. */
@Module({})
export class AgentRegistryModule {
  static register(deps: AgentRegistryDeps): DynamicModule {
    return {
      module: AgentRegistryModule,
      imports: [TerminusModule.forRoot()],
      controllers: [AgentRegistryNatsController, HealthController],
      providers: [
        { provide: EVENT_STORE, useValue: deps.store },
        { provide: READ_DB, useValue: deps.db },
        { provide: AGENTS_PROJECTION_RUNNER, useValue: deps.projection },
        { provide: EVENT_RELAY, useValue: deps.relay },
        { provide: NATS_CONNECTION, useValue: deps.nc },
        { provide: CLOCK, useValue: deps.clock },
        { provide: ID_SOURCE, useValue: deps.ids },
        { provide: AGENT_COMMANDS, useValue: deps.commands },
        { provide: RELOAD_AGENTS, useValue: deps.reloadAgents },
      ],
    };
  }
}

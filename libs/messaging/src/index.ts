/**
 * `@baton/messaging`: NATS connections, request/reply for Nest handlers with plain JSON on
 * the wire, the Baton client, trace propagation in NATS headers, JetStream streams,
 * publisher, durable consumers with dead-lettering and inbox dedupe, the event relay, the
 * NATS and relay readiness checks, and the service host the composition roots start on.
 */
export { connectNats, type ConnectNatsOptions, type ManagedNatsConnection } from './nats-connection';
export { NatsModule, NATS_CONNECTION, MANAGED_NATS_CONNECTION } from './nats.module';
export type { MessagingLogger } from './messaging.logger';
export { ensureTracePropagation, injectTraceHeaders, extractTraceContext, outgoingTraceHeaders, traceIdOf, setStoredTraceHeaders } from './trace-context';
export { BatonRpcContext } from './rpc.context';
export { CommandHandler, QueryHandler, BATON_MESSAGE_DEFINITION } from './rpc.decorators';
export { BatonRpcExceptionFilter, rpcErrorReply, type RpcErrorScope } from './rpc-exception.filter';
export { BatonRpcTransport, type BatonRpcTransportOptions } from './baton-rpc.transport';
export { BatonClient, type BatonClientOptions, type CommandOptions, type QueryOptions, type RawRequestOptions } from './baton.client';
export { ensureEventStreams, streamReplicasFromEnv, type EnsureEventStreamsOptions, type EventStreamsInfo } from './event-streams';
export { publishTraced, sendTraced, type PublishTracedOptions } from './traced-publish';
export { PipelinedJetStreamPublisher, type JetStreamPublish, type JetStreamPublishOptions } from './jetstream-publisher';
export { publishEvent, eventHeaders, subjectOfEvent, EventHeaders, type PublishEventOptions } from './event.publisher';
export {
  consumeDurable,
  decodeRecordedEvent,
  DeadLetterHeaders,
  type ConsumeDurableOptions,
  type Delivery,
  type DurableConsumer,
  type DurableConsumerStats,
} from './durable-consumer';
export { PostgresInboxStore, type InboxStore, type PostgresInboxStoreOptions, type Queryable } from './inbox.store';
export { sqlIdentifier } from './own-table.store';
export { PostgresCheckpointStore, type CheckpointStore, type PostgresCheckpointStoreOptions } from './checkpoint.store';
export { EventRelay, type EventRelayOptions, type RelayLag } from './event.relay';
export { StreamInterest, subjectMatches, relayPublishModeFromEnv, RELAY_PUBLISH_MODES, type EventInterest, type RelayPublishMode, type StreamInterestOptions } from './relay-interest';
export { natsReadiness, relayReadiness } from './readiness';
export { Poller, type PollerOptions } from './poller';
export { readServiceEnv, type ServiceEnv } from './service-env';
export {
  ServiceHost,
  serviceLogger,
  silentMessagingLogger,
  startServiceHost,
  type ConsumerStart,
  type HostedService,
  type ProjectingService,
  type HostedServiceOptions,
  type ListeningService,
  type ServiceConsumerOptions,
  type ServiceHostOptions,
  type ServiceHttpOptions,
  type ServiceReadiness,
} from './service-host';
export { migrateServiceDatabases, type MigrateServiceDatabasesOptions, type ServiceDatabasesMigrated, type ServiceMigration } from './service-migration';

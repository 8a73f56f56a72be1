// Test-only: publishes agent-registry events to JetStream the way the registry's relay does
// (a RecordedEvent as JSON on `baton.evt.agent.<event>`, msgID = event id), so scheduler tests
// can drive agents online and offline without importing another service.
import { createHash, randomUUID } from 'node:crypto';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { RecordedEvent } from '@baton/contracts';

const SUBJECT: Record<string, string> = {
  AgentRegistered: 'registered',
  AgentUpdated: 'updated',
  AgentRemoved: 'removed',
  AgentWentOffline: 'went-offline',
  AgentCameOnline: 'came-online',
};

/** Publishes the events of fake `agent-<id>` streams, numbering revisions per agent. */
export class FakeAgentRegistry {
  private readonly revisions = new Map<string, number>();
  private commit = Date.now();

  constructor(private readonly js: JetStreamClient) {}

  async publish(type: keyof typeof SUBJECT, agentId: string, data: Record<string, unknown>): Promise<RecordedEvent> {
    const revision = (this.revisions.get(agentId) ?? -1) + 1;
    this.revisions.set(agentId, revision);
    const streamId = `agent-${agentId}`;
    const event: RecordedEvent = {
      eventId: randomUUID(),
      type,
      schemaVersion: 1,
      streamId,
      revision,
      position: { commit: ++this.commit, prepare: 0 },
      data: { agentId, ...data },
      metadata: { occurredAt: new Date().toISOString() },
      prevHash: '0'.repeat(64),
      hash: createHash('sha256').update(`${streamId}/${revision}`).digest('hex'),
    };
    await this.js.publish(`baton.evt.agent.${SUBJECT[type]}`, JSON.stringify(event), { msgID: event.eventId });
    return event;
  }

  register(agentId: string, profile: { role: string; capabilities: string[]; maxConcurrency: number }): Promise<RecordedEvent> {
    return this.publish('AgentRegistered', agentId, { ...profile, peers: [], registeredAt: new Date().toISOString() });
  }

  wentOffline(agentId: string): Promise<RecordedEvent> {
    const now = new Date().toISOString();
    return this.publish('AgentWentOffline', agentId, { lastHeartbeatAt: now, at: now });
  }

  cameOnline(agentId: string): Promise<RecordedEvent> {
    return this.publish('AgentCameOnline', agentId, { at: new Date().toISOString() });
  }
}

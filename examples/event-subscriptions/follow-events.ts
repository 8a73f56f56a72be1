// Follows Baton's domain events through a durable consumer and prints each once.
//
//   node -r @swc-node/register examples/event-subscriptions/follow-events.ts \
//     --durable dashboard --subject 'baton.evt.task.>' --from-sequence 1
//
// Stop it (Ctrl-C) and start it again with the same --durable: it goes on after the last event
// it acknowledged. --from-sequence N, --from-time <ISO>, --all or --new (the default) only
// matter the first time a durable is used.
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { subscribeEvents, type EventStart } from '@baton/agent-sdk';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      durable: { type: 'string', default: 'example-follower' },
      subject: { type: 'string', multiple: true },
      'from-sequence': { type: 'string' },
      'from-time': { type: 'string' },
      all: { type: 'boolean' },
    },
  });
  const start: EventStart = values['from-sequence']
    ? { from: 'sequence', sequence: Number(values['from-sequence']) }
    : values['from-time']
      ? { from: 'time', time: values['from-time'] }
      : values.all
        ? { from: 'all' }
        : { from: 'new' };
  const nc = await connect({ servers: process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222', name: `events-${values.durable}` });
  const subscription = await subscribeEvents({
    connection: nc,
    durable: values.durable,
    subjects: values.subject ?? ['baton.evt.>'],
    start,
    handler: (event, delivery) => {
      console.log(`#${delivery.streamSequence} ${event.metadata.occurredAt} ${event.type} ${event.streamId}`);
    },
  });
  const stop = async (): Promise<void> => {
    await subscription.stop();
    await nc.drain();
    console.log(`stopped after #${subscription.stats.lastSequence} (${subscription.stats.handled} handled, ${subscription.stats.duplicates} duplicates skipped)`);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

void main();

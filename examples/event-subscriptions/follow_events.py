"""Follows Baton's domain events through a durable consumer and prints each once.

    python examples/event-subscriptions/follow_events.py --durable dashboard \
        --subject 'baton.evt.task.>' --from-sequence 1

Stop it (Ctrl-C) and start it again with the same --durable: it goes on after the last event it
acknowledged. --from-sequence N, --from-time <ISO>, --all or --new (the default) only matter the
first time a durable is used. Needs the Python SDK (sdk/python: pip install -e sdk/python).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from datetime import datetime

import nats

from baton_agent import EventDelivery, EventStart, subscribe_events
from baton_agent.models.incoming import RecordedEvent


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--durable", default="example-follower")
    parser.add_argument("--subject", action="append", default=[])
    parser.add_argument("--from-sequence", type=int)
    parser.add_argument("--from-time", type=datetime.fromisoformat)
    parser.add_argument("--all", action="store_true")
    args = parser.parse_args()
    if args.from_sequence is not None:
        start = EventStart.at_sequence(args.from_sequence)
    elif args.from_time is not None:
        start = EventStart.at_time(args.from_time)
    else:
        start = EventStart.all() if args.all else EventStart.new()

    async def show(event: RecordedEvent, delivery: EventDelivery) -> None:
        print(f"#{delivery.stream_sequence} {event.metadata.occurred_at} {event.type} {event.stream_id}", flush=True)

    nc = await nats.connect(os.environ.get("NATS_URL", "nats://127.0.0.1:4222"), name=f"events-{args.durable}")
    subscription = await subscribe_events(nc, durable=args.durable, subjects=args.subject, start=start, handler=show)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()
    await subscription.stop()
    await nc.drain()
    s = subscription.stats
    print(f"stopped after #{s.last_sequence} ({s.handled} handled, {s.duplicates} duplicates skipped)")


if __name__ == "__main__":
    asyncio.run(main())

"""The agent's task slots and its memory of finished assignments (the TypeScript SDK's
``ConcurrencyLimiter`` and ``recentlyDone``)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque


class ConcurrencyLimiter:
    """A counting semaphore: at most ``limit`` holders at a time; :meth:`acquire` waits (first
    come, first served) for a free slot. Unlike ``asyncio.Semaphore`` it can also be waited on for
    a free slot *without* taking it (:meth:`free`): the inbox fetch and the ``await-assignment``
    requests wait that way, and take a slot only once an assignment is in hand, so neither path
    holds a slot while it waits for work."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"concurrency limit must be a positive integer, got {limit}")
        self.limit = limit
        self._held = 0
        self._acquirers: deque[asyncio.Future[None]] = deque()
        self._free_waiters: list[asyncio.Future[None]] = []

    @property
    def in_use(self) -> int:
        """Slots held now."""
        return self._held

    async def acquire(self) -> None:
        """Waits for a free slot and takes it. Cancelled while waiting, it takes none."""
        if self._held < self.limit and not self._acquirers:
            self._held += 1
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._acquirers.append(fut)
        try:
            await fut
        except asyncio.CancelledError:
            if fut.done() and not fut.cancelled():
                # The slot was handed over just as the waiter was cancelled: give it on.
                self.release()
            else:
                try:
                    self._acquirers.remove(fut)
                except ValueError:
                    pass
            raise

    def release(self) -> None:
        """Gives a slot back (to the first waiter of :meth:`acquire`, if any)."""
        if self._held == 0:
            raise RuntimeError("release() without a matching acquire()")
        while self._acquirers:
            fut = self._acquirers.popleft()
            if not fut.done():
                fut.set_result(None)
                return
        self._held -= 1
        waiters, self._free_waiters = self._free_waiters, []
        for w in waiters:
            if not w.done():
                w.set_result(None)

    async def free(self) -> None:
        """Returns once a slot is free, without taking it."""
        while self._held >= self.limit:
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._free_waiters.append(fut)
            try:
                await fut
            finally:
                if fut in self._free_waiters:
                    self._free_waiters.remove(fut)


class RecentlyDone:
    """The keys (``<taskId>#<leaseEpoch>``) of the last ``size`` assignments whose handling ended
    with an acknowledgement, oldest forgotten first: a later delivery of one (the inbox's copy of
    an assignment received by reply, or a redelivery) is only acknowledged, not worked again."""

    def __init__(self, size: int = 1024) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def add(self, key: str) -> None:
        self._keys[key] = None
        self._keys.move_to_end(key)
        while len(self._keys) > self.size:
            self._keys.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

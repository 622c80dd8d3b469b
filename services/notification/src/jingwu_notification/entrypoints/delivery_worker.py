"""The delivery worker: a runtime component that sends what is due (application/deliveries.py) and
sleeps until the next delivery falls due, a new one is enqueued, or ``poll_interval_s`` passes (another
replica's deliveries, a changed clock). Stopping cancels the attempts in flight, which hand their claim
back, so a restart resends them at once (with the same message id) instead of after the lease."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from jingwu_platform.usecase import Clock

from jingwu_notification.application.deliveries import DeliveryApplication

log = logging.getLogger(__name__)
MIN_SLEEP_S = 0.05  # never spin: something due "now" that this pass could not claim is another's


class DeliveryWorker:
    name = "delivery-worker"

    def __init__(
        self,
        deliveries: DeliveryApplication,
        clock: Clock,
        *,
        poll_interval_s: float = 5.0,
        batch: int = 20,
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
    ) -> None:
        self._deliveries = deliveries
        self._clock = clock
        self._poll_s = poll_interval_s
        self._batch = batch
        self._closers = list(closers)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        deliveries.on_enqueued(self._wake.set)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for close in self._closers:
            await close()

    async def _loop(self) -> None:
        while True:
            self._wake.clear()
            try:
                sent = await self._deliveries.send_due(self._batch)
                if len(sent) >= self._batch:
                    continue  # more may be due right now
                delay = self._poll_s
                next_due = await self._deliveries.next_due()
                if next_due is not None:
                    delay = min(delay, max(MIN_SLEEP_S, (next_due - self._clock.now()).total_seconds()))
            except asyncio.CancelledError:
                raise
            except Exception:  # the store unreachable, ...: try again at the next wake
                log.exception("delivery pass failed")
                delay = self._poll_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)

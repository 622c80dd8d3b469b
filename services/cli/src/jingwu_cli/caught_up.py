"""Waiting until a district's services have settled: every service answers
``jingwu.platform.v1.StatusService/GetStatus`` (its consumer groups' lag, its outbox backlog,
``caught_up``); once all of them say caught up twice in a row, everything sent has been processed and
everything said is on Kafka — a summary read then is the platform's answer, not a moment in between.

Twice, because the services are asked one after another (in parallel, but not at one instant), and one
may hand another an event between two answers. A service that does not answer in time (UNAVAILABLE
while it starts, DEADLINE_EXCEEDED while its one store connection is busy relaying a large outbox) is
not caught up this round, and is asked again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import grpc
from jingwu.platform.v1 import status_pb2, status_pb2_grpc
from jingwu_platform.grpc_client import open_channel

CALL_TIMEOUT_S = 30.0
INTERVAL_S = 0.25
PROGRESS_EVERY_S = 10.0
_WAIT_AGAIN = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


class NotCaughtUp(TimeoutError):
    """The services did not settle in time; the message says who is behind and by how much."""


@dataclass(frozen=True)
class Settled:
    """The last answers (by service name) and how long the wait took."""

    replies: dict[str, status_pb2.GetStatusResponse]
    seconds: float
    rounds: int


def behind(name: str, reply: status_pb2.GetStatusResponse | None, why: str = "") -> str:
    """One service's backlog in words: ``personnel (jingwu-01-personnel lag 12; outbox 3)``."""
    if reply is None:
        return f"{name} ({why or 'no answer'})"
    parts = [f"{g.group_id} lag {g.lag}" for g in reply.consumer_groups if g.lag]
    if reply.outbox_pending:
        parts.append(f"outbox {reply.outbox_pending}")
    return f"{name} ({'; '.join(parts) or 'settling'})"


async def wait_caught_up(
    targets: Mapping[str, str],
    token: str,
    *,
    timeout_s: float = 600.0,
    interval_s: float = INTERVAL_S,
    call_timeout_s: float = CALL_TIMEOUT_S,
    progress: Callable[[str], None] | None = None,
    progress_every_s: float = PROGRESS_EVERY_S,
) -> Settled:
    """Ask every service at ``targets`` (name → ``host:port``) until all are caught up twice in a row;
    ``progress`` hears who is behind every ``progress_every_s``. NotCaughtUp after ``timeout_s``."""
    channels = {name: open_channel(address, token) for name, address in targets.items()}
    stubs = {name: status_pb2_grpc.StatusServiceStub(channel) for name, channel in channels.items()}
    started = time.monotonic()
    next_progress = started + progress_every_s
    in_a_row = rounds = 0
    lagging: list[str] = []

    async def ask(name: str) -> tuple[str, status_pb2.GetStatusResponse | None, str]:
        try:
            reply = await stubs[name].GetStatus(status_pb2.GetStatusRequest(), timeout=call_timeout_s)
        except grpc.aio.AioRpcError as error:
            if error.code() not in _WAIT_AGAIN:
                raise
            return name, None, error.code().name.lower()
        return name, reply, ""

    try:
        while True:
            rounds += 1
            answers = await asyncio.gather(*(ask(name) for name in stubs))
            replies = {name: reply for name, reply, _ in answers if reply is not None}
            lagging = [
                behind(name, reply, why)
                for name, reply, why in answers
                if reply is None or not reply.caught_up
            ]
            in_a_row = 0 if lagging else in_a_row + 1
            now = time.monotonic()
            if in_a_row >= 2:
                return Settled(replies, now - started, rounds)
            if now - started > timeout_s:
                raise NotCaughtUp(f"not caught up within {timeout_s:.0f} s: {', '.join(lagging)}")
            if progress is not None and lagging and now >= next_progress:
                progress(f"waiting for {', '.join(lagging)}")
                next_progress = now + progress_every_s
            await asyncio.sleep(interval_s)
    finally:
        for channel in channels.values():
            await channel.close()

"""Reassembly of sub-packaged messages (JT/T 808-2013 §7.12 and §8.4, 808-2019 §8.6).

The packets of one message carry consecutive serial numbers, so the first packet's serial
(``serial - (index - 1)``) names the message; the platform's resend request 0x8003 quotes it with the
ids (indexes) of the packets still missing. Pure: time comes in as an argument (monotonic seconds).

A message whose packets stop arriving is asked for again (``ResendDue``) after ``timeout_s``, at most
``max_requests`` times; then it is given up (``Abandoned``). Limits keep a terminal from holding the
gateway's memory: at most ``max_messages`` partial messages and ``max_packets`` packets per message.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from jingwu_telemetry.jt808.errors import Jt808Error, Reason
from jingwu_telemetry.jt808.header import Header


@dataclass(frozen=True, slots=True)
class Completed:
    """All packets arrived: the whole body, under the first packet's header (``packet`` cleared,
    ``serial`` the first packet's); ``serials`` of every packet, in index order."""

    header: Header
    body: bytes
    serials: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ResendDue:
    header: Header  # of the first packet received (phone, revision, message id)
    original_serial: int
    missing: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Abandoned:
    header: Header
    original_serial: int
    missing: tuple[int, ...]


@dataclass
class _Partial:
    header: Header
    total: int
    parts: dict[int, tuple[int, bytes]] = field(default_factory=dict)  # index → (serial, data)
    deadline: float = 0.0
    requests: int = 0

    def missing(self) -> tuple[int, ...]:
        return tuple(i for i in range(1, self.total + 1) if i not in self.parts)


class Reassembler:
    """Sub-packages of one terminal connection in, whole messages out."""

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        max_requests: int = 3,
        max_messages: int = 8,
        max_packets: int = 256,
    ) -> None:
        self._timeout = timeout_s
        self._max_requests = max_requests
        self._max_messages = max_messages
        self._max_packets = max_packets
        self._partials: dict[tuple[int, int, int], _Partial] = {}

    def __len__(self) -> int:
        return len(self._partials)

    def add(self, header: Header, data: bytes, now: float) -> Completed | Abandoned | None:
        """Take one packet. A message that completes comes back; a packet that evicts the oldest partial
        message (too many at once) returns that one as Abandoned."""
        packet = header.packet
        if packet is None:
            raise ValueError("not a sub-package")
        if packet.total > self._max_packets:
            raise Jt808Error(
                Reason.BAD_PACKET, f"{packet.total} packets, at most {self._max_packets} are taken", header
            )
        first_serial = (header.serial - (packet.index - 1)) & 0xFFFF
        key = (header.message_id, first_serial, packet.total)
        evicted: Abandoned | None = None
        partial = self._partials.get(key)
        if partial is None:
            if len(self._partials) >= self._max_messages:
                evicted = self._evict_oldest()
            partial = _Partial(header=header, total=packet.total)
            self._partials[key] = partial
        # A re-sent packet is identical to the original (§7.12): a repeat changes nothing.
        partial.parts.setdefault(packet.index, (header.serial, data))
        partial.deadline = now + self._timeout
        if len(partial.parts) < partial.total:
            return evicted
        del self._partials[key]
        ordered = [partial.parts[i] for i in range(1, partial.total + 1)]
        whole = replace(partial.header, serial=first_serial, packet=None)
        return Completed(whole, b"".join(data for _, data in ordered), tuple(s for s, _ in ordered))

    def expire(self, now: float) -> list[ResendDue | Abandoned]:
        """Messages whose packets stopped arriving: ask again, or give up after ``max_requests``."""
        due: list[ResendDue | Abandoned] = []
        for key, partial in list(self._partials.items()):
            if partial.deadline > now:
                continue
            first_serial = key[1]
            if partial.requests >= self._max_requests:
                del self._partials[key]
                due.append(Abandoned(partial.header, first_serial, partial.missing()))
                continue
            partial.requests += 1
            partial.deadline = now + self._timeout
            due.append(ResendDue(partial.header, first_serial, partial.missing()))
        return due

    def _evict_oldest(self) -> Abandoned:
        key = min(self._partials, key=lambda k: self._partials[k].deadline)
        partial = self._partials.pop(key)
        return Abandoned(partial.header, key[1], partial.missing())

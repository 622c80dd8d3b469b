"""R-POP-6, "every unmasked read is audited": the record of one answer that showed personal data
unmasked, and the one way a use case writes it.

Who may see a number unmasked stays each service's rule (personnel: a pii_reader; notification: a
pii_reader, or the matter's owner officer who calls the resident back). What is recorded, and how, is
the same in every service:

- ``UnmaskedRead`` names the reader (the credential's subject and roles), the RPC, the records the
  answer showed and which personal fields it showed unmasked — never their values;
- ``UnmaskedReadAudit.record(shown, caller=, method=, records_field=)`` writes that record and the
  service's event of it in one write through the transactional outbox, *before* the answer leaves; an
  answer that reveals nothing (no number on file) records nothing. The event is a message of the
  service's contract (``OfficerDataReadUnmasked``, ``ResidentDataReadUnmasked``) with the fields every
  such event shares — ``district_code``, ``read_id``, ``reader_id``, ``reader_roles``, ``method``,
  ``fields``, ``occur_time`` — and the ids of the records in ``records_field`` (``officer_ids``,
  ``matter_ids``, …); its key is the reader.

The stored trail is ``jingwu_platform.unmasked_read_store`` (adapters and fakes). Population keeps its
own hash-chained trail, which also records lookups by number (ADR 0036).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeAlias

from google.protobuf.message import Message

from jingwu_platform.auth import Caller
from jingwu_platform.usecase import Outgoing, UseCaseKit


@dataclass(frozen=True)
class UnmaskedRead:
    """R-POP-6: the audit record of one answer that showed personal data unmasked."""

    read_id: str
    # The credential's subject and its roles.
    reader_id: str
    reader_roles: tuple[str, ...]
    # Full RPC name, e.g. "jingwu.personnel.v1.PersonnelService/GetOfficer".
    method: str
    # The records whose personal data the answer showed (officers, matters, appointments).
    record_ids: tuple[str, ...]
    # The fields shown unmasked, by name ("id_number", "phone", "resident_phone").
    fields: tuple[str, ...]
    read_time: datetime


# One record of an answer, and the personal fields it shows unmasked (only those with a value count).
Shown: TypeAlias = tuple[str, Iterable[str]]


def unmasked_read(
    shown: Iterable[Shown], *, read_id: str, reader: Caller, method: str, at: datetime
) -> UnmaskedRead | None:
    """What an unmasked answer reveals, or None when it reveals nothing (no numbers on file)."""
    revealing = [(record_id, tuple(fields)) for record_id, fields in shown]
    revealing = [(record_id, fields) for record_id, fields in revealing if fields]
    if not revealing:
        return None
    return UnmaskedRead(
        read_id=read_id,
        reader_id=reader.subject,
        reader_roles=tuple(sorted(role.value for role in reader.roles)),
        method=method,
        record_ids=tuple(record_id for record_id, _ in revealing),
        fields=tuple(sorted({name for _, fields in revealing for name in fields})),
        read_time=at,
    )


class UnmaskedReadRepository(Protocol):
    """The trail: append-only, each record written with its event."""

    async def insert(self, read: UnmaskedRead, events: Sequence[Outgoing] = ()) -> bool: ...


class UnmaskedReadAudit:
    """Writes the audit of an unmasked answer before the answer leaves: no unaudited read (R-POP-6)."""

    def __init__(self, kit: UseCaseKit, reads: UnmaskedReadRepository, event: type[Message]) -> None:
        self._kit = kit
        self._reads = reads
        self._event = event

    async def record(
        self, shown: Iterable[Shown], *, caller: Caller, method: str, records_field: str
    ) -> UnmaskedRead | None:
        """One record and one event for the whole answer; None (nothing written) when the answer shows
        no personal data. ``records_field``: the event's field for the ids of the records shown."""
        kit = self._kit
        read = unmasked_read(shown, read_id=kit.ids.new(), reader=caller, method=method, at=kit.now())
        if read is None:
            return None
        payload = self._event(
            district_code=kit.district,
            read_id=read.read_id,
            reader_id=read.reader_id,
            reader_roles=list(read.reader_roles),
            method=read.method,
            fields=list(read.fields),
            occur_time=kit.events.occur_time(),
            **{records_field: list(read.record_ids)},
        )
        await self._reads.insert(read, [kit.events(payload, key=read.reader_id)])
        return read

"""The audit trail of unmasked reads of personal data (R-POP-6): append-only and hash-chained. Pure.

Each entry's hash is an HMAC-SHA256, under the district's audit key, of the previous entry's hash and
the entry's canonical content. Editing, removing or reordering an entry in the store breaks the chain
from that entry on, which ``verify_chain`` reports; without the key nobody can forge a chain that
verifies. No RPC changes or deletes an entry.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class UnmaskedRead:
    """One read of personal data, before it is placed in the chain."""

    reader_id: str
    reader_roles: tuple[str, ...]
    method: str
    purpose: str
    case_reference: str
    resident_ids: tuple[str, ...]
    place_ids: tuple[str, ...]
    fields: tuple[str, ...]
    read_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    sequence: int
    read: UnmaskedRead
    previous_hash: str
    entry_hash: str
    version: int = 0

    @property
    def entry_id(self) -> str:
        return f"{self.sequence:012d}"


def canonical(read: UnmaskedRead) -> bytes:
    return json.dumps(
        {
            "reader_id": read.reader_id,
            "reader_roles": list(read.reader_roles),
            "method": read.method,
            "purpose": read.purpose,
            "case_reference": read.case_reference,
            "resident_ids": list(read.resident_ids),
            "place_ids": list(read.place_ids),
            "fields": list(read.fields),
            "read_at": read.read_at.astimezone(UTC).isoformat(timespec="milliseconds"),
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")


def chain_hash(key: bytes, sequence: int, previous_hash: str, read: UnmaskedRead) -> str:
    message = f"{sequence}\n{previous_hash}\n".encode() + canonical(read)
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def chained(key: bytes, head: AuditEntry | None, reads: Iterable[UnmaskedRead]) -> list[AuditEntry]:
    """New entries after ``head`` (None: the chain's start), each linked to the one before."""
    entries = []
    sequence = head.sequence if head else 0
    previous = head.entry_hash if head else GENESIS
    for read in reads:
        sequence += 1
        digest = chain_hash(key, sequence, previous, read)
        entries.append(AuditEntry(sequence, read, previous, digest))
        previous = digest
    return entries


@dataclass(frozen=True)
class ChainVerdict:
    checked: int
    intact: bool
    first_broken: int = 0
    problem: str = ""


def verify_chain(key: bytes, entries: Iterable[AuditEntry]) -> ChainVerdict:
    """Walk the chain in sequence order from the start: every sequence present once, each entry
    linked to its predecessor, each hash matching the entry's content (R-POP-6)."""
    previous = GENESIS
    expected = 1
    checked = 0
    for entry in sorted(entries, key=lambda e: e.sequence):
        checked += 1
        if entry.sequence != expected:
            missing = "missing" if entry.sequence > expected else "repeated"
            return ChainVerdict(checked, False, expected, f"entry {expected} is {missing}")
        if entry.previous_hash != previous:
            return ChainVerdict(
                checked, False, entry.sequence, "previous hash does not match the entry before"
            )
        if chain_hash(key, entry.sequence, entry.previous_hash, entry.read) != entry.entry_hash:
            return ChainVerdict(checked, False, entry.sequence, "content does not match its hash (edited)")
        previous = entry.entry_hash
        expected += 1
    return ChainVerdict(checked, True)


def tampered(entry: AuditEntry, **changes: object) -> AuditEntry:
    """For tests: the entry with its content changed but its hashes kept (what an edit in the store
    looks like)."""
    return replace(entry, read=replace(entry.read, **changes))  # type: ignore[arg-type]

"""Who created and last changed a record, and when (R-POP-4: every record keeps who collected and updated
it, and when). Pure; the time and the actor come in as arguments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime


@dataclass(frozen=True)
class Audit:
    created_by: str = ""
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None

    @classmethod
    def created(cls, by: str, at: datetime) -> Audit:
        return cls(created_by=by, created_at=at, updated_by=by, updated_at=at)

    def touched(self, by: str, at: datetime) -> Audit:
        return replace(self, updated_by=by, updated_at=at)

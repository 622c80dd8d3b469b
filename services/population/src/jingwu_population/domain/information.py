"""Information records, classified by colour and category and moved through collect → verify → analyse
→ use (R-POP-4). Pure.

Every step is recorded with who and when; a record cannot skip a step or go back, and it may be
discarded at any stage before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation


class Colour(StrEnum):
    RED = "red"
    ORANGE = "orange"
    YELLOW = "yellow"
    GREEN = "green"


class InfoCategory(StrEnum):
    PERSON = "person"
    HOUSE = "house"
    PLACE = "place"
    DISPUTE = "dispute"
    SECURITY_HAZARD = "security_hazard"
    INTELLIGENCE = "intelligence"
    PUBLIC_OPINION = "public_opinion"


class Stage(StrEnum):
    COLLECTED = "collected"
    VERIFIED = "verified"
    ANALYSED = "analysed"
    USED = "used"
    DISCARDED = "discarded"


# R-POP-4: the one stage each stage may move on to (besides discarding).
NEXT_STAGE = {Stage.COLLECTED: Stage.VERIFIED, Stage.VERIFIED: Stage.ANALYSED, Stage.ANALYSED: Stage.USED}


@dataclass(frozen=True, slots=True)
class StageChange:
    stage: Stage
    actor_id: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class InformationRecord:
    record_id: str
    colour: Colour
    category: InfoCategory
    stage: Stage
    zone_code: str
    house_id: str
    resident_id: str
    place_id: str
    title: str
    content: str
    collector_id: str
    source: str
    history: tuple[StageChange, ...]
    used_by: tuple[str, ...] = ()
    created_at: datetime | None = None
    updated_by: str = ""
    updated_at: datetime | None = None
    version: int = 0


def collected(
    *,
    record_id: str,
    colour: Colour,
    category: InfoCategory,
    zone_code: str,
    house_id: str,
    resident_id: str,
    place_id: str,
    title: str,
    content: str,
    source: str,
    by: str,
    at: datetime,
) -> InformationRecord:
    return InformationRecord(
        record_id=record_id,
        colour=colour,
        category=category,
        stage=Stage.COLLECTED,
        zone_code=zone_code,
        house_id=house_id,
        resident_id=resident_id,
        place_id=place_id,
        title=title,
        content=content,
        collector_id=by,
        source=source,
        history=(StageChange(Stage.COLLECTED, by, at),),
        created_at=at,
        updated_by=by,
        updated_at=at,
    )


def advanced(
    record: InformationRecord,
    to: Stage,
    *,
    by: str,
    at: datetime,
    note: str = "",
    colour: Colour | None = None,
    category: InfoCategory | None = None,
    used_by: tuple[str, ...] = (),
) -> InformationRecord:
    """R-POP-4: the next stage only (or discarded before use), with who and when."""
    if record.stage in (Stage.USED, Stage.DISCARDED):
        raise RuleViolation(
            "R-POP-4", record.record_id, f"record is {record.stage.value}: it moves no further"
        )
    if to is not Stage.DISCARDED and NEXT_STAGE[record.stage] is not to:
        raise RuleViolation(
            "R-POP-4",
            record.record_id,
            f"a {record.stage.value} record moves to {NEXT_STAGE[record.stage].value} next, not {to.value}",
        )
    if to is Stage.USED and not used_by:
        raise RuleViolation("R-POP-4", record.record_id, "a used record names who used it (used_by)")
    return replace(
        record,
        stage=to,
        colour=colour or record.colour,
        category=category or record.category,
        history=(*record.history, StageChange(to, by, at, note)),
        used_by=used_by or record.used_by,
        updated_by=by,
        updated_at=at,
    )

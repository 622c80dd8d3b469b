"""What other services report for assessment (R-PER-11 inputs), in MongoDB: familiarisation weeks
(``personnel.familiarisation_weeks``, R-POP-5) and patrol duty evidence (``personnel.duty_evidence``,
R-PAT-6). Read models kept from events, no events of ours ride on them.

Both are conditional upserts, like the zones' measurements: a week is written unless the stored one
counts as many households or more, evidence unless the stored revision is as high; an upsert that
matches nothing collides with the existing ``_id`` (duplicate key), which is the "not written" answer.
Dates are stored as ISO strings (the codec's shape), so ranges compare as strings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from jingwu_platform.calendar import DateRange
from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document
from jingwu_platform.repository import MongoDocuments
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_personnel.adapters.bulk import insert_new
from jingwu_personnel.domain.assessment_inputs import DutyEvidence, FamiliarisationWeek

FAMILIARISATION = "personnel.familiarisation_weeks"
DUTY_EVIDENCE = "personnel.duty_evidence"


WEEK_CODEC = DocumentCodec(FamiliarisationWeek, id_field="week_id")
EVIDENCE_CODEC = DocumentCodec(DutyEvidence, id_field="evidence_id")


def _range(field: str, period: DateRange) -> Document:
    return {field: {"$gte": period.start.isoformat(), "$lte": period.end.isoformat()}}


class MongoFamiliarisationRepository(MongoDocuments[FamiliarisationWeek]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database, FAMILIARISATION, WEEK_CODEC)

    async def record_all(self, weeks: Sequence[FamiliarisationWeek]) -> None:
        best: dict[str, FamiliarisationWeek] = {}
        for week in weeks:
            kept = best.get(week.week_id)
            best[week.week_id] = week if kept is None else (kept.merged(week) or kept)
        documents = [WEEK_CODEC.to_document(w) for w in best.values()]
        for week, done in zip(best.values(), await insert_new(self.collection, documents), strict=True):
            if done:
                continue
            document = WEEK_CODEC.to_document(week)
            week_id = document.pop("_id")
            criteria = {"_id": week_id, "households_visited": {"$lt": week.households_visited}}
            with contextlib.suppress(DuplicateKeyError):  # the stored week counts as many or more
                await self.collection.update_one(criteria, {"$set": document}, upsert=True)

    async def during(self, period: DateRange) -> list[FamiliarisationWeek]:
        return await self.find(_range("week_start", period))


class MongoDutyEvidenceRepository(MongoDocuments[DutyEvidence]):
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        super().__init__(database, DUTY_EVIDENCE, EVIDENCE_CODEC)

    async def record(self, evidence: DutyEvidence) -> bool:
        document = EVIDENCE_CODEC.to_document(evidence)
        criteria: Document = {"_id": document.pop("_id"), "revision": {"$lt": evidence.revision}}
        try:
            await self.collection.update_one(criteria, {"$set": document}, upsert=True)
        except DuplicateKeyError:
            return False  # the stored revision is as high or higher
        return True

    async def during(self, period: DateRange) -> list[DutyEvidence]:
        return await self.find(_range("day", period))

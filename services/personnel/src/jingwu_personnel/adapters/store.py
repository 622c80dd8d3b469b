"""Every personnel repository on the district's database (collections ``personnel.*``), for the process
wiring. Repositories whose documents carry events register their collection with the outbox registry;
the runtime's relay publishes from them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from jingwu_platform.mongo import Document
from jingwu_platform.outbox import OutboxRegistry
from pymongo.asynchronous.database import AsyncDatabase

from jingwu_personnel.adapters.assessment_input_repository import (
    MongoDutyEvidenceRepository,
    MongoFamiliarisationRepository,
)
from jingwu_personnel.adapters.assessment_repository import (
    MongoAssessmentRepository,
    MongoConductRepository,
    MongoRatingRepository,
)
from jingwu_personnel.adapters.finding_repository import MongoFindingRepository
from jingwu_personnel.adapters.officer_repository import MongoOfficerRepository, MongoUnmaskedReadRepository
from jingwu_personnel.adapters.posting_repository import MongoPostingRepository
from jingwu_personnel.adapters.registry_repository import (
    MongoRoomViewRepository,
    MongoStationViewRepository,
    MongoZoneViewRepository,
)
from jingwu_personnel.adapters.village_repository import MongoVillageRepository
from jingwu_personnel.adapters.worklog_repository import MongoVisitLogRepository
from jingwu_personnel.application.ports import Repositories


def mongo_repositories(
    database: AsyncDatabase[Document], outbox: OutboxRegistry
) -> tuple[Repositories, list[Callable[[], Awaitable[None]]]]:
    """The repositories, and the index builds to run once the service has started."""
    officers = MongoOfficerRepository(database, outbox)
    unmasked_reads = MongoUnmaskedReadRepository(database, outbox)
    postings = MongoPostingRepository(database, outbox)
    villages = MongoVillageRepository(database, outbox)
    logs = MongoVisitLogRepository(database, outbox)
    findings = MongoFindingRepository(database, outbox)
    conduct = MongoConductRepository(database, outbox)
    ratings = MongoRatingRepository(database, outbox)
    assessments = MongoAssessmentRepository(database, outbox)
    repositories = Repositories(
        officers=officers,
        unmasked_reads=unmasked_reads,
        postings=postings,
        villages=villages,
        logs=logs,
        findings=findings,
        conduct=conduct,
        ratings=ratings,
        assessments=assessments,
        rooms=MongoRoomViewRepository(database),
        zones=MongoZoneViewRepository(database),
        stations=MongoStationViewRepository(database),
        familiarisation=MongoFamiliarisationRepository(database),
        duty_evidence=MongoDutyEvidenceRepository(database),
    )
    indexes: list[Callable[[], Awaitable[None]]] = [
        officers.ensure_indexes,
        unmasked_reads.ensure_indexes,
        postings.ensure_indexes,
        villages.ensure_indexes,
        logs.ensure_indexes,
        findings.ensure_indexes,
        conduct.ensure_indexes,
        ratings.ensure_indexes,
        assessments.ensure_indexes,
    ]
    return repositories, indexes

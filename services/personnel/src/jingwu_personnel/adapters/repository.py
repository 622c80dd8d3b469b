"""Personnel in MongoDB (collections ``personnel.*`` of the district database), with the outbox.

Every write is one document; the events it causes ride in that document's outbox (docs/adr/0007).
Conditional updates (a posting still open, a village's liaison still the one we read, a finding still
open) stand in for transactions, which FerretDB v1 does not have. Lists page by ``_id``; ids of logs,
postings, findings and conduct records start with their date, so "newest first" is ``_id`` descending.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from jingwu_platform.calendar import DateRange, local_midnight
from jingwu_platform.events import Event
from jingwu_platform.mongo import Document
from jingwu_platform.outbox import outbox_update, with_outbox
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from jingwu_personnel.adapters import documents as docs
from jingwu_personnel.domain.assessment import Assessment, AssessmentStatus, ConductRecord, Period, Rating
from jingwu_personnel.domain.officers import Officer
from jingwu_personnel.domain.postings import Posting
from jingwu_personnel.domain.staffing import Finding, FindingKind, FindingStatus
from jingwu_personnel.domain.territory import RoomStatus, RoomView, StationView, VillageView, ZoneView
from jingwu_personnel.domain.villages import VillageAssignment, VillageProfile
from jingwu_personnel.domain.worklogs import VisitLog

Events = Sequence[tuple[Event, str]]


def _without_id(document: Document) -> Document:
    return {k: v for k, v in document.items() if k != "_id"}


class PersonnelStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        # Concurrent updates of one document (a command and the outbox relay) are atomic on MongoDB;
        # on the local FerretDB the client's single connection serialises them (docs/adr/0003).

        def collection(name: str) -> AsyncCollection[Document]:
            return database[f"personnel.{name}"]

        self.officers = collection("officers")
        self.postings = collection("postings")
        self.villages = collection("villages")
        self.logs = collection("visit_logs")
        self.findings = collection("staffing_findings")
        self.conduct = collection("conduct_records")
        self.ratings = collection("ratings")
        self.assessments = collection("assessments")
        self.audit = collection("unmasked_reads")
        # Read model of the room registry (no events of ours ride on these).
        self.rooms = collection("registry_rooms")
        self.zones = collection("registry_zones")
        self.stations = collection("registry_stations")

    @property
    def outbox_collections(self) -> list[AsyncCollection[Document]]:
        return [
            self.officers,
            self.postings,
            self.villages,
            self.logs,
            self.findings,
            self.conduct,
            self.ratings,
            self.assessments,
            self.audit,
        ]

    async def ensure_indexes(self) -> None:
        await self.officers.create_index([("station_id", ASCENDING), ("status", ASCENDING)])
        await self.postings.create_index([("officer_id", ASCENDING), ("end_date", ASCENDING)])
        await self.postings.create_index([("room_id", ASCENDING), ("end_date", ASCENDING)])
        await self.postings.create_index([("village_id", ASCENDING), ("end_date", ASCENDING)])
        await self.postings.create_index([("zone_code", ASCENDING), ("end_date", ASCENDING)])
        await self.logs.create_index([("officer_id", ASCENDING), ("start_time", ASCENDING)])
        await self.findings.create_index("open_key", unique=True)
        await self.findings.create_index([("status", ASCENDING), ("kind", ASCENDING)])
        await self.conduct.create_index([("officer_id", ASCENDING), ("occur_date", ASCENDING)])
        await self.ratings.create_index([("officer_id", ASCENDING), ("period", ASCENDING)])
        await self.assessments.create_index([("period", ASCENDING), ("group", ASCENDING)])

    # --- officers -----------------------------------------------------------------------------------

    async def add_officer(self, officer: Officer, events: Events) -> bool:
        try:
            await self.officers.insert_one(with_outbox(docs.officer_to_document(officer), events))
        except DuplicateKeyError:
            return False
        return True

    async def replace_officer(self, officer: Officer, previous: Officer, events: Events) -> bool:
        """Write ``officer`` if the stored one is still ``previous`` (its last update time)."""
        result = await self.officers.update_one(
            {"_id": officer.officer_id, "audit.updated_at": previous.updated_at},
            outbox_update(events, **{"$set": _without_id(docs.officer_to_document(officer))}),
        )
        return result.modified_count == 1

    async def get_officer(self, officer_id: str) -> Officer | None:
        doc = await self.officers.find_one({"_id": officer_id})
        return docs.document_to_officer(doc) if doc else None

    async def officers_by_id(self, officer_ids: Sequence[str] | None = None) -> dict[str, Officer]:
        query: Document = {} if officer_ids is None else {"_id": {"$in": list(officer_ids)}}
        return {d["_id"]: docs.document_to_officer(d) async for d in self.officers.find(query)}

    async def list_officers(
        self,
        *,
        station_id: str,
        role: str,
        branch: str,
        status: str,
        officer_ids: Sequence[str] | None,
        after_id: str,
        limit: int,
    ) -> list[Officer]:
        query: Document = {}
        if station_id:
            query["station_id"] = station_id
        if role:
            query["roles"] = role
        if branch:
            query["branch"] = branch
        if status:
            query["status"] = status
        ids: Document = {}
        if officer_ids is not None:
            ids["$in"] = list(officer_ids)
        if after_id:
            ids["$gt"] = after_id
        if ids:
            query["_id"] = ids
        cursor = self.officers.find(query).sort("_id", ASCENDING).limit(limit)
        return [docs.document_to_officer(d) async for d in cursor]

    # --- postings -----------------------------------------------------------------------------------

    async def add_posting(self, posting: Posting, events: Events) -> bool:
        try:
            await self.postings.insert_one(with_outbox(docs.posting_to_document(posting), events))
        except DuplicateKeyError:
            return False
        return True

    async def end_posting(self, ended: Posting, events: Events) -> bool:
        """Close a posting that is still open; False if someone ended it first."""
        result = await self.postings.update_one(
            {"_id": ended.posting_id, "end_date": None},
            outbox_update(
                events,
                **{
                    "$set": {
                        "end_date": docs.day(ended.end_date),
                        "end_reason": ended.end_reason,
                        "approval_reference": ended.approval_reference,
                        "successor_officer_id": ended.successor_officer_id,
                        "audit.updated_by": ended.updated_by,
                        "audit.updated_at": ended.updated_at,
                    }
                },
            ),
        )
        return result.modified_count == 1

    async def get_posting(self, posting_id: str) -> Posting | None:
        doc = await self.postings.find_one({"_id": posting_id})
        return docs.document_to_posting(doc) if doc else None

    async def postings_where(self, query: Document) -> list[Posting]:
        cursor = self.postings.find(query).sort("_id", ASCENDING)
        return [docs.document_to_posting(d) async for d in cursor]

    async def postings_of(self, officer_id: str) -> list[Posting]:
        return await self.postings_where({"officer_id": officer_id})

    async def open_postings(self, **filters: Any) -> list[Posting]:
        return await self.postings_where({"end_date": None, **{k: v for k, v in filters.items() if v}})

    async def postings_overlapping(
        self, period: DateRange, officer_ids: Sequence[str] | None = None
    ) -> list[Posting]:
        """Postings held at some point of the period (ended on or after its first day, or still open)."""
        query: Document = {
            "start_date": {"$lte": docs.day(period.end)},
            "$or": [{"end_date": None}, {"end_date": {"$gt": docs.day(period.start)}}],
        }
        if officer_ids is not None:
            query["officer_id"] = {"$in": list(officer_ids)}
        return await self.postings_where(query)

    async def list_postings(
        self,
        *,
        filters: Document,
        current_only: bool,
        before_id: str,
        limit: int,
    ) -> list[Posting]:
        query: Document = {k: v for k, v in filters.items() if v}
        if current_only:
            query["end_date"] = None
        if before_id:
            query["_id"] = {"$lt": before_id}
        cursor = self.postings.find(query).sort("_id", DESCENDING).limit(limit)
        return [docs.document_to_posting(d) async for d in cursor]

    # --- villages and their assignments -------------------------------------------------------------

    async def upsert_village_view(self, view: VillageView) -> None:
        await self.villages.update_one(
            {"_id": view.village_id}, {"$set": docs.village_view_fields(view)}, upsert=True
        )

    async def set_village_zone(self, village_id: str, zone_code: str) -> None:
        await self.villages.update_one({"_id": village_id}, {"$set": {"zone_code": zone_code}})

    async def get_assignment(self, village_id: str) -> VillageAssignment | None:
        doc = await self.villages.find_one({"_id": village_id})
        return docs.document_to_assignment(doc) if doc else None

    async def village_views(self) -> dict[str, VillageView]:
        return {d["_id"]: docs.document_to_village_view(d) async for d in self.villages.find({})}

    async def assignments(self, query: Document | None = None) -> list[VillageAssignment]:
        cursor = self.villages.find(query or {}).sort("_id", ASCENDING)
        return [docs.document_to_assignment(d) async for d in cursor]

    async def list_assignments(
        self,
        *,
        station_id: str,
        zone_code: str,
        incomplete_only: bool,
        rotation_due_by: date | None,
        after_id: str,
        limit: int,
    ) -> list[VillageAssignment]:
        query: Document = {"administrative": True, "urban_community": False}
        if station_id:
            query["station_id"] = station_id
        if zone_code:
            query["zone_code"] = zone_code
        if incomplete_only:
            query["$or"] = [
                {"liaison.officer_id": {"$in": [None, ""]}},
                {"auxiliary.officer_id": {"$in": [None, ""]}},
            ]
        if rotation_due_by is not None:
            query["auxiliary.rotation_due"] = {"$lte": docs.day(rotation_due_by)}
        if after_id:
            query["_id"] = {"$gt": after_id}
        cursor = self.villages.find(query).sort("_id", ASCENDING).limit(limit)
        return [docs.document_to_assignment(d) async for d in cursor]

    async def set_profile(self, profile: VillageProfile, events: Events) -> bool:
        result = await self.villages.update_one(
            {"_id": profile.village_id},
            outbox_update(events, **{"$set": {"profile": docs.profile_to_document(profile)}}),
        )
        return result.matched_count == 1

    async def set_holder(
        self, village_id: str, slot: str, expected_posting_id: str, holder: Document | None, events: Events
    ) -> bool:
        """Replace the village's liaison or auxiliary (``slot``) if it is still the one read."""
        expected: Document = (
            {f"{slot}.posting_id": expected_posting_id}
            if expected_posting_id
            else {f"{slot}.posting_id": {"$in": [None, ""]}}
        )
        update: Document = {"$set": {slot: holder or {}}}
        result = await self.villages.update_one(
            {"_id": village_id, **expected}, outbox_update(events, **update) if events else update
        )
        return result.modified_count == 1

    # --- territory read model -----------------------------------------------------------------------

    async def upsert_room_view(self, view: RoomView, *, unless_status: Sequence[RoomStatus] = ()) -> bool:
        """Store the room as the registry reports it, unless ours is already in one of ``unless_status``
        (a late RoomOpened never reopens a merged room: events of different rooms are not ordered)."""
        query: Document = {"_id": view.room_id}
        if unless_status:
            query["status"] = {"$nin": [s.value for s in unless_status]}
        try:
            await self.rooms.update_one(query, {"$set": docs.room_view_to_document(view)}, upsert=True)
        except DuplicateKeyError:
            return False
        return True

    async def get_room(self, room_id: str) -> RoomView | None:
        doc = await self.rooms.find_one({"_id": room_id})
        return docs.document_to_room_view(doc) if doc else None

    async def room_views(self) -> dict[str, RoomView]:
        return {d["_id"]: docs.document_to_room_view(d) async for d in self.rooms.find({})}

    async def upsert_zone_view(self, zone: ZoneView) -> None:
        """Registry fields only; the measured population from the population service is kept."""
        await self.zones.update_one(
            {"_id": zone.zone_code},
            {
                "$set": {
                    "station_id": zone.station_id,
                    "community_ids": list(zone.community_ids),
                    "workload_population": zone.workload_population,
                    "retired": zone.retired,
                }
            },
            upsert=True,
        )

    async def set_measured_population(self, zone_code: str, population: int, as_of: datetime) -> bool:
        """Keep the newest measurement only (population snapshots may arrive out of order)."""
        try:
            result = await self.zones.update_one(
                {"_id": zone_code, "$or": [{"measured_at": None}, {"measured_at": {"$lt": as_of}}]},
                {"$set": {"measured_population": population, "measured_at": as_of}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.modified_count == 1 or result.upserted_id is not None

    async def retire_zones(self, zone_codes: Sequence[str]) -> None:
        for code in zone_codes:
            await self.zones.update_one({"_id": code}, {"$set": {"retired": True}}, upsert=True)

    async def get_zone(self, zone_code: str) -> ZoneView | None:
        doc = await self.zones.find_one({"_id": zone_code})
        return docs.document_to_zone_view(doc) if doc else None

    async def zone_views(self) -> dict[str, ZoneView]:
        return {d["_id"]: docs.document_to_zone_view(d) async for d in self.zones.find({})}

    async def upsert_station_view(self, station: StationView) -> None:
        await self.stations.update_one(
            {"_id": station.station_id},
            {"$set": {"name": station.name, "kind": station.kind.value if station.kind else None}},
            upsert=True,
        )

    async def get_station(self, station_id: str) -> StationView | None:
        doc = await self.stations.find_one({"_id": station_id})
        return docs.document_to_station_view(doc) if doc else None

    async def station_views(self) -> dict[str, StationView]:
        return {d["_id"]: docs.document_to_station_view(d) async for d in self.stations.find({})}

    # --- logs ---------------------------------------------------------------------------------------

    async def add_log(self, log: VisitLog, events: Events) -> bool:
        try:
            await self.logs.insert_one(with_outbox(docs.log_to_document(log), events))
        except DuplicateKeyError:
            return False
        return True

    async def get_log(self, log_id: str) -> VisitLog | None:
        doc = await self.logs.find_one({"_id": log_id})
        return docs.document_to_log(doc) if doc else None

    async def review_log(self, log: VisitLog, events: Events) -> None:
        await self.logs.update_one(
            {"_id": log.log_id},
            outbox_update(
                events,
                **{
                    "$set": {
                        "review_result": log.review_result.value,
                        "reviewed_by": log.reviewed_by,
                        "review_note": log.review_note,
                        "audit.updated_by": log.updated_by,
                        "audit.updated_at": log.updated_at,
                    }
                },
            ),
        )

    async def logs_between(
        self, period: DateRange, officer_ids: Sequence[str] | None = None
    ) -> list[VisitLog]:
        """Logs that began in the period's local days (a week's edge days included, for clipping)."""
        start = local_midnight(period.start)
        end = local_midnight(period.end + timedelta(days=1))
        query: Document = {"start_time": {"$gte": start, "$lt": end}}
        if officer_ids is not None:
            query["officer_id"] = {"$in": list(officer_ids)}
        cursor = self.logs.find(query).sort("start_time", ASCENDING)
        return [docs.document_to_log(d) async for d in cursor]

    async def list_logs(self, *, query: Document, before_id: str, limit: int) -> list[VisitLog]:
        if before_id:
            query = {**query, "_id": {"$lt": before_id}}
        cursor = self.logs.find(query).sort("_id", DESCENDING).limit(limit)
        return [docs.document_to_log(d) async for d in cursor]

    # --- findings -----------------------------------------------------------------------------------

    async def raise_finding(self, finding: Finding, events: Events) -> bool:
        """Insert an open finding; False when one is already open for the same breach (unique open_key)."""
        try:
            await self.findings.insert_one(with_outbox(docs.finding_to_document(finding), events))
        except DuplicateKeyError:
            return False
        return True

    async def resolve_finding(self, resolved: Finding, events: Events) -> bool:
        result = await self.findings.update_one(
            {"_id": resolved.finding_id, "status": FindingStatus.OPEN.value},
            outbox_update(
                events,
                **{
                    "$set": {
                        "status": resolved.status.value,
                        "open_key": f"resolved/{resolved.finding_id}",
                        "resolve_time": resolved.resolve_time,
                        "resolution": resolved.resolution,
                    }
                },
            ),
        )
        return result.modified_count == 1

    async def update_finding(self, finding: Finding, events: Events) -> bool:
        c = finding.condition
        result = await self.findings.update_one(
            {"_id": finding.finding_id, "status": FindingStatus.OPEN.value},
            outbox_update(
                events,
                **{
                    "$set": {
                        "actual_value": c.actual_value,
                        "required_value": c.required_value,
                        "detail": c.detail,
                    }
                },
            ),
        )
        return result.modified_count == 1

    async def open_findings(self, kinds: Sequence[FindingKind], *, officer_id: str = "") -> list[Finding]:
        query: Document = {"status": FindingStatus.OPEN.value, "kind": {"$in": [k.value for k in kinds]}}
        if officer_id:
            query["officer_id"] = officer_id
        cursor = self.findings.find(query)
        return [docs.document_to_finding(d) async for d in cursor]

    async def count_findings(self, query: Document) -> int:
        return await self.findings.count_documents(query)

    async def get_finding(self, finding_id: str) -> Finding | None:
        doc = await self.findings.find_one({"_id": finding_id})
        return docs.document_to_finding(doc) if doc else None

    async def list_findings(self, *, query: Document, before_id: str, limit: int) -> list[Finding]:
        if before_id:
            query = {**query, "_id": {"$lt": before_id}}
        cursor = self.findings.find(query).sort("_id", DESCENDING).limit(limit)
        return [docs.document_to_finding(d) async for d in cursor]

    # --- conduct, ratings, assessments --------------------------------------------------------------

    async def add_conduct(self, record: ConductRecord, station_id: str, events: Events) -> None:
        await self.conduct.insert_one(with_outbox(docs.conduct_to_document(record, station_id), events))

    async def conduct_between(self, period: DateRange) -> list[ConductRecord]:
        cursor = self.conduct.find(
            {"occur_date": {"$gte": docs.day(period.start), "$lte": docs.day(period.end)}}
        )
        return [docs.document_to_conduct(d) async for d in cursor]

    async def list_conduct(self, *, query: Document, before_id: str, limit: int) -> list[ConductRecord]:
        if before_id:
            query = {**query, "_id": {"$lt": before_id}}
        cursor = self.conduct.find(query).sort("_id", DESCENDING).limit(limit)
        return [docs.document_to_conduct(d) async for d in cursor]

    async def put_rating(self, rating: Rating, events: Events) -> None:
        """One rating per rater, officer, period and source (or per resident callback): a resubmission
        replaces the score."""
        await self.ratings.update_one(
            {"_id": rating.rating_id},
            outbox_update(events, **{"$set": docs.rating_to_document(rating)}),
            upsert=True,
        )

    async def ratings_for(self, period: Period) -> list[Rating]:
        return [docs.document_to_rating(d) async for d in self.ratings.find({"period": period.key})]

    async def put_draft(self, assessment: Assessment, events: Events) -> bool:
        """Write a draft unless the stored assessment is already published (published ones are final)."""
        try:
            result = await self.assessments.update_one(
                {"_id": assessment.assessment_id, "status": {"$ne": AssessmentStatus.PUBLISHED.value}},
                outbox_update(events, **{"$set": docs.assessment_to_document(assessment)}),
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return result.matched_count == 1 or result.upserted_id is not None

    async def publish_assessment(self, published: Assessment, events: Events) -> bool:
        result = await self.assessments.update_one(
            {"_id": published.assessment_id, "status": AssessmentStatus.DRAFT.value},
            outbox_update(
                events,
                **{"$set": {"status": published.status.value, "publish_time": published.publish_time}},
            ),
        )
        return result.modified_count == 1

    async def assessments_for(self, period: Period, query: Document | None = None) -> list[Assessment]:
        cursor = self.assessments.find({"period": period.key, **(query or {})}).sort(
            [("district_rank", ASCENDING), ("_id", ASCENDING)]
        )
        return [docs.document_to_assessment(d) async for d in cursor]

    async def get_assessment(self, assessment_id: str) -> Assessment | None:
        doc = await self.assessments.find_one({"_id": assessment_id})
        return docs.document_to_assessment(doc) if doc else None

    # --- audit --------------------------------------------------------------------------------------

    async def add_unmasked_read(self, read_id: str, record: Document, events: Events) -> None:
        await self.audit.insert_one(with_outbox({"_id": read_id, **record}, events))

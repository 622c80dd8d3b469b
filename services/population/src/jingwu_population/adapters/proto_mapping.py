"""Translation between the population domain and the jingwu.population.v1 contract. Masking (R-POP-6)
happens here, from the ``Disclosure`` the use case decided: a masked response never carries the data."""

from __future__ import annotations

from datetime import datetime

from jingwu.common.v1 import common_pb2
from jingwu.population.v1 import population_pb2 as pb
from jingwu_platform.proto_values import EnumMap, local_date_from_proto, local_date_to_proto, timestamp

from jingwu_population.application.ports import HouseSummary, MapFeature
from jingwu_population.domain.address import AddressParts
from jingwu_population.domain.audit import AuditEntry
from jingwu_population.domain.counts import ZoneTally
from jingwu_population.domain.findings import Finding, FindingKind
from jingwu_population.domain.geo import BoundingBox, Circle, GeoPoint, Polygon
from jingwu_population.domain.identity import mask_identity_number, mask_phone
from jingwu_population.domain.information import Colour, InfoCategory, InformationRecord, Stage
from jingwu_population.domain.ledger import ImportStatus, LedgerImport
from jingwu_population.domain.people import (
    Category,
    Gender,
    House,
    HouseKind,
    KeyGroup,
    KeyGroupTag,
    Relation,
    Resident,
    ResidentStatus,
)
from jingwu_population.domain.places import Inspection, InspectionResult, Place, PlaceKind
from jingwu_population.domain.privacy import Disclosure
from jingwu_population.domain.territory import HandoverEntry, Redivision
from jingwu_population.domain.visits import Visit, WeekProgress

CATEGORY = EnumMap(Category, pb.ResidentCategory, "RESIDENT_CATEGORY")
KEY_GROUP = EnumMap(KeyGroup, pb.KeyGroup, "KEY_GROUP")
RELATION = EnumMap(Relation, pb.Relation, "RELATION")
GENDER = EnumMap(Gender, pb.Gender, "GENDER")
STATUS = EnumMap(ResidentStatus, pb.ResidentStatus, "RESIDENT_STATUS")
HOUSE_KIND = EnumMap(HouseKind, pb.HouseKind, "HOUSE_KIND")
PLACE_KIND = EnumMap(PlaceKind, pb.PlaceKind, "PLACE_KIND")
RESULT = EnumMap(InspectionResult, pb.InspectionResult, "INSPECTION_RESULT")
COLOUR = EnumMap(Colour, pb.InformationColour, "INFORMATION_COLOUR")
INFO_CATEGORY = EnumMap(InfoCategory, pb.InformationCategory, "INFORMATION_CATEGORY")
STAGE = EnumMap(Stage, pb.InformationStage, "INFORMATION_STAGE")
IMPORT_STATUS = EnumMap(ImportStatus, pb.LedgerImportStatus, "LEDGER_IMPORT_STATUS")
FINDING_KIND = EnumMap(FindingKind, pb.PopulationFindingKind, "POPULATION_FINDING_KIND")

NO_DISCLOSURE = Disclosure(identity=False, key_groups=False)


def point_to_proto(point: GeoPoint | None) -> common_pb2.GeoPoint | None:
    return None if point is None else common_pb2.GeoPoint(longitude=point.longitude, latitude=point.latitude)


def point_from_proto(point: common_pb2.GeoPoint) -> GeoPoint:
    return GeoPoint(point.longitude, point.latitude)


def polygon_from_proto(polygon: common_pb2.Polygon) -> Polygon:
    return Polygon(tuple(tuple(point_from_proto(p) for p in ring.points) for ring in polygon.rings))


def bbox_from_proto(box: common_pb2.BoundingBox) -> BoundingBox:
    return BoundingBox(
        box.south_west.longitude, box.south_west.latitude, box.north_east.longitude, box.north_east.latitude
    )


def circle_from_proto(circle: pb.MapCircle) -> Circle:
    return Circle(point_from_proto(circle.center), circle.radius_m)


def audit_info(
    created_by: str, created_at: datetime | None, updated_by: str = "", updated_at: datetime | None = None
) -> common_pb2.AuditInfo:
    return common_pb2.AuditInfo(
        created_by=created_by,
        create_time=timestamp(created_at),
        updated_by=updated_by or created_by,
        update_time=timestamp(updated_at or created_at),
    )


def parts_to_proto(parts: AddressParts) -> pb.AddressParts:
    return pb.AddressParts(
        city=parts.city,
        district=parts.district,
        street=parts.street,
        community=parts.community,
        road=parts.road,
        door_number=parts.door_number,
        building=parts.building,
        unit=parts.unit,
        room=parts.room,
    )


def house_to_proto(summary: HouseSummary) -> pb.House:
    house = summary.house
    householder = next((h for _, h, _ in summary.households if h), "")
    return pb.House(
        house_id=house.house_id,
        standard_address=house.address,
        address_code=house.address_code,
        location=point_to_proto(house.location),
        zone_code=house.zone_code,
        village_id=house.village_id,
        rental=house.rental,
        householder_resident_id=householder,
        resident_count=summary.resident_count,
        key_group_resident_count=summary.key_group_resident_count,
        audit=audit_info(house.created_by, house.created_at, house.updated_by, house.updated_at),
        kind=HOUSE_KIND.to_proto(house.kind),
        address_parts=parts_to_proto(house.parts),
        households=[
            pb.Household(household_id=h, householder_resident_id=holder, member_count=n)
            for h, holder, n in summary.households
        ],
    )


def bare_house_to_proto(house: House) -> pb.House:
    return house_to_proto(HouseSummary(house, 0, 0, ()))


def tag_to_proto(tag: KeyGroupTag) -> pb.KeyGroupTag:
    return pb.KeyGroupTag(
        key_group=KEY_GROUP.to_proto(tag.key_group),
        reason=tag.reason,
        owner_id=tag.owner_id,
        review_date=local_date_to_proto(tag.review_date),
        tagged_by=tag.tagged_by,
        tag_time=timestamp(tag.tagged_at),
    )


def resident_to_proto(
    resident: Resident, zone_code: str, disclosure: Disclosure = NO_DISCLOSURE
) -> pb.Resident:
    """R-POP-6: identity and phone numbers masked unless disclosed; key groups only for the roles that
    may see them."""
    message = pb.Resident(
        resident_id=resident.resident_id,
        house_id=resident.house_id,
        zone_code=zone_code,
        name=resident.name,
        id_number=resident.id_number if disclosure.identity else mask_identity_number(resident.id_number),
        phone=resident.phone if disclosure.identity else mask_phone(resident.phone),
        gender=GENDER.to_proto(resident.gender),
        birth_date=local_date_to_proto(resident.birth_date),
        relation=RELATION.to_proto(resident.relation),
        category=CATEGORY.to_proto(resident.category),
        registered_address=resident.registered_address,
        registered_house_id=resident.registered_house_id,
        residence_separated=resident.separated,
        situation=resident.situation,
        status=STATUS.to_proto(resident.status),
        move_in_date=local_date_to_proto(resident.move_in_date),
        move_out_date=local_date_to_proto(resident.move_out_date),
        masked=not disclosure.identity,
        audit=audit_info(resident.created_by, resident.created_at, resident.updated_by, resident.updated_at),
        moves=[
            pb.ResidenceMove(
                house_id=m.house_id,
                zone_code=m.zone_code,
                move_in_date=local_date_to_proto(m.move_in_date),
                move_out_date=local_date_to_proto(m.move_out_date),
                destination=m.destination,
                status=STATUS.to_proto(m.status),
            )
            for m in resident.history
        ],
        household_id=resident.household_id,
        key_groups_masked=not disclosure.key_groups,
    )
    if disclosure.key_groups:
        message.key_groups.extend(KEY_GROUP.to_proto(g) for g in resident.key_groups)
        message.key_group_tags.extend(tag_to_proto(t) for t in resident.tags)
    return message


def place_to_proto(
    place: Place, disclosure: Disclosure = NO_DISCLOSURE, interval_months: int = 1
) -> pb.Place:
    return pb.Place(
        place_id=place.place_id,
        kind=PLACE_KIND.to_proto(place.kind),
        name=place.name,
        address=place.address,
        house_id=place.house_id,
        location=point_to_proto(place.location),
        zone_code=place.zone_code,
        village_id=place.village_id,
        contact_name=place.contact_name,
        contact_phone=place.contact_phone if disclosure.identity else mask_phone(place.contact_phone),
        last_inspection_date=local_date_to_proto(place.last_inspection_date),
        inspection_due_date=local_date_to_proto(place.due_date(interval_months)),
        audit=audit_info(place.created_by, place.created_at, place.updated_by, place.updated_at),
    )


def event_place(place: Place, interval_months: int = 1) -> pb.Place:
    """Events never carry the contact phone (events.proto, R-POP-6)."""
    message = place_to_proto(place, NO_DISCLOSURE, interval_months)
    message.contact_phone = ""
    return message


def inspection_to_proto(inspection: Inspection) -> pb.PlaceInspection:
    return pb.PlaceInspection(
        inspection_id=inspection.inspection_id,
        place_id=inspection.place_id,
        inspector_id=inspection.inspector_id,
        inspect_time=timestamp(inspection.inspected_at),
        result=RESULT.to_proto(inspection.result),
        hazards=list(inspection.hazards),
        rectification_due_date=local_date_to_proto(inspection.rectification_due),
        notes=inspection.notes,
        location=point_to_proto(inspection.location),
        audit=audit_info(inspection.inspector_id, inspection.created_at),
    )


def record_to_proto(record: InformationRecord) -> pb.InformationRecord:
    return pb.InformationRecord(
        record_id=record.record_id,
        colour=COLOUR.to_proto(record.colour),
        category=INFO_CATEGORY.to_proto(record.category),
        stage=STAGE.to_proto(record.stage),
        zone_code=record.zone_code,
        house_id=record.house_id,
        resident_id=record.resident_id,
        place_id=record.place_id,
        title=record.title,
        content=record.content,
        collector_id=record.collector_id,
        source=record.source,
        stage_history=[
            pb.InformationStageChange(
                stage=STAGE.to_proto(c.stage), actor_id=c.actor_id, change_time=timestamp(c.at), note=c.note
            )
            for c in record.history
        ],
        used_by=list(record.used_by),
        audit=audit_info(record.collector_id, record.created_at, record.updated_by, record.updated_at),
    )


def visit_to_proto(visit: Visit) -> pb.FamiliarisationVisit:
    return pb.FamiliarisationVisit(
        visit_id=visit.visit_id,
        officer_id=visit.officer_id,
        house_id=visit.house_id,
        zone_code=visit.zone_code,
        visit_time=timestamp(visit.visited_at),
        met_resident_ids=list(visit.met_resident_ids),
        golden_hour=visit.golden_hour,
        notes=visit.notes,
        audit=audit_info(visit.officer_id, visit.visited_at),
    )


def progress_to_proto(progress: WeekProgress) -> pb.FamiliarisationProgress:
    return pb.FamiliarisationProgress(
        officer_id=progress.officer_id,
        week_start=local_date_to_proto(progress.week_start),
        households_visited=progress.households_visited,
        target_households=progress.target,
    )


def zone_population_to_proto(tally: ZoneTally, as_of: datetime) -> pb.ZonePopulation:
    return pb.ZonePopulation(
        zone_code=tally.zone_code,
        actual_population=tally.actual,
        category_counts=[
            pb.CategoryCount(category=CATEGORY.to_proto(Category(c)), count=n)
            for c, n in sorted(tally.categories.items())
            if n
        ],
        key_group_counts=[
            pb.KeyGroupCount(key_group=KEY_GROUP.to_proto(KeyGroup(g)), count=n)
            for g, n in sorted(tally.key_groups.items())
            if n
        ],
        house_count=tally.houses,
        rental_house_count=tally.rental_houses,
        residence_separated_count=tally.separated,
        as_of_time=timestamp(as_of),
    )


def feature_to_proto(feature: MapFeature, interval_months: int = 1) -> pb.MapFeature:
    if feature.house is not None:
        house = feature.house.house
        return pb.MapFeature(
            kind=pb.MAP_FEATURE_KIND_HOUSE,
            id=house.house_id,
            label=house.address,
            location=point_to_proto(house.location),
            zone_code=house.zone_code,
            resident_count=feature.house.resident_count,
            key_group_resident_count=feature.house.key_group_resident_count,
            rental=house.rental,
        )
    place = feature.place
    assert place is not None
    return pb.MapFeature(
        kind=pb.MAP_FEATURE_KIND_PLACE,
        id=place.place_id,
        label=place.name,
        location=point_to_proto(place.location),
        zone_code=place.zone_code,
        place_kind=PLACE_KIND.to_proto(place.kind),
        inspection_due_date=local_date_to_proto(place.due_date(interval_months)),
    )


def audit_to_proto(entry: AuditEntry) -> pb.UnmaskedRead:
    read = entry.read
    return pb.UnmaskedRead(
        read_id=entry.entry_id,
        reader_id=read.reader_id,
        reader_role=",".join(read.reader_roles),
        method=read.method,
        purpose=read.purpose,
        case_reference=read.case_reference,
        resident_ids=list(read.resident_ids),
        place_ids=list(read.place_ids),
        fields=list(read.fields),
        read_time=timestamp(read.read_at),
        sequence=entry.sequence,
        previous_hash=entry.previous_hash,
        entry_hash=entry.entry_hash,
    )


def import_to_proto(ledger: LedgerImport) -> pb.LedgerImport:
    return pb.LedgerImport(
        import_id=ledger.import_id,
        file_name=ledger.file_name,
        file_sha256=ledger.file_sha256,
        status=IMPORT_STATUS.to_proto(ledger.status),
        rows_expected=ledger.rows_expected,
        chunks_expected=ledger.chunks_expected,
        chunks_received=ledger.chunks_received,
        houses_created=ledger.houses_created,
        residents_created=ledger.residents_created,
        rows_unchanged=ledger.rows_unchanged,
        errors=[pb.LedgerRowError(row_number=e.row, column=e.column, reason=e.reason) for e in ledger.errors],
        more_errors=ledger.more_errors,
        audit=audit_info(ledger.created_by, ledger.created_at, ledger.created_by, ledger.updated_at),
    )


def finding_to_proto(finding: Finding) -> pb.PopulationFinding:
    return pb.PopulationFinding(
        kind=FINDING_KIND.to_proto(finding.kind),
        rule_id=finding.rule_id,
        subject_id=finding.subject_id,
        zone_code=finding.zone_code,
        due_date=local_date_to_proto(finding.due_date),
        detail=finding.detail,
        key_group=KEY_GROUP.to_proto(finding.key_group),
        place_kind=PLACE_KIND.to_proto(finding.place_kind),
        owner_id=finding.owner_id,
    )


def handover_to_proto(redivision: Redivision, entries: list[HandoverEntry]) -> pb.ZoneHandover:
    return pb.ZoneHandover(
        redivision_id=redivision.redivision_id,
        complete=redivision.status.value == "done",
        houses_moved=redivision.houses_moved,
        residents_moved=redivision.residents_moved,
        entries=[
            pb.HandoverEntry(
                record_type=e.record_type,
                record_id=e.record_id,
                from_zone_code=e.from_zone_code,
                to_zone_code=e.to_zone_code,
            )
            for e in entries
        ],
        from_zone_codes=list(redivision.from_zone_codes),
        to_zone_codes=list(redivision.to_zone_codes),
    )


local_date = local_date_from_proto

"""Territory: stations, police zones, communities and villages (R-ORG-1..5). Pure: no I/O, no protobuf."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from jingwu_platform.errors import RuleViolation, Validator
from jingwu_platform.shared_kernel import check_geo_point, check_required, check_zone_code

from jingwu_rooms.domain.model import Audit, GeoPoint

MAX_ZONES_PER_COMMUNITY = 3  # R-ORG-2 "2–3 zones": sequence numbers run 1..3
MIN_RING_POINTS = 4  # a closed ring: a triangle plus the repeated first point
MAX_SECURITY_COMPLEXITY = 5


class StationKind(StrEnum):
    """R-ORG-1."""

    URBAN = "urban"
    TOWN = "town"
    TOWNSHIP = "township"


class OperatingModel(StrEnum):
    """R-ORG-4."""

    TWO_TEAMS_ONE_GROUP = "two_teams_one_group"  # 两队一室
    THREE_TEAMS_ONE_GROUP = "three_teams_one_group"  # 三队一室 (+ case team)
    ZONE = "zone"  # all-round zone model of small stations


class VillageLevel(StrEnum):
    """R-ORG-5: administrative villages (and urban communities) hold natural villages."""

    ADMINISTRATIVE = "administrative"
    NATURAL = "natural"


@dataclass(frozen=True)
class Station:
    station_id: str
    name: str
    kind: StationKind
    operating_model: OperatingModel
    location: GeoPoint
    audit: Audit = field(default_factory=Audit)

    def same_content(self, other: Station) -> bool:
        return (self.name, self.kind, self.operating_model, self.location) == (
            other.name,
            other.kind,
            other.operating_model,
            other.location,
        )


@dataclass(frozen=True)
class StationDraft:
    name: str
    kind: StationKind | None
    operating_model: OperatingModel | None
    location: GeoPoint


def new_station(draft: StationDraft, *, station_id: str, at: datetime, by: str) -> Station:
    v = Validator()
    check_required(v, "name", draft.name, max_length=64)
    v.check(draft.kind is not None, "kind", "station kind is required: urban, town or township (R-ORG-1)")
    v.check(draft.operating_model is not None, "operating_model", "operating model is required (R-ORG-4)")
    check_geo_point(v, "location", draft.location.longitude, draft.location.latitude)
    check_id(v, "station_id", station_id)
    v.raise_if_any()
    assert draft.kind is not None and draft.operating_model is not None
    return Station(
        station_id,
        draft.name.strip(),
        draft.kind,
        draft.operating_model,
        draft.location,
        Audit.new(by, at),
    )


def check_id(v: Validator, field_name: str, identifier: str) -> None:
    """Client-chosen ids are short and printable (they end up in keys, topics' keys and URLs)."""
    if identifier:
        v.check(
            len(identifier) <= 64 and identifier.isprintable() and " " not in identifier,
            field_name,
            "must be at most 64 printable characters without spaces",
        )


# --- Zones (R-ORG-2, R-ORG-3) -----------------------------------------------------------------------


@dataclass(frozen=True)
class ZoneWorkload:
    """R-ORG-3: zones are sized by quantified workload."""

    actual_population: int
    area_km2: float
    security_complexity: int  # 1 (simple) .. 5 (most complex)


Ring = tuple[GeoPoint, ...]
Polygon = tuple[Ring, ...]


@dataclass(frozen=True)
class Zone:
    zone_code: str
    name: str
    community_name: str
    sequence: int
    station_id: str
    community_ids: tuple[str, ...]
    workload: ZoneWorkload
    boundary: Polygon
    retired: bool = False
    created_by_redivision_id: str = ""
    retired_by_redivision_id: str = ""
    successor_zone_codes: tuple[str, ...] = ()
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    def retired_by(self, redivision_id: str, successors: Sequence[str]) -> Zone | None:
        """R-ORG-3: the zone dissolved by this re-division, or None when another one dissolved it first
        (a zone is dissolved once; the claim is the lock). Claiming it again is a no-op."""
        if self.retired:
            return self if self.retired_by_redivision_id == redivision_id else None
        return replace(
            self,
            retired=True,
            retired_by_redivision_id=redivision_id,
            successor_zone_codes=tuple(successors),
        )

    def restored_from(self, redivision_id: str) -> Zone:
        """Undo ``retired_by`` of an abandoned re-division (nothing if another one holds the zone)."""
        if not self.retired or self.retired_by_redivision_id != redivision_id:
            return self
        return replace(self, retired=False, retired_by_redivision_id="", successor_zone_codes=())

    def matches(self, draft: ZoneDraft) -> bool:
        """The zone is what ``draft`` asks for (a repeated create)."""
        mine = (self.zone_code, self.community_name, self.sequence, self.station_id, self.community_ids)
        theirs = (
            draft.zone_code,
            draft.community_name.strip(),
            draft.sequence,
            draft.station_id,
            draft.community_ids,
        )
        return mine == theirs and (self.workload, self.boundary) == (draft.workload, draft.boundary)


@dataclass(frozen=True)
class ZoneDraft:
    zone_code: str
    community_name: str
    sequence: int
    station_id: str
    community_ids: tuple[str, ...]
    workload: ZoneWorkload
    boundary: Polygon


def zone_name(community_name: str, sequence: int) -> str:
    """R-ORG-2 (seed 003): "责任区的名称要冠以社区名称，同一社区有2—3个责任区的应冠以顺序号" — the
    community's name, followed by the sequence number when the community has 2–3 zones (汴河社区1)."""
    return f"{community_name.strip()}{sequence}" if sequence else community_name.strip()


def check_boundary(v: Validator, field_name: str, boundary: Polygon) -> None:
    """GeoJSON-style polygon: an outer ring and optional holes, each closed and of at least 4 points.
    A zone may be recorded before its boundary is surveyed: no rings at all is accepted."""
    for r, ring in enumerate(boundary):
        ring_field = f"{field_name}.rings[{r}].points"
        if not v.check(
            len(ring) >= MIN_RING_POINTS,
            ring_field,
            f"a ring needs at least {MIN_RING_POINTS} points (first repeated last), got {len(ring)}",
        ):
            continue
        v.check(ring[0] == ring[-1], ring_field, "a ring must be closed: its last point repeats the first")
        v.check(
            len(set(ring[:-1])) >= MIN_RING_POINTS - 1, ring_field, "a ring needs at least 3 distinct points"
        )
        for p, point in enumerate(ring):
            check_geo_point(v, f"{ring_field}[{p}]", point.longitude, point.latitude)


def check_zone_draft(v: Validator, draft: ZoneDraft, district: str, prefix: str = "") -> None:
    check_zone_code(v, f"{prefix}zone_code", draft.zone_code, district)
    check_required(v, f"{prefix}community_name", draft.community_name, max_length=60)
    v.check(
        0 <= draft.sequence <= MAX_ZONES_PER_COMMUNITY,
        f"{prefix}sequence",
        f"0 for a community's only zone, 1..{MAX_ZONES_PER_COMMUNITY} when it has 2–3 zones (R-ORG-2)",
    )
    check_required(v, f"{prefix}station_id", draft.station_id)
    seen: set[str] = set()
    for index, community_id in enumerate(draft.community_ids):
        item = f"{prefix}community_ids[{index}]"
        if v.check(bool(community_id.strip()), item, "is required"):
            v.check(community_id not in seen, item, f"community {community_id} is listed twice")
            seen.add(community_id)
    workload = draft.workload
    v.check(workload.actual_population >= 0, f"{prefix}workload.actual_population", "must not be negative")
    v.check(workload.area_km2 > 0, f"{prefix}workload.area_km2", "must be positive (R-ORG-3)")
    v.check(
        1 <= workload.security_complexity <= MAX_SECURITY_COMPLEXITY,
        f"{prefix}workload.security_complexity",
        f"must be 1 (simple) .. {MAX_SECURITY_COMPLEXITY} (most complex) (R-ORG-3)",
    )
    check_boundary(v, f"{prefix}boundary", draft.boundary)


def validate_zone_draft(draft: ZoneDraft, district: str) -> None:
    v = Validator()
    check_zone_draft(v, draft, district)
    v.raise_if_any()


def check_community_naming(draft: ZoneDraft, others: Iterable[Zone | ZoneDraft]) -> None:
    """R-ORG-2: a community's only zone carries no sequence number; with 2–3 zones each carries its own.
    ``others`` are the community's other active zones (and zones created alongside)."""
    name = zone_name(draft.community_name, draft.sequence)
    subject = f"zones/{draft.zone_code}"
    for other in others:
        if other.community_name.strip() != draft.community_name.strip() or other.zone_code == draft.zone_code:
            continue
        if other.sequence == draft.sequence:
            raise RuleViolation(
                "R-ORG-2",
                subject,
                f"community {draft.community_name} already has zone {name} ({other.zone_code})",
            )
        if 0 in (other.sequence, draft.sequence):
            raise RuleViolation(
                "R-ORG-2",
                subject,
                f"community {draft.community_name} would have several zones: "
                f"each needs a sequence number 1..{MAX_ZONES_PER_COMMUNITY}",
            )


def new_zone(draft: ZoneDraft, *, at: datetime, by: str, redivision_id: str = "") -> Zone:
    return Zone(
        zone_code=draft.zone_code,
        name=zone_name(draft.community_name, draft.sequence),
        community_name=draft.community_name.strip(),
        sequence=draft.sequence,
        station_id=draft.station_id,
        community_ids=draft.community_ids,
        workload=draft.workload,
        boundary=draft.boundary,
        created_by_redivision_id=redivision_id,
        audit=Audit.new(by, at),
    )


def require_active_zone(zone: Zone) -> None:
    if zone.retired:
        successors = ", ".join(zone.successor_zone_codes) or "none"
        raise RuleViolation(
            "R-ORG-3",
            f"zones/{zone.zone_code}",
            f"zone {zone.zone_code} was dissolved by a re-division (successors: {successors})",
        )


# --- Communities and villages (R-ORG-1, R-ORG-5, R-ROOM-4) ------------------------------------------


@dataclass(frozen=True)
class Village:
    village_id: str
    name: str
    level: VillageLevel
    parent_village_id: str
    zone_code: str
    station_id: str
    location: GeoPoint
    security_complex_central: bool = False
    former_township_seat: bool = False
    remote_from_station: bool = False
    township: str = ""
    urban_community: bool = False
    audit: Audit = field(default_factory=Audit)
    version: int = 0

    def same_content(self, other: Village) -> bool:
        return replace(other, audit=self.audit, version=self.version) == self

    def moved(self, from_zone_code: str, to_zone_code: str, to_station_id: str) -> Village:
        """R-ORG-3: a village of a dissolved zone goes to its new zone; once moved it stays (idempotent)."""
        if self.zone_code != from_zone_code:
            return self
        return replace(self, zone_code=to_zone_code, station_id=to_station_id)


@dataclass(frozen=True)
class VillageDraft:
    name: str
    level: VillageLevel | None
    parent_village_id: str
    zone_code: str
    station_id: str
    location: GeoPoint
    security_complex_central: bool = False
    former_township_seat: bool = False
    remote_from_station: bool = False
    township: str = ""
    urban_community: bool = False


def validate_village_draft(draft: VillageDraft, district: str, village_id: str) -> None:
    v = Validator()
    check_id(v, "village_id", village_id)
    check_required(v, "name", draft.name, max_length=64)
    v.check(draft.level is not None, "level", "administrative or natural (R-ORG-5)")
    if draft.level is VillageLevel.NATURAL:
        check_required(v, "parent_village_id", draft.parent_village_id)
        v.check(not draft.urban_community, "urban_community", "a natural village is not an urban community")
    elif draft.parent_village_id:
        v.add("parent_village_id", "only a natural village has a parent administrative village (R-ORG-5)")
    if draft.zone_code:
        check_zone_code(v, "zone_code", draft.zone_code, district)
    elif draft.level is not VillageLevel.NATURAL:
        v.check(bool(draft.station_id.strip()), "station_id", "give the zone_code or at least the station_id")
    check_geo_point(v, "location", draft.location.longitude, draft.location.latitude)
    v.check(len(draft.township) <= 64, "township", "must be at most 64 characters")
    v.raise_if_any()


def place_village(
    draft: VillageDraft, *, village_id: str, parent: Village | None, zone: Zone | None, at: datetime, by: str
) -> Village:
    """A natural village lies in its administrative village's zone; a village's station is its zone's.
    The caller has loaded ``parent`` (by parent_village_id) and ``zone`` (by zone_code, or the parent's)."""
    v = Validator()
    if draft.level is VillageLevel.NATURAL:
        if parent is None:
            v.add("parent_village_id", f"no village {draft.parent_village_id!r}")
        elif parent.level is not VillageLevel.ADMINISTRATIVE:
            v.add(
                "parent_village_id",
                f"{parent.village_id} is a natural village; the parent is administrative (R-ORG-5)",
            )
        elif draft.zone_code and parent.zone_code and draft.zone_code != parent.zone_code:
            v.add(
                "zone_code", f"a natural village lies in its administrative village's zone {parent.zone_code}"
            )
    if zone is not None and draft.station_id and draft.station_id != zone.station_id:
        v.add("station_id", f"zone {zone.zone_code} belongs to station {zone.station_id}")
    v.raise_if_any()
    if zone is not None:
        require_active_zone(zone)
    zone_code = draft.zone_code or (parent.zone_code if parent else "")
    station_id = zone.station_id if zone else (draft.station_id or (parent.station_id if parent else ""))
    assert draft.level is not None
    return Village(
        village_id=village_id,
        name=draft.name.strip(),
        level=draft.level,
        parent_village_id=draft.parent_village_id,
        zone_code=zone_code,
        station_id=station_id,
        location=draft.location,
        security_complex_central=draft.security_complex_central,
        former_township_seat=draft.former_township_seat,
        remote_from_station=draft.remote_from_station,
        township=draft.township.strip() or (parent.township if parent else ""),
        urban_community=draft.urban_community,
        audit=Audit.new(by, at),
    )

"""The district's population in memory, with an index for every hot query (docs/adr: why in memory).

Indexes, each answering one query without scanning the population:
- identity number → resident; phone → residents;
- house → residents (living and moved out); registered house → residents registered there;
- residents by zone, category, key group and 人户分离, alone and per zone (sorted ids: pages);
- name → residents (exact), and (name, id) sorted for prefix search;
- houses by standard address, zone and village; places by zone;
- grid cell → houses and places (the map, domain.geo);
- zone → counts by category and key group (kept as records change, R-PER-4).
``explain`` is the plan of each query: which index, how many entries examined.

Only the writer of the district changes the image (``apply``), after the change is durable.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

from jingwu_population.adapters.sorted_ids import SortedKeys
from jingwu_population.application.ports import (
    Aggregate,
    AuditQuery,
    Found,
    HouseQuery,
    HouseSummary,
    InspectionQuery,
    MapFeature,
    MapQuery,
    PlaceQuery,
    QueryPlan,
    RecordQuery,
    ResidentQuery,
)
from jingwu_population.domain.address import address_key
from jingwu_population.domain.audit import AuditEntry
from jingwu_population.domain.counts import PublishedZonePopulation, ZoneTally
from jingwu_population.domain.geo import Polygon, cell_count, cell_of, cells_covering
from jingwu_population.domain.information import InformationRecord
from jingwu_population.domain.ledger import LedgerImport
from jingwu_population.domain.people import Category, House, KeyGroup, Relation, Resident
from jingwu_population.domain.places import Inspection, Place
from jingwu_population.domain.territory import HandoverChunk, Redivision, Station, Village, Zone
from jingwu_population.domain.visits import Visit

T = TypeVar("T")
_END = "\U0010ffff"


@dataclass
class _Tally:
    actual: int = 0
    categories: dict[Category, int] = field(default_factory=lambda: defaultdict(int))
    key_groups: dict[KeyGroup, int] = field(default_factory=lambda: defaultdict(int))
    houses: int = 0
    rental: int = 0
    separated: int = 0


_ID_FIELDS: dict[type, str] = {
    House: "house_id",
    Resident: "resident_id",
    Place: "place_id",
    Inspection: "inspection_id",
    InformationRecord: "record_id",
    Visit: "visit_id",
    Zone: "zone_code",
    Village: "village_id",
    Station: "station_id",
    Redivision: "redivision_id",
    HandoverChunk: "chunk_id",
    PublishedZonePopulation: "zone_code",
    LedgerImport: "import_id",
    AuditEntry: "entry_id",
}


def id_of(aggregate: Aggregate) -> str:
    """The id of any stored aggregate (the store's key within its kind)."""
    field_name = _ID_FIELDS.get(type(aggregate))
    if field_name is None:
        raise TypeError(f"not a population aggregate: {type(aggregate)!r}")
    value: str = getattr(aggregate, field_name)
    return value


class PopulationImage:
    def __init__(self) -> None:
        self.store: dict[type, dict[str, Aggregate]] = defaultdict(dict)
        self.houses: dict[str, House] = {}
        self.residents: dict[str, Resident] = {}
        self.places: dict[str, Place] = {}
        self.audit: dict[int, AuditEntry] = {}
        self._audit_head = 0
        # indexes
        self._by_address: dict[str, str] = {}
        self._houses_by_zone: dict[str, SortedKeys] = defaultdict(SortedKeys)
        self._houses_by_village: dict[str, SortedKeys] = defaultdict(SortedKeys)
        self._all_houses = SortedKeys()
        self._house_cells: dict[str, set[str]] = defaultdict(set)
        self._place_cells: dict[str, set[str]] = defaultdict(set)
        self._places_by_zone: dict[str, SortedKeys] = defaultdict(SortedKeys)
        self._all_places = SortedKeys()
        self._of_house: dict[str, set[str]] = defaultdict(set)
        self._living: dict[str, set[str]] = defaultdict(set)
        self._registered_at: dict[str, set[str]] = defaultdict(set)
        self._by_identity: dict[str, str] = {}
        self._by_phone: dict[str, set[str]] = defaultdict(set)
        self._lists: dict[tuple[str, ...], SortedKeys] = defaultdict(SortedKeys)
        self._by_name: dict[str, SortedKeys] = defaultdict(SortedKeys)
        self._names = SortedKeys()
        self._tagged: set[str] = set()
        self._tallies: dict[str, _Tally] = defaultdict(_Tally)
        self._inspections_by_place: dict[str, SortedKeys] = defaultdict(SortedKeys)
        self._all_inspections = SortedKeys()
        self._all_records = SortedKeys()
        self._visits: dict[tuple[str, date], set[str]] = defaultdict(set)
        self._audit_by_reader: dict[str, list[int]] = defaultdict(list)
        self._audit_by_resident: dict[str, list[int]] = defaultdict(list)
        self._bulk = False

    # ── applying changes ───────────────────────────────────────────────────────────────────────

    def get(self, kind: type[T], key: str) -> T | None:
        found = self.store[kind].get(key)
        return found  # type: ignore[return-value]

    def all(self, kind: type[T]) -> list[T]:
        return list(self.store[kind].values())  # type: ignore[arg-type]

    def apply(self, aggregates: Iterable[Aggregate], *, bulk: bool = False) -> None:
        """Take new states (already durable). Houses first, so residents are indexed in their
        house's current zone. ``bulk``: loading, sort the indexes once at the end."""
        self._bulk = bulk
        items = sorted(aggregates, key=lambda a: 0 if isinstance(a, House) else 1)
        for aggregate in items:
            match aggregate:
                case House():
                    self._put_house(aggregate)
                case Resident():
                    self._put_resident(aggregate)
                case Place():
                    self._put_place(aggregate)
                case Inspection():
                    self._put_inspection(aggregate)
                case InformationRecord():
                    self._add_key(self._all_records, time_key(aggregate.created_at, aggregate.record_id))
                case Visit():
                    self._visits[(aggregate.officer_id, aggregate.week_start)].add(aggregate.visit_id)
                case AuditEntry():
                    self._put_audit(aggregate)
            self.store[type(aggregate)][id_of(aggregate)] = aggregate
        self._bulk = False

    def _add_key(self, keys: SortedKeys, key: str) -> None:
        if self._bulk:
            keys.append_unsorted(key)
        else:
            keys.add(key)

    def _put_house(self, house: House) -> None:
        old = self.houses.get(house.house_id)
        living = [self.residents[r] for r in self._living.get(house.house_id, ())]
        if old is not None:
            for resident in living:
                self._unindex_resident(resident, old)
            self._unindex_house(old)
        self.houses[house.house_id] = house
        self._index_house(house)
        for resident in living:
            self._index_resident(resident, house)

    def _index_house(self, house: House) -> None:
        self._by_address[house.address] = house.house_id
        self._add_key(self._houses_by_zone[house.zone_code], house.house_id)
        if house.village_id:
            self._add_key(self._houses_by_village[house.village_id], house.house_id)
        self._add_key(self._all_houses, house.house_id)
        self._house_cells[cell_of(house.location)].add(house.house_id)
        tally = self._tallies[house.zone_code]
        tally.houses += 1
        tally.rental += house.rental

    def _unindex_house(self, house: House) -> None:
        self._by_address.pop(house.address, None)
        self._houses_by_zone[house.zone_code].discard(house.house_id)
        if house.village_id:
            self._houses_by_village[house.village_id].discard(house.house_id)
        self._house_cells[cell_of(house.location)].discard(house.house_id)
        tally = self._tallies[house.zone_code]
        tally.houses -= 1
        tally.rental -= house.rental

    def _put_resident(self, resident: Resident) -> None:
        old = self.residents.get(resident.resident_id)
        if old is not None:
            self._of_house[old.house_id].discard(old.resident_id)
            if old.registered_house_id:
                self._registered_at[old.registered_house_id].discard(old.resident_id)
            if self._by_identity.get(old.id_number) == old.resident_id:
                del self._by_identity[old.id_number]
            if old.phone:
                self._by_phone[old.phone].discard(old.resident_id)
            if old.living:
                self._living[old.house_id].discard(old.resident_id)
                house = self.houses.get(old.house_id)
                if house is not None:
                    self._unindex_resident(old, house)
        self.residents[resident.resident_id] = resident
        self._of_house[resident.house_id].add(resident.resident_id)
        if resident.registered_house_id:
            self._registered_at[resident.registered_house_id].add(resident.resident_id)
        self._by_identity[resident.id_number] = resident.resident_id
        if resident.phone:
            self._by_phone[resident.phone].add(resident.resident_id)
        if resident.living:
            self._living[resident.house_id].add(resident.resident_id)
            house = self.houses.get(resident.house_id)
            if house is not None:
                self._index_resident(resident, house)

    def _list_keys(self, resident: Resident, zone: str) -> Iterator[tuple[str, ...]]:
        category = resident.category.value
        yield ("all",)
        yield ("zone", zone)
        yield ("cat", category)
        yield ("zcat", zone, category)
        for group in resident.key_groups:
            yield ("kg", group.value)
            yield ("zkg", zone, group.value)
        if resident.separated:
            yield ("sep",)
            yield ("zsep", zone)

    def _index_resident(self, resident: Resident, house: House) -> None:
        rid = resident.resident_id
        for key in self._list_keys(resident, house.zone_code):
            self._add_key(self._lists[key], rid)
        self._add_key(self._by_name[resident.name], rid)
        self._add_key(self._names, f"{resident.name}\x00{rid}")
        if resident.tags:
            self._tagged.add(rid)
        tally = self._tallies[house.zone_code]
        tally.actual += 1
        tally.categories[resident.category] += 1
        for group in resident.key_groups:
            tally.key_groups[group] += 1
        tally.separated += resident.separated

    def _unindex_resident(self, resident: Resident, house: House) -> None:
        rid = resident.resident_id
        for key in self._list_keys(resident, house.zone_code):
            self._lists[key].discard(rid)
        self._by_name[resident.name].discard(rid)
        self._names.discard(f"{resident.name}\x00{rid}")
        self._tagged.discard(rid)
        tally = self._tallies[house.zone_code]
        tally.actual -= 1
        tally.categories[resident.category] -= 1
        for group in resident.key_groups:
            tally.key_groups[group] -= 1
        tally.separated -= resident.separated

    def _put_place(self, place: Place) -> None:
        old = self.places.get(place.place_id)
        if old is not None:
            self._places_by_zone[old.zone_code].discard(old.place_id)
            self._place_cells[cell_of(old.location)].discard(old.place_id)
        self.places[place.place_id] = place
        self._add_key(self._places_by_zone[place.zone_code], place.place_id)
        self._add_key(self._all_places, place.place_id)
        self._place_cells[cell_of(place.location)].add(place.place_id)

    def _put_inspection(self, inspection: Inspection) -> None:
        key = time_key(inspection.inspected_at, inspection.inspection_id)
        self._add_key(self._inspections_by_place[inspection.place_id], key)
        self._add_key(self._all_inspections, key)

    def _put_audit(self, entry: AuditEntry) -> None:
        if entry.sequence in self.audit:
            self.audit[entry.sequence] = entry
            return
        self.audit[entry.sequence] = entry
        self._audit_head = max(self._audit_head, entry.sequence)
        self._audit_by_reader[entry.read.reader_id].append(entry.sequence)
        for resident_id in entry.read.resident_ids:
            self._audit_by_resident[resident_id].append(entry.sequence)

    # ── houses ─────────────────────────────────────────────────────────────────────────────────

    def house_at(self, address: str) -> House | None:
        found = self._by_address.get(address_key(address))
        return self.houses.get(found) if found else None

    def summary(self, house: House) -> HouseSummary:
        living = [self.residents[r] for r in self._living.get(house.house_id, ())]
        households: dict[str, list[Resident]] = defaultdict(list)
        for resident in living:
            households[resident.household_id].append(resident)
        listed = tuple(
            (
                household_id,
                next((m.resident_id for m in members if m.relation is Relation.HOUSEHOLDER), ""),
                len(members),
            )
            for household_id, members in sorted(households.items())
        )
        return HouseSummary(house, len(living), sum(1 for r in living if r.tags), listed)

    def houses_page(self, q: HouseQuery) -> Found[HouseSummary]:
        if q.zone_code:
            index, keys = "houses_by_zone", self._houses_by_zone.get(q.zone_code, SortedKeys())
        elif q.village_id:
            index, keys = "houses_by_village", self._houses_by_village.get(q.village_id, SortedKeys())
        else:
            index, keys = "houses", self._all_houses

        def keep(house: House) -> bool:
            if q.village_id and house.village_id != q.village_id:
                return False
            if q.rental_only and not house.rental:
                return False
            if q.key_group is not None:
                living = (self.residents[r] for r in self._living.get(house.house_id, ()))
                return any(q.key_group in r.key_groups for r in living)
            return True

        houses, examined = _page(keys.after(q.after), q.limit, self.houses.get, keep)
        return Found([self.summary(h) for h in houses], QueryPlan(index, examined, len(houses)))

    def map_page(  # noqa: PLR0912 - houses and places, area or zone
        self, q: MapQuery, zone_boundary: Polygon | None
    ) -> Found[MapFeature]:
        """R-POP-7: features inside an area (cells covering it, then the exact test), or in a zone
        (its boundary polygon when known, else its houses and places by zone)."""
        area = q.area if q.area is not None else zone_boundary
        candidates: list[str] = []
        if area is not None:
            index = "cells"
            if cell_count(area) > 0:
                for cell in cells_covering(area):
                    if q.houses:
                        candidates += (f"house/{h}" for h in self._house_cells.get(cell, ()))
                    if q.places:
                        candidates += (f"place/{p}" for p in self._place_cells.get(cell, ()))
        else:
            index = "houses_by_zone"
            if q.houses:
                candidates += (
                    f"house/{h}" for h in self._houses_by_zone.get(q.zone_code, SortedKeys()).after("")
                )
            if q.places:
                candidates += (
                    f"place/{p}" for p in self._places_by_zone.get(q.zone_code, SortedKeys()).after("")
                )
        candidates.sort()
        features: list[MapFeature] = []
        examined = 0
        for key in candidates:
            if q.after and key <= q.after:
                continue
            examined += 1
            kind, _, ident = key.partition("/")
            if kind == "house":
                house = self.houses[ident]
                if area is not None and not area.contains(house.location):
                    continue
                if q.key_groups and not any(
                    q.key_groups & set(self.residents[r].key_groups) for r in self._living.get(ident, ())
                ):
                    continue
                features.append(MapFeature(key, house=self.summary(house)))
            else:
                place = self.places[ident]
                if area is not None and not area.contains(place.location):
                    continue
                if q.place_kinds and place.kind not in q.place_kinds:
                    continue
                features.append(MapFeature(key, place=place))
            if len(features) == q.limit:
                break
        return Found(features, QueryPlan(index, examined, len(features)))

    # ── residents ──────────────────────────────────────────────────────────────────────────────

    def by_identity(self, id_number: str) -> Resident | None:
        found = self._by_identity.get(id_number)
        return self.residents.get(found) if found else None

    def residents_page(self, q: ResidentQuery) -> Found[Resident]:
        """Pick the narrowest index for the query, post-filter the rest (counted as examined)."""
        keys: Iterable[str]
        if q.house_id:
            index = "residents_by_house"
            keys = sorted(
                self._of_house.get(q.house_id, ())
                if q.include_moved_out
                else self._living.get(q.house_id, ())
            )
            keys = (k for k in keys if k > q.after)
        elif q.phone:
            index, keys = (
                "residents_by_phone",
                sorted(k for k in self._by_phone.get(q.phone, ()) if k > q.after),
            )
        elif q.name:
            index, keys = "residents_by_name", self._by_name.get(q.name, SortedKeys()).after(q.after)
        elif q.name_prefix:
            index = "residents_by_name_prefix"
            after = q.after if q.after.startswith(q.name_prefix) else ""
            keys = (
                k.rpartition("\x00")[2]
                for k in self._names.between(q.name_prefix, q.name_prefix + _END, after)
            )
        else:
            index, list_key = self._list_for(q)
            keys = self._lists.get(list_key, SortedKeys()).after(q.after)

        def keep(r: Resident) -> bool:
            if not q.include_moved_out and not r.living:
                return False
            zone = self.houses[r.house_id].zone_code if r.house_id in self.houses else ""
            return (
                (not q.zone_code or zone == q.zone_code)
                and (q.category is None or r.category is q.category)
                and (q.key_group is None or q.key_group in r.key_groups)
                and (not q.separated_only or r.separated)
                and (not q.name or r.name == q.name)
                and (not q.name_prefix or r.name.startswith(q.name_prefix))
            )

        found, examined = _page(keys, q.limit, self.residents.get, keep)
        return Found(found, QueryPlan(index, examined, len(found)))

    def _list_for(self, q: ResidentQuery) -> tuple[str, tuple[str, ...]]:
        z = q.zone_code
        options: list[tuple[str, tuple[str, ...]]] = []
        if z and q.category is not None:
            options.append(("residents_by_zone_category", ("zcat", z, q.category.value)))
        if z and q.key_group is not None:
            options.append(("residents_by_zone_key_group", ("zkg", z, q.key_group.value)))
        if z and q.separated_only:
            options.append(("residents_by_zone_separated", ("zsep", z)))
        if z:
            options.append(("residents_by_zone", ("zone", z)))
        if q.key_group is not None:
            options.append(("residents_by_key_group", ("kg", q.key_group.value)))
        if q.category is not None:
            options.append(("residents_by_category", ("cat", q.category.value)))
        if q.separated_only:
            options.append(("residents_separated", ("sep",)))
        if not options:
            return "residents", ("all",)
        return min(options, key=lambda o: len(self._lists.get(o[1], SortedKeys())))

    def registered_elsewhere(self, house_id: str) -> list[Resident]:
        found = (self.residents[r] for r in self._registered_at.get(house_id, ()))
        return sorted((r for r in found if r.living and r.house_id != house_id), key=lambda r: r.resident_id)

    def living_in(self, house_id: str) -> list[Resident]:
        return sorted(
            (self.residents[r] for r in self._living.get(house_id, ())), key=lambda r: r.resident_id
        )

    def reviews_due(self, on: date) -> list[Resident]:
        found = (self.residents[r] for r in self._tagged)
        return sorted(
            (r for r in found if r.living and any(t.review_date < on for t in r.tags)),
            key=lambda r: r.resident_id,
        )

    # ── places, inspections, records, visits ───────────────────────────────────────────────────

    def places_page(self, q: PlaceQuery) -> Found[Place]:
        index, keys = (
            ("places_by_zone", self._places_by_zone.get(q.zone_code, SortedKeys()))
            if q.zone_code
            else ("places", self._all_places)
        )

        def keep(p: Place) -> bool:
            return (q.kind is None or p.kind is q.kind) and (q.due_by is None or p.due_date() <= q.due_by)

        found, examined = _page(keys.after(q.after), q.limit, self.places.get, keep)
        return Found(found, QueryPlan(index, examined, len(found)))

    def inspections_page(self, q: InspectionQuery) -> Found[Inspection]:
        index, keys = (
            ("inspections_by_place", self._inspections_by_place.get(q.place_id, SortedKeys()))
            if q.place_id
            else ("inspections", self._all_inspections)
        )
        table = self.store[Inspection]

        def get(key: str) -> Inspection | None:
            return table.get(key.rpartition("|")[2])  # type: ignore[return-value]

        def keep(i: Inspection) -> bool:
            return (
                (not q.zone_code or i.zone_code == q.zone_code)
                and (q.result is None or i.result is q.result)
                and (q.start is None or i.inspected_on >= q.start)
                and (q.end is None or i.inspected_on <= q.end)
            )

        found, examined = _page(keys.before(q.before), q.limit, get, keep)
        return Found(found, QueryPlan(index, examined, len(found)))

    def records_page(self, q: RecordQuery) -> Found[InformationRecord]:
        table = self.store[InformationRecord]

        def get(key: str) -> InformationRecord | None:
            return table.get(key.rpartition("|")[2])  # type: ignore[return-value]

        def keep(r: InformationRecord) -> bool:
            return (
                (q.colour is None or r.colour is q.colour)
                and (q.category is None or r.category is q.category)
                and (q.stage is None or r.stage is q.stage)
                and (not q.zone_code or r.zone_code == q.zone_code)
                and (not q.house_id or r.house_id == q.house_id)
                and (not q.resident_id or r.resident_id == q.resident_id)
                and (not q.place_id or r.place_id == q.place_id)
                and (not q.collector_id or r.collector_id == q.collector_id)
            )

        found, examined = _page(self._all_records.before(q.before), q.limit, get, keep)
        return Found(found, QueryPlan("records", examined, len(found)))

    def visits_of(self, officer_id: str, week_start: date) -> list[Visit]:
        table = self.store[Visit]
        return sorted(
            (table[v] for v in self._visits.get((officer_id, week_start), ())),  # type: ignore[misc]
            key=lambda v: v.visit_id,
        )

    # ── counts, audit ──────────────────────────────────────────────────────────────────────────

    def tally(self, zone_code: str) -> ZoneTally:
        t = self._tallies.get(zone_code, _Tally())
        return ZoneTally(
            zone_code,
            t.actual,
            {c: n for c, n in t.categories.items() if n},
            {g: n for g, n in t.key_groups.items() if n},
            t.houses,
            t.rental,
            t.separated,
        )

    def tallied_zones(self) -> list[str]:
        published = self.store[PublishedZonePopulation]
        return sorted({*(z for z, t in self._tallies.items() if t.houses or t.actual), *published})

    def audit_page(self, q: AuditQuery) -> Found[AuditEntry]:
        if q.reader_id:
            index, sequences = "audit_by_reader", self._audit_by_reader.get(q.reader_id, [])
        elif q.resident_id:
            index, sequences = "audit_by_resident", self._audit_by_resident.get(q.resident_id, [])
        else:
            index, sequences = "audit", sorted(self.audit)
        found: list[AuditEntry] = []
        examined = 0
        for sequence in reversed(sequences):
            if q.before and sequence >= q.before:
                continue
            examined += 1
            entry = self.audit[sequence]
            read = entry.read
            if q.resident_id and q.resident_id not in read.resident_ids:
                continue
            if q.reader_id and read.reader_id != q.reader_id:
                continue
            if q.start is not None and read.read_at < q.start:
                continue
            if q.end is not None and read.read_at > q.end:
                continue
            found.append(entry)
            if len(found) == q.limit:
                break
        return Found(found, QueryPlan(index, examined, len(found)))

    def audit_head(self) -> AuditEntry | None:
        return self.audit.get(self._audit_head)


def _page(
    keys: Iterable[str], limit: int, get: Callable[[str], T | None], keep: Callable[[T], bool]
) -> tuple[list[T], int]:
    found: list[T] = []
    examined = 0
    for key in keys:
        examined += 1
        item = get(key)
        if item is not None and keep(item):
            found.append(item)
            if len(found) == limit:
                break
    return found, examined


def time_key(at: datetime | None, ident: str) -> str:
    """Newest-first lists: the page token is ``<ISO time>|<id>``."""
    return f"{at.isoformat() if at else ''}|{ident}"

"""Use cases of houses (R-POP-1, R-POP-7): register, change, read, list."""

from __future__ import annotations

from dataclasses import replace

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.errors import AlreadyExists, NotFound, Validator
from jingwu_platform.paging import page_limit
from jingwu_platform.shared_kernel import check_geo_point, check_zone_code
from jingwu_platform.usecase import UseCaseKit, retry_on_conflict

from jingwu_population.adapters.proto_mapping import bare_house_to_proto
from jingwu_population.application.context import actor
from jingwu_population.application.ports import (
    Change,
    HouseQuery,
    Houses,
    HouseSummary,
    Residents,
    UnitOfWork,
)
from jingwu_population.domain.address import address_key, normalise_address, parse_address
from jingwu_population.domain.geo import GeoPoint
from jingwu_population.domain.people import House, HouseKind, Resident
from jingwu_population.domain.registration import HouseDraft, check_house, new_house

# UpdateHouse's paths (update_mask) → what they change.
HOUSE_FIELDS = ("standard_address", "location", "zone_code", "village_id", "rental", "kind", "address_code")


class HouseApplication:
    def __init__(self, kit: UseCaseKit, store: UnitOfWork, houses: Houses, residents: Residents) -> None:
        self._kit = kit
        self._store = store
        self._houses = houses
        self._residents = residents

    async def register(self, draft: HouseDraft, caller: Caller) -> HouseSummary:
        """A house at a standard address; its id is the address's, so the same address (in any
        spelling) registered again is the same house (R-POP-1)."""
        v = Validator()
        check_house(v, draft, self._kit.district)
        v.raise_if_any()
        existing = await self._houses.house_at(draft.address)
        if existing is not None:
            if existing.zone_code == draft.zone_code and existing.location == draft.location:
                return await self.summary(existing.house_id)
            raise AlreadyExists("house at", existing.address)
        house_id = self._kit.ids.stable("house", address_key(draft.address))
        house = new_house(draft, house_id=house_id, at=self._kit.now(), by=actor(caller))
        registered = self._kit.events(
            events.HouseRegistered(
                district_code=self._kit.district,
                house=bare_house_to_proto(house),
                occur_time=self._kit.events.occur_time(),
            ),
            key=house_id,
        )
        if await self._store.commit(Change((house,), (registered,))) is None:
            return await self.summary(house_id)  # registered by a concurrent repeat
        return await self.summary(house_id)

    async def summary(self, house_id: str) -> HouseSummary:
        found = await self._houses.house_summary(house_id)
        if found is None:
            raise NotFound("house", house_id)
        return found

    async def update(
        self, house_id: str, changes: dict[str, object], paths: list[str], caller: Caller
    ) -> HouseSummary:
        v = Validator()
        unknown = [p for p in paths if p not in HOUSE_FIELDS]
        for p in unknown:
            v.add("update_mask", f"{p!r} cannot be changed here (one of: {', '.join(HOUSE_FIELDS)})")
        v.check(bool(paths), "update_mask", "name the fields to change")
        if "standard_address" in paths:
            text = str(changes.get("standard_address", ""))
            v.check(bool(text.strip()), "house.standard_address", "is required")
        if "location" in paths:
            point = changes.get("location")
            assert isinstance(point, GeoPoint)
            check_geo_point(v, "house.location", point.longitude, point.latitude)
        if "zone_code" in paths:
            check_zone_code(v, "house.zone_code", str(changes.get("zone_code", "")), self._kit.district)
        v.raise_if_any()

        async def attempt() -> HouseSummary | None:
            house = await self._houses.house(house_id)
            if house is None:
                raise NotFound("house", house_id)
            updated = house
            if "standard_address" in paths:
                address = normalise_address(str(changes["standard_address"]))
                other = await self._houses.house_at(address)
                if other is not None and other.house_id != house_id:
                    raise AlreadyExists("house at", address)
                updated = replace(updated, address=address, parts=parse_address(address))
            if "location" in paths:
                location = changes["location"]
                assert isinstance(location, GeoPoint)
                updated = replace(updated, location=location)
            if "zone_code" in paths:
                updated = replace(updated, zone_code=str(changes["zone_code"]))
            if "village_id" in paths:
                updated = replace(updated, village_id=str(changes["village_id"]))
            if "kind" in paths and isinstance(changes.get("kind"), HouseKind):
                kind = changes["kind"]
                assert isinstance(kind, HouseKind)
                updated = replace(updated, kind=kind)
            elif "rental" in paths:
                rental = bool(changes.get("rental"))
                if rental != updated.rental:
                    updated = replace(updated, kind=HouseKind.RENTAL if rental else HouseKind.RESIDENTIAL)
            if "address_code" in paths:
                updated = replace(updated, address_code=str(changes.get("address_code", "")))
            changed = [p for p in paths if _differs(house, updated, p)]
            if not changed:
                return await self.summary(house_id)
            updated = replace(updated, updated_by=actor(caller), updated_at=self._kit.now())
            event = self._kit.events(
                events.HouseUpdated(
                    district_code=self._kit.district,
                    house=bare_house_to_proto(updated),
                    changed_fields=changed,
                    occur_time=self._kit.events.occur_time(),
                ),
                key=house_id,
            )
            writes: list[House | Resident] = [updated]
            if await self._store.commit(Change(tuple(writes), (event,))) is None:
                return None
            return await self.summary(house_id)

        return await retry_on_conflict(attempt, f"house {house_id}")

    async def list_houses(self, query: HouseQuery) -> tuple[list[HouseSummary], str]:
        limit = page_limit(query.limit)
        found = await self._houses.houses(replace(query, limit=limit))
        token = found.items[-1].house.house_id if len(found.items) == limit else ""
        return found.items, token


def _differs(old: House, new: House, path: str) -> bool:
    attribute = {"standard_address": "address", "rental": "kind"}.get(path, path)
    return bool(getattr(old, attribute) != getattr(new, attribute))

"""Use cases of residents (R-POP-1, R-POP-2): move in and out with history, change, re-categorise,
read. Reads return domain residents; what the caller may see of them is decided by the audit use
case (R-POP-6)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from jingwu.population.v1 import events_pb2 as events
from jingwu_platform.auth import Caller
from jingwu_platform.calendar import add_months
from jingwu_platform.errors import FieldViolation, NotFound, RuleViolation, ValidationFailed, Validator
from jingwu_platform.paging import page_limit
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.usecase import Outgoing, UseCaseKit, retry_on_conflict

from jingwu_population.adapters.proto_mapping import CATEGORY, KEY_GROUP, STATUS
from jingwu_population.application.context import PopulationPolicy, actor
from jingwu_population.application.ports import Change, Houses, ResidentQuery, Residents, UnitOfWork
from jingwu_population.domain.address import normalise_address
from jingwu_population.domain.identity import check_identity_number, normalise_identity_number
from jingwu_population.domain.people import (
    Category,
    House,
    KeyGroup,
    Relation,
    Resident,
    ResidentStatus,
    is_separated,
    moved_in,
    moved_out,
)
from jingwu_population.domain.registration import (
    ResidentDraft,
    TagDraft,
    check_name,
    check_phone,
    check_resident,
    check_tags,
    clean_name,
    new_resident,
    tags_from,
)

RESIDENT_FIELDS = ("name", "id_number", "phone", "birth_date", "relation", "registered_address", "situation")


class ResidentApplication:
    def __init__(
        self,
        kit: UseCaseKit,
        policy: PopulationPolicy,
        store: UnitOfWork,
        houses: Houses,
        residents: Residents,
    ) -> None:
        self._kit = kit
        self._policy = policy
        self._store = store
        self._houses = houses
        self._residents = residents

    def default_tags(self, groups: tuple[KeyGroup, ...], reason: str, caller: Caller) -> tuple[TagDraft, ...]:
        """R-POP-2: key groups given without tags get the caller as owner and the policy's review date."""
        review = add_months(self._kit.today(), self._policy.key_group_review_months)
        return tuple(TagDraft(g, reason or "登记", caller.subject, review) for g in dict.fromkeys(groups))

    async def _house(self, house_id: str, field: str = "house_id") -> House:
        if not house_id:
            raise ValidationFailed([FieldViolation(field, "is required")])
        house = await self._houses.house(house_id)
        if house is None:
            raise NotFound("house", house_id)
        return house

    async def _registered_house(self, registered_address: str, category: Category, house: House) -> str:
        if registered_address:
            found = await self._houses.house_at(registered_address)
            return found.house_id if found else ""
        return house.house_id if category in (Category.REGISTERED, Category.LODGED) else ""

    async def _household_for(self, house: House, relation: Relation, resident_id: str, asked: str) -> str:
        living = await self._residents.living_in(house.house_id)
        households = sorted({r.household_id for r in living if r.resident_id != resident_id})
        if asked:
            if asked not in households:
                raise ValidationFailed(
                    [FieldViolation("household_id", f"house {house.house_id} has no household {asked}")]
                )
            return asked
        if relation is Relation.HOUSEHOLDER or not households:
            return self._kit.ids.stable("household", house.house_id, resident_id)
        return households[0]

    def _moved_in_event(self, resident: Resident, house: House, previous_house_id: str) -> Outgoing:
        return self._kit.events(
            events.ResidentMovedIn(
                district_code=self._kit.district,
                resident_id=resident.resident_id,
                house_id=house.house_id,
                zone_code=house.zone_code,
                previous_house_id=previous_house_id,
                category=CATEGORY.to_proto(resident.category),
                key_groups=[KEY_GROUP.to_proto(g) for g in resident.key_groups],
                residence_separated=resident.separated,
                move_in_date=local_date_to_proto(resident.move_in_date),
                occur_time=self._kit.events.occur_time(),
            ),
            key=resident.resident_id,
        )

    async def move_in(
        self, house_id: str, resident_id: str, draft: ResidentDraft, caller: Caller
    ) -> Resident:
        """R-POP-1: a person moves into a house: a known resident (by id, or matched by identity
        number) moves here from where they lived, or a new resident is registered here."""
        house = await self._house(house_id)
        if resident_id:
            known = await self._residents.resident(resident_id)
            if known is None:
                raise NotFound("resident", resident_id)
            return await self._move(known, house, draft, caller)
        v = Validator()
        check_resident(v, draft, today=self._kit.today())
        v.raise_if_any()
        number = normalise_identity_number(draft.id_number)
        known = await self._residents.resident_by_identity(number)
        if known is not None:
            return await self._move(known, house, draft, caller)
        new_id = self._kit.ids.stable("resident", number)
        assert draft.relation is not None and draft.category is not None

        async def attempt() -> Resident | None:
            household = await self._household_for(
                house, draft.relation or Relation.OTHER_RELATIVE, new_id, draft.household_id
            )
            registered = await self._registered_house(
                draft.registered_address, draft.category or Category.FLOATING, house
            )
            resident = new_resident(
                draft,
                resident_id=new_id,
                house=house,
                household_id=household,
                registered_house_id=registered,
                at=self._kit.now(),
                by=actor(caller),
            )
            stored = await self._store.commit(
                Change((resident,), (self._moved_in_event(resident, house, ""),))
            )
            if stored is None:
                again = await self._residents.resident(new_id)
                if again is not None and again.living and again.house_id == house.house_id:
                    return again  # a repeat of this request got there first
                return None
            result = stored[0]
            assert isinstance(result, Resident)
            return result

        return await retry_on_conflict(attempt, f"resident {new_id}")

    async def _move(self, known: Resident, house: House, draft: ResidentDraft, caller: Caller) -> Resident:
        if known.living and known.house_id == house.house_id:
            return known  # already living here: a repeated request changes nothing

        async def attempt() -> Resident | None:
            resident = await self._residents.resident(known.resident_id)
            assert resident is not None
            if resident.living and resident.house_id == house.house_id:
                return resident
            previous = resident.house_id if resident.living else ""
            today = self._kit.today()
            moving = (
                moved_out(
                    resident,
                    move_out_date=draft.move_in_date or today,
                    destination=house.address,
                    status=ResidentStatus.MOVED_OUT,
                )
                if resident.living
                else resident
            )
            relation = draft.relation or moving.relation
            household = await self._household_for(house, relation, resident.resident_id, draft.household_id)
            arrived = moved_in(moving, house=house, move_in_date=draft.move_in_date or today)
            arrived = replace(
                arrived,
                household_id=household,
                relation=relation,
                separated=_separated(arrived, house),
                updated_by=actor(caller),
                updated_at=self._kit.now(),
            )
            outgoing = [self._moved_in_event(arrived, house, previous)]
            if previous:
                left = await self._houses.house(previous)
                outgoing.insert(0, self._moved_out_event(moving, left.zone_code if left else "", previous))
            stored = await self._store.commit(Change((arrived,), tuple(outgoing)))
            if stored is None:
                return None
            result = stored[0]
            assert isinstance(result, Resident)
            return result

        return await retry_on_conflict(attempt, f"resident {known.resident_id}")

    def _moved_out_event(self, resident: Resident, zone_code: str, house_id: str) -> Outgoing:
        return self._kit.events(
            events.ResidentMovedOut(
                district_code=self._kit.district,
                resident_id=resident.resident_id,
                house_id=house_id,
                zone_code=zone_code,
                status=STATUS.to_proto(resident.status),
                move_out_date=local_date_to_proto(resident.move_out_date),
                occur_time=self._kit.events.occur_time(),
            ),
            key=resident.resident_id,
        )

    async def move_out(
        self,
        resident_id: str,
        move_out_date: date | None,
        destination: str,
        status: ResidentStatus | None,
        caller: Caller,
    ) -> Resident:
        day = move_out_date or self._kit.today()
        v = Validator()
        v.check(day <= self._kit.today(), "move_out_date", "must not be in the future")
        v.check(
            status is not ResidentStatus.LIVING, "status", "a resident moving out is moved out or deceased"
        )
        v.check(len(destination) <= 200, "destination", "must be at most 200 characters")
        v.raise_if_any()

        async def attempt() -> Resident | None:
            resident = await self._residents.resident(resident_id)
            if resident is None:
                raise NotFound("resident", resident_id)
            if not resident.living:
                return resident  # moved out already: a repeat changes nothing
            if resident.move_in_date and day < resident.move_in_date:
                raise RuleViolation(
                    "R-POP-1", resident_id, f"moves out {day} before moving in {resident.move_in_date}"
                )
            house = await self._houses.house(resident.house_id)
            left = moved_out(
                resident,
                move_out_date=day,
                destination=destination,
                status=status or ResidentStatus.MOVED_OUT,
            )
            left = replace(left, updated_by=actor(caller), updated_at=self._kit.now())
            event = self._moved_out_event(left, house.zone_code if house else "", resident.house_id)
            stored = await self._store.commit(Change((left,), (event,)))
            if stored is None:
                return None
            result = stored[0]
            assert isinstance(result, Resident)
            return result

        return await retry_on_conflict(attempt, f"resident {resident_id}")

    async def update(  # noqa: PLR0915 - one branch per changeable field
        self, resident_id: str, values: dict[str, object], paths: list[str], caller: Caller
    ) -> Resident:
        v = Validator()
        for p in paths:
            if p not in RESIDENT_FIELDS:
                v.add("update_mask", f"{p!r} cannot be changed here (one of: {', '.join(RESIDENT_FIELDS)})")
        v.check(bool(paths), "update_mask", "name the fields to change")
        today = self._kit.today()
        if "name" in paths:
            check_name(v, "resident.name", clean_name(str(values.get("name", ""))))
        if "id_number" in paths:
            number = normalise_identity_number(str(values.get("id_number", "")))
            if v.check(bool(number), "resident.id_number", "is required"):
                check_identity_number(v, "resident.id_number", number, today=today)
        if "phone" in paths:
            check_phone(v, "resident.phone", str(values.get("phone", "")))
        v.raise_if_any()

        async def attempt() -> Resident | None:
            resident = await self._residents.resident(resident_id)
            if resident is None:
                raise NotFound("resident", resident_id)
            updated = resident
            if "id_number" in paths:
                number = normalise_identity_number(str(values["id_number"]))
                other = await self._residents.resident_by_identity(number)
                if other is not None and other.resident_id != resident_id:
                    raise ValidationFailed(
                        [FieldViolation("resident.id_number", "is another resident's identity number")]
                    )
                updated = replace(updated, id_number=number)
            if "name" in paths:
                updated = replace(updated, name=clean_name(str(values["name"])))
            if "phone" in paths:
                updated = replace(updated, phone=str(values["phone"]).strip())
            if "birth_date" in paths:
                born = values.get("birth_date")
                updated = replace(updated, birth_date=born if isinstance(born, date) else None)
            if "relation" in paths and isinstance(values.get("relation"), Relation):
                relation = values["relation"]
                assert isinstance(relation, Relation)
                updated = replace(updated, relation=relation)
            if "situation" in paths:
                updated = replace(updated, situation=str(values.get("situation", "")))
            if "registered_address" in paths:
                text = str(values.get("registered_address", ""))
                registered = normalise_address(text) if text else ""
                house = await self._houses.house(updated.house_id)
                assert house is not None
                updated = replace(
                    updated,
                    registered_address=registered,
                    registered_house_id=await self._registered_house(registered, updated.category, house),
                )
            house = await self._houses.house(updated.house_id)
            if house is not None:
                updated = replace(updated, separated=_separated(updated, house))
            if updated == resident:
                return resident
            updated = replace(updated, updated_by=actor(caller), updated_at=self._kit.now())
            stored = await self._store.commit(Change((updated,)))
            if stored is None:
                return None
            result = stored[0]
            assert isinstance(result, Resident)
            return result

        return await retry_on_conflict(attempt, f"resident {resident_id}")

    async def change_category(
        self,
        resident_id: str,
        category: Category | None,
        tags: tuple[TagDraft, ...],
        reason: str,
        caller: Caller,
    ) -> Resident:
        """R-POP-2: category and the full set of key-group tags, each with reason, owner, review date."""
        v = Validator()
        v.check(category is not None, "category", "is required (R-POP-2)")
        v.check(len(reason) <= 500, "reason", "must be at most 500 characters")
        check_tags(v, "key_group_tags", tags, self._kit.today())
        v.raise_if_any()
        assert category is not None

        async def attempt() -> Resident | None:
            resident = await self._residents.resident(resident_id)
            if resident is None:
                raise NotFound("resident", resident_id)
            kept = {(t.key_group, t.reason, t.owner_id, t.review_date): t for t in resident.tags}
            fresh = tags_from(tags, by=actor(caller), at=self._kit.now())
            new_tags = tuple(kept.get((t.key_group, t.reason, t.owner_id, t.review_date), t) for t in fresh)
            if resident.category is category and resident.tags == new_tags:
                return resident
            house = await self._houses.house(resident.house_id)
            changed = replace(
                resident,
                category=category,
                tags=new_tags,
                updated_by=actor(caller),
                updated_at=self._kit.now(),
            )
            if house is not None:
                changed = replace(changed, separated=_separated(changed, house))
            event = self._kit.events(
                events.ResidentCategoryChanged(
                    district_code=self._kit.district,
                    resident_id=resident_id,
                    house_id=resident.house_id,
                    zone_code=house.zone_code if house else "",
                    previous_category=CATEGORY.to_proto(resident.category),
                    category=CATEGORY.to_proto(category),
                    previous_key_groups=[KEY_GROUP.to_proto(g) for g in resident.key_groups],
                    key_groups=[KEY_GROUP.to_proto(g) for g in changed.key_groups],
                    reason=reason,
                    occur_time=self._kit.events.occur_time(),
                ),
                key=resident_id,
            )
            stored = await self._store.commit(Change((changed,), (event,)))
            if stored is None:
                return None
            result = stored[0]
            assert isinstance(result, Resident)
            return result

        return await retry_on_conflict(attempt, f"resident {resident_id}")

    # ── reads ──

    async def get(self, resident_id: str) -> Resident:
        resident = await self._residents.resident(resident_id)
        if resident is None:
            raise NotFound("resident", resident_id)
        return resident

    async def zone_of(self, resident: Resident) -> str:
        house = await self._houses.house(resident.house_id)
        return house.zone_code if house else ""

    async def list_residents(self, query: ResidentQuery) -> tuple[list[Resident], str]:
        v = Validator()
        v.check(not query.include_moved_out or bool(query.house_id), "include_moved_out", "needs house_id")
        v.raise_if_any()
        limit = page_limit(query.limit)
        found = await self._residents.residents(replace(query, limit=limit))
        return found.items, _token(found.items, limit, query)

    async def search(
        self, *, name: str, id_number: str, phone: str, limit: int, after: str
    ) -> tuple[list[Resident], str]:
        """By identity number (exact), phone (exact) or name (exact, or prefix with a trailing *)."""
        v = Validator()
        v.check(bool(name or id_number or phone), "name", "give a name, an identity number or a phone number")
        v.raise_if_any()
        if id_number:
            found = await self._residents.resident_by_identity(normalise_identity_number(id_number))
            return ([found] if found is not None else []), ""
        limit = page_limit(limit)
        query = ResidentQuery(phone=phone.strip(), limit=limit, after=after)
        if not phone:
            cleaned = clean_name(name)
            query = (
                ResidentQuery(name_prefix=cleaned[:-1], limit=limit, after=after)
                if cleaned.endswith("*")
                else ResidentQuery(name=cleaned, limit=limit, after=after)
            )
        page = await self._residents.residents(query)
        return page.items, _token(page.items, limit, query)


def _token(items: list[Resident], limit: int, query: ResidentQuery) -> str:
    if len(items) < limit or not items:
        return ""
    last = items[-1]
    return f"{last.name}\x00{last.resident_id}" if query.name_prefix else last.resident_id


def _separated(resident: Resident, house: House) -> bool:
    return is_separated(
        category=resident.category,
        house_id=house.house_id,
        house_address=house.address,
        registered_house_id=resident.registered_house_id,
        registered_key=resident.registered_address,
    )

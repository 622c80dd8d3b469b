"""gRPC methods of houses, residents and personal-data audit (R-POP-1, R-POP-2, R-POP-6): translate, call
the use case, decide what may be shown and audit it before answering."""
# ruff: noqa: N802 - gRPC method names are PascalCase

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from jingwu.population.v1 import population_pb2 as pb
from jingwu_platform.auth import Caller, current_caller
from jingwu_platform.grpc_server import Context

from jingwu_population.adapters.proto_mapping import (
    CATEGORY,
    GENDER,
    HOUSE_KIND,
    KEY_GROUP,
    RELATION,
    STATUS,
    audit_to_proto,
    house_to_proto,
    local_date,
    point_from_proto,
    resident_to_proto,
)
from jingwu_population.application.audit import AuditApplication
from jingwu_population.application.houses import HouseApplication
from jingwu_population.application.ports import AuditQuery, HouseQuery, ResidentQuery
from jingwu_population.application.residents import ResidentApplication
from jingwu_population.domain.people import HouseKind, KeyGroup, Resident
from jingwu_population.domain.privacy import AccessRequest, Disclosure, require_purpose
from jingwu_population.domain.registration import HouseDraft, ResidentDraft, TagDraft

SERVICE = "/jingwu.population.v1.PopulationService/"


def access_of(access: pb.PersonalDataAccess) -> AccessRequest:
    return AccessRequest(access.unmask, access.purpose, access.case_reference)


def tag_drafts(tags: Sequence[pb.KeyGroupTag]) -> tuple[TagDraft, ...]:
    return tuple(
        TagDraft(
            KEY_GROUP.from_proto(t.key_group),
            t.reason,
            t.owner_id,
            local_date(t.review_date) if t.review_date.year else None,
        )
        for t in tags
    )


def disclosed_fields(disclosure: Disclosure, residents: Sequence[Resident]) -> list[str]:
    """What of personal data a response about these residents shows (what the audit records)."""
    if not residents:
        return []
    fields = ["id_number", "phone"] if disclosure.identity else []
    if disclosure.key_groups and any(r.tags for r in residents):
        fields.append("key_groups")
    return fields


class PeopleRpcs:
    _houses: HouseApplication
    _residents: ResidentApplication
    _audit: AuditApplication

    async def _ready(self) -> None:
        raise NotImplementedError

    async def _shown(
        self, caller: Caller, method: str, disclosure: Disclosure, residents: Sequence[Resident]
    ) -> list[pb.Resident]:
        """The residents as this caller may see them; audited first when anything is unmasked."""
        fields = disclosed_fields(disclosure, residents)
        if fields:
            await self._audit.record(
                caller,
                SERVICE + method,
                disclosure,
                resident_ids=[r.resident_id for r in residents],
                fields=fields,
            )
        shown = Disclosure(disclosure.identity, disclosure.key_groups and "key_groups" in fields)
        return [resident_to_proto(r, await self._residents.zone_of(r), shown) for r in residents]

    async def RegisterHouse(
        self, request: pb.RegisterHouseRequest, context: Context
    ) -> pb.RegisterHouseResponse:
        await self._ready()
        draft = HouseDraft(
            address=request.standard_address,
            location=point_from_proto(request.location),
            zone_code=request.zone_code,
            village_id=request.village_id,
            kind=HOUSE_KIND.from_proto(request.kind) or (HouseKind.RENTAL if request.rental else None),
            address_code=request.address_code,
        )
        summary = await self._houses.register(draft, current_caller())
        return pb.RegisterHouseResponse(house=house_to_proto(summary))

    async def GetHouse(self, request: pb.GetHouseRequest, context: Context) -> pb.GetHouseResponse:
        await self._ready()
        caller = current_caller()
        disclosure = self._audit.disclosure(caller, access_of(request.access))
        summary = await self._houses.summary(request.house_id)
        living, _ = await self._residents.list_residents(
            ResidentQuery(house_id=request.house_id, include_moved_out=request.include_moved_out, limit=500)
        )
        elsewhere = await self._residents_elsewhere(request.house_id)
        shown = await self._shown(caller, "GetHouse", disclosure, [*living, *elsewhere])
        return pb.GetHouseResponse(
            house=house_to_proto(summary),
            residents=shown[: len(living)],
            registered_living_elsewhere=shown[len(living) :],
        )

    async def _residents_elsewhere(self, house_id: str) -> list[Resident]:
        return await self._residents._residents.registered_living_elsewhere(house_id)

    async def ListHouses(self, request: pb.ListHousesRequest, context: Context) -> pb.ListHousesResponse:
        await self._ready()
        houses, token = await self._houses.list_houses(
            HouseQuery(
                zone_code=request.zone_code,
                village_id=request.village_id,
                rental_only=request.rental_only,
                key_group=KEY_GROUP.from_proto(request.key_group),
                after=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        response = pb.ListHousesResponse(houses=[house_to_proto(h) for h in houses])
        response.page.next_page_token = token
        return response

    async def UpdateHouse(self, request: pb.UpdateHouseRequest, context: Context) -> pb.UpdateHouseResponse:
        await self._ready()
        house = request.house
        values: dict[str, object] = {
            "standard_address": house.standard_address,
            "location": point_from_proto(house.location),
            "zone_code": house.zone_code,
            "village_id": house.village_id,
            "rental": house.rental,
            "kind": HOUSE_KIND.from_proto(house.kind),
            "address_code": house.address_code,
        }
        summary = await self._houses.update(
            house.house_id, values, list(request.update_mask.paths), current_caller()
        )
        return pb.UpdateHouseResponse(house=house_to_proto(summary))

    async def MoveInResident(
        self, request: pb.MoveInResidentRequest, context: Context
    ) -> pb.MoveInResidentResponse:
        await self._ready()
        caller = current_caller()
        tags = tag_drafts(request.key_group_tags)
        if not tags and request.key_groups:
            groups = tuple(g for g in (KEY_GROUP.from_proto(k) for k in request.key_groups) if g is not None)
            tags = self._residents.default_tags(groups, "登记", caller)
        draft = ResidentDraft(
            name=request.name,
            id_number=request.id_number,
            phone=request.phone,
            gender=GENDER.from_proto(request.gender),
            birth_date=local_date(request.birth_date) if request.HasField("birth_date") else None,
            relation=RELATION.from_proto(request.relation),
            category=CATEGORY.from_proto(request.category),
            tags=tags,
            registered_address=request.registered_address,
            situation=request.situation,
            move_in_date=local_date(request.move_in_date) if request.HasField("move_in_date") else None,
            household_id=request.household_id,
        )
        resident = await self._residents.move_in(request.house_id, request.resident_id, draft, caller)
        return pb.MoveInResidentResponse(
            resident=resident_to_proto(resident, await self._residents.zone_of(resident))
        )

    async def MoveOutResident(
        self, request: pb.MoveOutResidentRequest, context: Context
    ) -> pb.MoveOutResidentResponse:
        await self._ready()
        resident = await self._residents.move_out(
            request.resident_id,
            local_date(request.move_out_date) if request.HasField("move_out_date") else None,
            request.destination,
            STATUS.from_proto(request.status),
            current_caller(),
        )
        return pb.MoveOutResidentResponse(
            resident=resident_to_proto(resident, await self._residents.zone_of(resident))
        )

    async def UpdateResident(
        self, request: pb.UpdateResidentRequest, context: Context
    ) -> pb.UpdateResidentResponse:
        await self._ready()
        r = request.resident
        values: dict[str, object] = {
            "name": r.name,
            "id_number": r.id_number,
            "phone": r.phone,
            "birth_date": local_date(r.birth_date) if r.HasField("birth_date") else None,
            "relation": RELATION.from_proto(r.relation),
            "registered_address": r.registered_address,
            "situation": r.situation,
        }
        resident = await self._residents.update(
            r.resident_id, values, list(request.update_mask.paths), current_caller()
        )
        return pb.UpdateResidentResponse(
            resident=resident_to_proto(resident, await self._residents.zone_of(resident))
        )

    async def ChangeResidentCategory(
        self, request: pb.ChangeResidentCategoryRequest, context: Context
    ) -> pb.ChangeResidentCategoryResponse:
        await self._ready()
        caller = current_caller()
        tags = tag_drafts(request.key_group_tags)
        if not tags and request.key_groups:
            groups: tuple[KeyGroup, ...] = tuple(
                g for g in (KEY_GROUP.from_proto(k) for k in request.key_groups) if g is not None
            )
            tags = self._residents.default_tags(groups, request.reason, caller)
        resident = await self._residents.change_category(
            request.resident_id, CATEGORY.from_proto(request.category), tags, request.reason, caller
        )
        shown = await self._shown(caller, "ChangeResidentCategory", Disclosure(False, True), [resident])
        return pb.ChangeResidentCategoryResponse(resident=shown[0])

    async def GetResident(self, request: pb.GetResidentRequest, context: Context) -> pb.GetResidentResponse:
        await self._ready()
        caller = current_caller()
        disclosure = self._audit.disclosure(caller, access_of(request.access))
        resident = await self._residents.get(request.resident_id)
        (shown,) = await self._shown(caller, "GetResident", disclosure, [resident])
        return pb.GetResidentResponse(resident=shown)

    async def ListResidents(
        self, request: pb.ListResidentsRequest, context: Context
    ) -> pb.ListResidentsResponse:
        await self._ready()
        caller = current_caller()
        disclosure = self._audit.disclosure(caller, access_of(request.access))
        residents, token = await self._residents.list_residents(
            ResidentQuery(
                house_id=request.house_id,
                zone_code=request.zone_code,
                category=CATEGORY.from_proto(request.category),
                key_group=KEY_GROUP.from_proto(request.key_group),
                separated_only=request.residence_separated_only,
                include_moved_out=request.include_moved_out,
                after=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        response = pb.ListResidentsResponse(
            residents=await self._shown(caller, "ListResidents", disclosure, residents)
        )
        response.page.next_page_token = token
        return response

    async def SearchResidents(
        self, request: pb.SearchResidentsRequest, context: Context
    ) -> pb.SearchResidentsResponse:
        """R-POP-6: a lookup by identity or phone number needs a purpose and is audited, even when the
        answer is masked."""
        await self._ready()
        caller = current_caller()
        access = access_of(request.access)
        by_number = bool(request.id_number or request.phone)
        if by_number:
            require_purpose(access)
        disclosure = self._audit.disclosure(caller, access)
        residents, token = await self._residents.search(
            name=request.name,
            id_number=request.id_number,
            phone=request.phone,
            limit=request.page.page_size,
            after=request.page.page_token,
        )
        fields = disclosed_fields(disclosure, residents)
        if by_number:
            searched = ["search:id_number"] if request.id_number else ["search:phone"]
            await self._audit.record(
                caller,
                SERVICE + "SearchResidents",
                disclosure,
                resident_ids=[r.resident_id for r in residents],
                fields=[*searched, *fields],
            )
            shown_as = Disclosure(disclosure.identity, disclosure.key_groups and "key_groups" in fields)
            shown = [resident_to_proto(r, await self._residents.zone_of(r), shown_as) for r in residents]
        else:
            shown = await self._shown(caller, "SearchResidents", disclosure, residents)
        response = pb.SearchResidentsResponse(residents=shown)
        response.page.next_page_token = token
        return response

    async def ListUnmaskedReads(
        self, request: pb.ListUnmaskedReadsRequest, context: Context
    ) -> pb.ListUnmaskedReadsResponse:
        await self._ready()
        entries, last = await self._audit.list_reads(
            AuditQuery(
                reader_id=request.reader_id,
                resident_id=request.resident_id,
                start=request.start_time.ToDatetime(tzinfo=UTC) if request.HasField("start_time") else None,
                end=request.end_time.ToDatetime(tzinfo=UTC) if request.HasField("end_time") else None,
                before=int(request.page.page_token) if request.page.page_token.isdigit() else 0,
                limit=request.page.page_size,
            )
        )
        response = pb.ListUnmaskedReadsResponse(unmasked_reads=[audit_to_proto(e) for e in entries])
        response.page.next_page_token = str(last) if last else ""
        return response

    async def VerifyUnmaskedReadChain(
        self, request: pb.VerifyUnmaskedReadChainRequest, context: Context
    ) -> pb.VerifyUnmaskedReadChainResponse:
        await self._ready()
        verdict = await self._audit.verify()
        return pb.VerifyUnmaskedReadChainResponse(
            entries_checked=verdict.checked,
            intact=verdict.intact,
            first_broken_sequence=verdict.first_broken,
            problem=verdict.problem,
        )

    async def ExportResidents(
        self, request: pb.ExportResidentsRequest, context: Context
    ) -> pb.ExportResidentsResponse:
        """R-POP-6: auditors only (declared), with a purpose, unmasked, audited."""
        await self._ready()
        caller = current_caller()
        disclosure = self._audit.export_disclosure(caller, access_of(request.access))
        residents, token = await self._residents.list_residents(
            ResidentQuery(
                zone_code=request.zone_code,
                category=CATEGORY.from_proto(request.category),
                key_group=KEY_GROUP.from_proto(request.key_group),
                after=request.page.page_token,
                limit=request.page.page_size,
            )
        )
        if residents:
            await self._audit.record(
                caller,
                SERVICE + "ExportResidents",
                disclosure,
                resident_ids=[r.resident_id for r in residents],
                fields=["export", "id_number", "phone", "key_groups"],
            )
        response = pb.ExportResidentsResponse(
            residents=[resident_to_proto(r, await self._residents.zone_of(r), disclosure) for r in residents]
        )
        response.page.next_page_token = token
        return response

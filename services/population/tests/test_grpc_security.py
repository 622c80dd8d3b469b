"""Personal data protection on the real stack (R-POP-6): other districts refused on every read RPC,
masking by role, an audit entry for every unmasked read, the chain verify detecting an edit made in the
store, bulk export for auditors only."""

from __future__ import annotations

import hashlib

import grpc
import pytest
from google.protobuf.message import Message
from jingwu.population.v1 import population_pb2 as pb
from jingwu_platform.auth import Role
from jingwu_platform.authz import READ
from jingwu_platform.testing import refused
from jingwu_population.adapters.store import JOURNAL, LOG
from jingwu_population.entrypoints.grpc_api import ACCESS

from .conftest import Population, import_rows, rows_for

pytestmark = pytest.mark.integration

READ_METHODS = sorted(name for name, access in ACCESS.rules.items() if access is READ)


async def test_another_districts_credential_is_refused_on_every_read_rpc(population: Population) -> None:
    """R-POP-6: only the owning district reads; every READ method, checked."""
    other = "99" if population.district != "99" else "98"
    foreign = population.stub(Role.PII_READER, Role.AUDITOR, Role.OFFICER, district=other)
    methods = {m.name: m for m in pb.DESCRIPTOR.services_by_name["PopulationService"].methods}
    assert len(READ_METHODS) >= 15
    for name in READ_METHODS:
        request: Message = _request_class(methods[name].input_type.full_name)()
        error = await refused(getattr(foreign, name)(request))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED, name
        assert f"district {other}" in (error.details() or ""), name


def _request_class(full_name: str) -> type[Message]:
    return getattr(pb, full_name.rsplit(".", 1)[-1])  # type: ignore[no-any-return]


async def test_masking_by_role_and_one_audit_entry_per_unmasked_read(population: Population) -> None:
    admin = population.stub(Role.DISTRICT_ADMIN)
    await import_rows(admin, rows_for(population.district, 12), hashlib.sha256(b"m").hexdigest())
    tagged = (
        await admin.ListResidents(pb.ListResidentsRequest(key_group=pb.KEY_GROUP_ELDERLY_ALONE))
    ).residents
    assert tagged, "the ledger has elderly residents living alone"
    resident_id = tagged[0].resident_id
    # District administrators: masked numbers, no key groups (the filter works, the tags are not shown).
    assert tagged[0].masked and tagged[0].key_groups_masked and not tagged[0].key_group_tags
    officer = population.stub(Role.OFFICER, subject="officer-7")
    seen = (await officer.GetResident(pb.GetResidentRequest(resident_id=resident_id))).resident
    assert seen.masked and "*" in seen.id_number and "*" in seen.phone
    assert list(seen.key_groups) == [pb.KEY_GROUP_ELDERLY_ALONE] and seen.key_group_tags[0].owner_id
    denied = await refused(
        officer.GetResident(
            pb.GetResidentRequest(
                resident_id=resident_id, access=pb.PersonalDataAccess(unmask=True, purpose="核查")
            )
        )
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED and "pii_reader" in (denied.details() or "")
    reader = population.stub(Role.PII_READER, subject="pii-7")
    unmasked = (
        await reader.GetResident(
            pb.GetResidentRequest(
                resident_id=resident_id,
                access=pb.PersonalDataAccess(unmask=True, purpose="案件核查", case_reference="A-12"),
            )
        )
    ).resident
    assert not unmasked.masked and len(unmasked.id_number) == 18 and "*" not in unmasked.id_number
    house = await reader.GetHouse(
        pb.GetHouseRequest(
            house_id=unmasked.house_id, access=pb.PersonalDataAccess(unmask=True, purpose="入户核查")
        )
    )
    assert all(not r.masked for r in house.residents)

    auditor = population.stub(Role.AUDITOR, subject="auditor-1")
    reads = (await auditor.ListUnmaskedReads(pb.ListUnmaskedReadsRequest())).unmasked_reads
    by_reader: dict[str, list[pb.UnmaskedRead]] = {}
    for read in reads:
        by_reader.setdefault(read.reader_id, []).append(read)
    # The officer's reads showed key groups (audited); the pii reader's two unmasked reads, newest first.
    assert [r.method.rsplit("/", 1)[-1] for r in by_reader["pii-7"]] == ["GetHouse", "GetResident"]
    assert by_reader["pii-7"][1].purpose == "案件核查" and by_reader["pii-7"][1].case_reference == "A-12"
    assert by_reader["pii-7"][1].resident_ids == [resident_id]
    assert "key_groups" in by_reader["officer-7"][0].fields
    for_resident = (
        await auditor.ListUnmaskedReads(pb.ListUnmaskedReadsRequest(resident_id=resident_id))
    ).unmasked_reads
    assert {r.reader_id for r in for_resident} >= {"pii-7", "officer-7"}
    refused_trail = await refused(officer.ListUnmaskedReads(pb.ListUnmaskedReadsRequest()))
    assert refused_trail.code() == grpc.StatusCode.PERMISSION_DENIED and "auditor" in (
        refused_trail.details() or ""
    )

    export = pb.ExportResidentsRequest(access=pb.PersonalDataAccess(unmask=True, purpose="年度普查"))
    for stub in (admin, reader, officer):
        error = await refused(stub.ExportResidents(export))
        assert error.code() == grpc.StatusCode.PERMISSION_DENIED and "auditor" in (error.details() or "")
    exported = await auditor.ExportResidents(export)
    assert len(exported.residents) == 12 and not exported.residents[0].masked
    last = (
        await auditor.ListUnmaskedReads(pb.ListUnmaskedReadsRequest(reader_id="auditor-1"))
    ).unmasked_reads[0]
    assert "export" in last.fields and len(last.resident_ids) == 12


async def test_verify_finds_an_entry_edited_in_the_store(population: Population) -> None:
    admin = population.stub(Role.DISTRICT_ADMIN)
    await import_rows(admin, rows_for(population.district, 3), hashlib.sha256(b"v").hexdigest())
    reader = population.stub(Role.PII_READER, subject="pii-9")
    resident = (await admin.ListResidents(pb.ListResidentsRequest())).residents[0]
    for purpose in ("一", "二", "三"):
        await reader.GetResident(
            pb.GetResidentRequest(
                resident_id=resident.resident_id, access=pb.PersonalDataAccess(unmask=True, purpose=purpose)
            )
        )
    auditor = population.stub(Role.AUDITOR)
    verdict = await auditor.VerifyUnmaskedReadChain(pb.VerifyUnmaskedReadChainRequest())
    assert verdict.intact and verdict.entries_checked == 3
    # Someone with access to the store changes the purpose of the second entry.
    database = population.process.store._db
    edited = False
    for name in (JOURNAL, LOG):
        async for document in database[name].find({}):
            for index, entry in enumerate(document.get("entities") or []):
                if entry["k"] == "audit" and entry["d"]["_id"] == 2:
                    await database[name].update_one(
                        {"_id": document["_id"]}, {"$set": {f"entities.{index}.d.read.purpose": "改过的用途"}}
                    )
                    edited = True
    assert edited
    broken = await auditor.VerifyUnmaskedReadChain(pb.VerifyUnmaskedReadChainRequest())
    assert (broken.intact, broken.first_broken_sequence) == (False, 2)
    assert "edited" in broken.problem

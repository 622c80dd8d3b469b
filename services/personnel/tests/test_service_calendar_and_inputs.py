"""On the real stack (Kafka, FerretDB, the personnel runtime in-process):

- a calendar rule firing on the running service: its own timer on an injected FakeClock (issue 7 item
  6) — the R-PER-7 rotation due date passes with nobody doing anything, and the daily run raises it;
- other services' events that assessment counts (R-PER-11 inputs): a callback's satisfaction
  (notification, R-NOT-3), a patrol day's evidence (patrol, R-PAT-6) and familiarisation visits
  (population, R-POP-5), published as those services do, end up in the month's evaluation.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.duration_pb2 import Duration
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu.patrol.v1 import patrol_pb2
from jingwu.personnel.v1 import personnel_pb2 as pb
from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.population.v1 import population_pb2
from jingwu_personnel.entrypoints.main import build_runtime
from jingwu_platform.auth import Role
from jingwu_platform.calendar import local_date, week_of
from jingwu_platform.grpc_client import open_channel
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.proto_values import local_date_to_proto
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import token_for, wait_until
from jingwu_platform.usecase import FakeClock

from conftest import started

from .service_support import (
    Personnel,
    auxiliary_request,
    findings,
    known,
    local,
    police_request,
    register,
    village_registered,
)


async def test_the_rotation_day_passes_and_the_services_own_timer_raises_it(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    channels: list[grpc.aio.Channel],
) -> None:
    # R-PER-7: a resident auxiliary rotates periodically; no command or event marks the day.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    settings = settings_for("personnel", district, schedule_poll_interval_s=0.05)
    runtime, consumer = build_runtime(settings, DistrictPolicy(), clock=clock)
    async with started(runtime) as port:
        token = token_for(auth_secret, district, Role.DISTRICT_ADMIN, subject="admin-1")
        channels.append(open_channel(f"127.0.0.1:{port}", token))
        admin = personnel_pb2_grpc.PersonnelServiceStub(channels[-1])
        service = Personnel(port, consumer, district, kafka_bootstrap, lambda *r, **k: admin)
        village_id = f"v-{uuid.uuid4().hex[:8]}"
        await service.publish(village_registered(district, village_id), key=village_id)
        get = pb.GetVillageAssignmentRequest(village_id=village_id)
        await known(service, lambda: admin.GetVillageAssignment(get), "village")
        aux = await register(admin, auxiliary_request("刘辅警"))
        today = local_date(clock.now())
        await admin.AssignResidentAuxiliary(
            pb.AssignResidentAuxiliaryRequest(
                village_id=village_id,
                officer_id=aux.officer_id,
                start_date=local(today),
                rotation_due=local(today + timedelta(days=1)),
            )
        )
        due = pb.STAFFING_FINDING_KIND_AUXILIARY_ROTATION_DUE
        assert await findings(admin, village_id=village_id, kind=due) == []

        clock.advance(days=2)  # past the rotation day and the next 01:15 run (entrypoints/schedules.py)

        async def raised() -> bool:
            return bool(await findings(admin, village_id=village_id, kind=due))

        await wait_until(raised, what="auxiliary-rotation run on the service's timer")
        (finding,) = await findings(admin, village_id=village_id, kind=due)
        assert (finding.officer_id, finding.rule_id) == (aux.officer_id, "R-PER-7")
        runs = runtime.mongo[f"jingwu_{district}"]["platform.schedule_runs"]
        record = await runs.find_one({"schedule": "auxiliary-rotation", "outcome": "succeeded"})
        assert record is not None and record["rule_id"] == "R-PER-7"


async def test_other_services_reports_count_in_the_months_evaluation(personnel: Personnel) -> None:
    admin, district = personnel.admin, personnel.district
    cop = await register(admin, police_request("巡逻民警"))
    now = datetime.now(UTC)
    today = local_date(now)
    matter = f"m-{uuid.uuid4().hex[:6]}"
    await personnel.publish(
        notification_events.CallbackSatisfactionRated(
            district_code=district, matter_id=matter, officer_id=cop.officer_id, rating=4, score=75.0
        ),
        key=cop.officer_id,
        domain="notification",
    )
    evidence_id = f"veh-{uuid.uuid4().hex[:6]}/{today.isoformat()}"
    await personnel.publish(
        patrol_events.PatrolEvidenceComputed(
            district_code=district,
            evidence=patrol_pb2.PatrolEvidence(
                evidence_id=evidence_id,
                date=local_date_to_proto(today),
                officer_ids=[cop.officer_id],
                compliance_ratio=0.8,
                time_in_zone=Duration(seconds=5400),
                revision=1,
            ),
        ),
        key=evidence_id,
        domain="patrol",
    )
    week = week_of(today)
    await personnel.publish(
        population_events.FamiliarisationVisitRecorded(
            district_code=district,
            visit=population_pb2.FamiliarisationVisit(officer_id=cop.officer_id, house_id="h-1"),
            progress=population_pb2.FamiliarisationProgress(
                officer_id=cop.officer_id,
                week_start=local_date_to_proto(week.start),
                households_visited=15,
                target_households=30,
            ),
        ),
        key=cop.officer_id,
        domain="population",
    )
    await personnel.settled()
    period = pb.AssessmentPeriod(kind=pb.PERIOD_KIND_MONTHLY, year=today.year, index=today.month)
    computed = await admin.ComputeAssessments(pb.ComputeAssessmentsRequest(period=period))
    (mine,) = [a for a in computed.assessments if a.officer_id == cop.officer_id]
    indicators = {i.code: i.score for i in mine.indicators}
    assert indicators["patrol_duty"] == 80.0
    if week.start.month == today.month:  # a week that began last month belongs to last month's evaluation
        assert indicators["familiarisation"] == 50.0
    assert [(r.source, r.average_score) for r in mine.ratings] == [(pb.RATING_SOURCE_RESIDENT, 75.0)]

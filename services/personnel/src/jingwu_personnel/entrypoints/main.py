"""Process entry point: ``jingwu-personnel`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu_platform.batch import BatchConsumer
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.schedule import Schedule
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import Clock, UseCaseKit

from jingwu_personnel.adapters.store import mongo_repositories
from jingwu_personnel.application.assessment import AssessmentApplication
from jingwu_personnel.application.assessment_inputs import AssessmentInputApplication
from jingwu_personnel.application.calendar_rules import CalendarRules
from jingwu_personnel.application.conduct import ConductApplication
from jingwu_personnel.application.officers import OfficerApplication
from jingwu_personnel.application.ports import Repositories, StaffingChecks
from jingwu_personnel.application.postings import PostingApplication
from jingwu_personnel.application.ratings import RatingApplication
from jingwu_personnel.application.staffing import ChecksByEvents, StaffingApplication
from jingwu_personnel.application.territory_changes import TerritoryChangeApplication
from jingwu_personnel.application.villages import VillageApplication
from jingwu_personnel.application.worklogs import WorkLogApplication
from jingwu_personnel.entrypoints import schedules
from jingwu_personnel.entrypoints.assessment_events import AssessmentEventHandlers
from jingwu_personnel.entrypoints.event_handlers import StaffingInputs
from jingwu_personnel.entrypoints.grpc_api import ACCESS, PersonnelServicer

SERVICE = "personnel"
# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it (a
# client's request_id, a moved posting's event id). It is the namespace personnel always used, so ids
# of requests sent before the use-case kit are the same after it.
ID_NAMESPACE = uuid.UUID("2b7e6a4c-3d15-4f0b-9c6e-8a1f5d2e7b90")
# At most one batch of staffing inputs (one district-wide evaluation) starts per this many seconds,
# and never sooner after one ended than it took (entrypoints/event_handlers.py StaffingInputs):
# findings follow a change within about that. It was 2 s while an evaluation cost the store seconds;
# with filters answered by the store's indexes (ADR 0053) one costs 0.05-0.9 s, and the fixed 2 s had
# become most of the wait for personnel to take in the territory (docs/benchmarks.md, 2026-12-04).
EVALUATION_PACE_S = 0.25


@dataclass(frozen=True)
class Applications:
    """Every use-case class of the service, wired over one set of repositories."""

    officers: OfficerApplication
    postings: PostingApplication
    villages: VillageApplication
    logs: WorkLogApplication
    staffing: StaffingApplication
    conduct: ConductApplication
    ratings: RatingApplication
    assessment: AssessmentApplication
    territory: TerritoryChangeApplication
    calendar: CalendarRules
    inputs: AssessmentInputApplication

    def schedules(self) -> list[Schedule]:
        """The calendar rules (entrypoints/schedules.py), each bound to what it runs."""
        rules = self.calendar
        return [
            schedules.BLANK_VILLAGES.bind(rules.blank_villages),
            schedules.AUXILIARY_ROTATION.bind(rules.auxiliary_rotation),
            schedules.VILLAGE_DAYS.bind(rules.village_days),
            schedules.COMMUNITY_HOURS.bind(rules.community_hours),
            schedules.MONTHLY_EVALUATION.bind(rules.monthly_evaluation),
            schedules.QUARTERLY_ASSESSMENT.bind(rules.quarterly_assessment),
        ]

    def servicer(self) -> PersonnelServicer:
        return PersonnelServicer(
            officers=self.officers,
            postings=self.postings,
            villages=self.villages,
            logs=self.logs,
            staffing=self.staffing,
            conduct=self.conduct,
            ratings=self.ratings,
            assessment=self.assessment,
        )


def applications(kit: UseCaseKit, r: Repositories, *, checks_by_events: bool = False) -> Applications:
    """Commands ask staffing evaluation for a check after their change (StaffingChecks): in-process
    and at once (the coalescing StaffingApplication: application tests), or ``checks_by_events``
    (the running service): by the events they wrote, judged a batch at a time (ChecksByEvents)."""
    evaluation = StaffingApplication(
        kit,
        findings=r.findings,
        officers=r.officers,
        postings=r.postings,
        villages=r.villages,
        logs=r.logs,
        rooms=r.rooms,
        zones=r.zones,
        stations=r.stations,
    )
    staffing: StaffingChecks = ChecksByEvents(evaluation) if checks_by_events else evaluation
    assessment = AssessmentApplication(
        kit,
        assessments=r.assessments,
        officers=r.officers,
        postings=r.postings,
        logs=r.logs,
        ratings=r.ratings,
        conduct=r.conduct,
        familiarisation=r.familiarisation,
        duty_evidence=r.duty_evidence,
    )
    ratings = RatingApplication(kit, ratings=r.ratings, officers=r.officers)
    return Applications(
        officers=OfficerApplication(
            kit,
            officers=r.officers,
            unmasked_reads=r.unmasked_reads,
            postings=r.postings,
            villages=r.villages,
            staffing=staffing,
        ),
        postings=PostingApplication(
            kit,
            postings=r.postings,
            officers=r.officers,
            villages=r.villages,
            rooms=r.rooms,
            zones=r.zones,
            stations=r.stations,
            staffing=staffing,
        ),
        villages=VillageApplication(
            kit, villages=r.villages, officers=r.officers, postings=r.postings, staffing=staffing
        ),
        logs=WorkLogApplication(
            kit, logs=r.logs, officers=r.officers, villages=r.villages, postings=r.postings, staffing=staffing
        ),
        staffing=evaluation,
        conduct=ConductApplication(kit, conduct=r.conduct, officers=r.officers),
        ratings=ratings,
        assessment=assessment,
        territory=TerritoryChangeApplication(
            kit,
            rooms=r.rooms,
            zones=r.zones,
            stations=r.stations,
            villages=r.villages,
            postings=r.postings,
            staffing=evaluation,  # a batch of the registry's changes is judged at its end, always
        ),
        calendar=CalendarRules(staffing=evaluation, assessment=assessment),
        inputs=AssessmentInputApplication(
            kit, familiarisation=r.familiarisation, duty_evidence=r.duty_evidence, ratings=ratings
        ),
    )


def build_runtime(
    settings: ServiceSettings, policy: DistrictPolicy | None = None, clock: Clock | None = None
) -> tuple[ServiceRuntime, BatchConsumer]:
    """The runtime, and its consumer of what changes staffing (exposed for its counters). ``clock``:
    the use cases' and the calendar rules' (a FakeClock in tests)."""
    district = settings.district
    connections = connect(settings)
    repositories, indexes = mongo_repositories(connections.database, connections.outbox)
    kit = UseCaseKit.create(
        district, SERVICE, ID_NAMESPACE, clock=clock, policy=policy or DistrictPolicy.from_env()
    )
    apps = applications(kit, repositories, checks_by_events=True)
    own_topic = domain_topic(district, SERVICE)
    rooms_topic = domain_topic(district, "rooms")
    population_topic = domain_topic(district, "population")
    notification_topic = domain_topic(district, "notification")
    patrol_topic = domain_topic(district, "patrol")
    dlq = dead_letter_topic(district, SERVICE)
    # What changes staffing — the registry's territory, measured populations, personnel's own staffing
    # events — a batch at a time: one inbox read, one staffing evaluation, one inbox write, one commit
    # per poll (entrypoints/event_handlers.py). The group and inbox names are the ones the
    # one-at-a-time consumer used, so a service upgraded in place goes on where it stood.
    staffing_inputs = BatchConsumer(
        bootstrap=settings.kafka_bootstrap,
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic, population_topic, own_topic],
        dead_letter_topic=dlq,
        handler=StaffingInputs(apps.territory, apps.inputs, pace_s=EVALUATION_PACE_S).handler(),
        inbox=Inbox(connections.database, consumer=f"{SERVICE}.registry"),
        client_id=f"jingwu-{SERVICE}-{district}-staffing",
    )
    # R-PER-11 inputs of the notification and patrol services: a few events a day per officer or
    # vehicle, one at a time (entrypoints/assessment_events.py).
    EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(connections.database, consumer=f"{SERVICE}.assessment-inputs"),
        group_id=f"jingwu-{district}-{SERVICE}-assessment-inputs",
        topics=[notification_topic, patrol_topic],
        dead_letter_topic=dlq,
        handlers=AssessmentEventHandlers(apps.inputs).handlers(),
    )
    runtime = connections.runtime(
        [
            ServiceRegistration(
                ACCESS, apps.servicer(), personnel_pb2_grpc.add_PersonnelServiceServicer_to_server
            )
        ],
        topics=[own_topic, rooms_topic, population_topic, notification_topic, patrol_topic, dlq],
        on_started=indexes,
        components=[staffing_inputs],
        schedules=apps.schedules(),
        clock=kit.clock,
    )
    return runtime, staffing_inputs


def run() -> None:
    run_service(SERVICE, lambda settings: build_runtime(settings)[0])


if __name__ == "__main__":
    run()

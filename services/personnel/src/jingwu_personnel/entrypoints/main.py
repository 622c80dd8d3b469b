"""Process entry point: ``jingwu-personnel`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import UseCaseKit

from jingwu_personnel.adapters.store import mongo_repositories
from jingwu_personnel.application.assessment import AssessmentApplication
from jingwu_personnel.application.conduct import ConductApplication
from jingwu_personnel.application.officers import OfficerApplication
from jingwu_personnel.application.ports import Repositories
from jingwu_personnel.application.postings import PostingApplication
from jingwu_personnel.application.ratings import RatingApplication
from jingwu_personnel.application.staffing import StaffingApplication
from jingwu_personnel.application.territory_changes import TerritoryChangeApplication
from jingwu_personnel.application.villages import VillageApplication
from jingwu_personnel.application.worklogs import WorkLogApplication
from jingwu_personnel.entrypoints.event_handlers import PopulationEventHandlers, RoomEventHandlers
from jingwu_personnel.entrypoints.grpc_api import ACCESS, PersonnelServicer

SERVICE = "personnel"
# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it (a
# client's request_id, a moved posting's event id). It is the namespace personnel always used, so ids
# of requests sent before the use-case kit are the same after it.
ID_NAMESPACE = uuid.UUID("2b7e6a4c-3d15-4f0b-9c6e-8a1f5d2e7b90")


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


def applications(kit: UseCaseKit, r: Repositories) -> Applications:
    # Commands ask staffing evaluation for a check after their change (StaffingChecks): here the
    # in-process, coalescing StaffingApplication.
    staffing = StaffingApplication(
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
        staffing=staffing,
        conduct=ConductApplication(kit, conduct=r.conduct, officers=r.officers),
        ratings=RatingApplication(kit, ratings=r.ratings, officers=r.officers),
        assessment=AssessmentApplication(
            kit,
            assessments=r.assessments,
            officers=r.officers,
            postings=r.postings,
            logs=r.logs,
            ratings=r.ratings,
            conduct=r.conduct,
        ),
        territory=TerritoryChangeApplication(
            kit,
            rooms=r.rooms,
            zones=r.zones,
            stations=r.stations,
            villages=r.villages,
            postings=r.postings,
            staffing=staffing,
        ),
    )


def build_runtime(
    settings: ServiceSettings, policy: DistrictPolicy | None = None
) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of room and population events (exposed for its counters)."""
    district = settings.district
    connections = connect(settings)
    repositories, indexes = mongo_repositories(connections.database, connections.outbox)
    kit = UseCaseKit.create(district, SERVICE, ID_NAMESPACE, policy=policy or DistrictPolicy.from_env())
    apps = applications(kit, repositories)
    rooms_topic = domain_topic(district, "rooms")
    population_topic = domain_topic(district, "population")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(connections.database, consumer=f"{SERVICE}.registry"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic, population_topic],
        dead_letter_topic=dlq,
        handlers=[
            *RoomEventHandlers(apps.territory).handlers(),
            *PopulationEventHandlers(apps.territory).handlers(),
        ],
    )
    runtime = connections.runtime(
        [
            ServiceRegistration(
                ACCESS, apps.servicer(), personnel_pb2_grpc.add_PersonnelServiceServicer_to_server
            )
        ],
        topics=[domain_topic(district, SERVICE), rooms_topic, population_topic, dlq],
        on_started=indexes,
    )
    return runtime, consumer


def run() -> None:
    run_service(SERVICE, lambda settings: build_runtime(settings)[0])


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-personnel`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

from jingwu.personnel.v1 import personnel_pb2_grpc
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, EventHandler, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings

from jingwu_personnel.adapters.repository import PersonnelStore
from jingwu_personnel.application.assessment import AssessmentService
from jingwu_personnel.application.base import SERVICE, Deps
from jingwu_personnel.application.officers import OfficerService
from jingwu_personnel.application.postings import PostingService
from jingwu_personnel.application.reactions import RoomEventReactions
from jingwu_personnel.application.staffing import StaffingService
from jingwu_personnel.application.villages import VillageService
from jingwu_personnel.application.worklogs import WorkLogService
from jingwu_personnel.entrypoints.grpc_api import ACCESS, PersonnelServicer


def build_runtime(
    settings: ServiceSettings, policy: DistrictPolicy | None = None
) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of room and population events (exposed for its counters)."""
    district = settings.district
    connections = connect(settings)
    store = PersonnelStore(connections.database)
    relay = connections.outbox_relay(store.outbox_collections)
    deps = Deps(district, store, relay, policy or DistrictPolicy.from_env())
    staffing = StaffingService(deps)
    postings = PostingService(deps, staffing)
    reactions = RoomEventReactions(deps, postings, staffing)
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
            EventHandler(room_events.RoomOpened, reactions.on_room_opened),
            EventHandler(room_events.RoomPlanned, reactions.on_room_planned),
            EventHandler(room_events.RoomsMerged, reactions.on_rooms_merged),
            EventHandler(room_events.RoomClosed, reactions.on_room_closed),
            EventHandler(room_events.StationCreated, reactions.on_station_created),
            EventHandler(room_events.VillageRegistered, reactions.on_village_registered),
            EventHandler(room_events.ZoneCreated, reactions.on_zone_created),
            EventHandler(room_events.ZonesRedivided, reactions.on_zones_redivided),
            EventHandler(population_events.ZonePopulationChanged, reactions.on_zone_population_changed),
        ],
    )
    servicer = PersonnelServicer(
        officers=OfficerService(deps, postings, staffing),
        postings=postings,
        villages=VillageService(deps),
        logs=WorkLogService(deps, staffing),
        staffing=staffing,
        assessment=AssessmentService(deps),
    )
    runtime = connections.runtime(
        [ServiceRegistration(ACCESS, servicer, personnel_pb2_grpc.add_PersonnelServiceServicer_to_server)],
        relay=relay,
        topics=[domain_topic(district, SERVICE), rooms_topic, population_topic, dlq],
        on_started=[store.ensure_indexes],
    )
    return runtime, consumer


def run() -> None:
    run_service(SERVICE, lambda settings: build_runtime(settings)[0])


if __name__ == "__main__":
    run()

"""Process entry point: ``jingwu-rooms`` (settings from JINGWU_* environment variables, policy from
JINGWU_POLICY_JSON)."""

from __future__ import annotations

from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.rooms.v1 import rooms_pb2_grpc
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, EventHandler, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings

from jingwu_rooms.adapters.postings_repository import MongoPostingRepository
from jingwu_rooms.adapters.redivision_repository import MongoRedivisionRepository
from jingwu_rooms.adapters.repository import MongoRoomRepository
from jingwu_rooms.adapters.rota_repository import MongoRotaRepository
from jingwu_rooms.adapters.territory_repository import MongoTerritoryRepository
from jingwu_rooms.application.rooms import SERVICE, RoomApplication
from jingwu_rooms.application.staffing import StaffingApplication
from jingwu_rooms.application.territory import TerritoryApplication
from jingwu_rooms.entrypoints.grpc_api import ACCESS, RoomRegistryServicer


def build(
    settings: ServiceSettings, policy: DistrictPolicy | None = None
) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of personnel events (exposed for its counters)."""
    district = settings.district
    policy = policy or DistrictPolicy.from_env()
    connections = connect(settings)
    database = connections.database
    rooms = MongoRoomRepository(database)
    territory = MongoTerritoryRepository(database)
    redivisions = MongoRedivisionRepository(database)
    rotas = MongoRotaRepository(database)
    postings = MongoPostingRepository(database)
    relay = connections.outbox_relay(
        [rooms.collection, *territory.collections, redivisions.collection, rotas.collection]
    )
    room_app = RoomApplication(district, rooms, relay, postings=postings, territory=territory, policy=policy)
    territory_app = TerritoryApplication(district, territory, rooms, redivisions, relay)
    staffing_app = StaffingApplication(
        district,
        rooms=rooms,
        territory=territory,
        postings=postings,
        rotas=rotas,
        relay=relay,
        policy=policy,
    )
    personnel_topic = domain_topic(district, "personnel")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(database, consumer=f"{SERVICE}.personnel"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[personnel_topic],
        dead_letter_topic=dlq,
        handlers=[
            EventHandler(personnel_events.OfficerPosted, staffing_app.on_officer_posted),
            EventHandler(personnel_events.PostingEnded, staffing_app.on_posting_ended),
            EventHandler(personnel_events.OfficerDeactivated, staffing_app.on_officer_deactivated),
        ],
    )
    servicer = RoomRegistryServicer(room_app, territory_app, staffing_app)
    runtime = connections.runtime(
        [ServiceRegistration(ACCESS, servicer, rooms_pb2_grpc.add_RoomRegistryServiceServicer_to_server)],
        relay=relay,
        topics=[domain_topic(district, SERVICE), personnel_topic, dlq],
        on_started=[
            rooms.ensure_indexes,
            territory.ensure_indexes,
            redivisions.ensure_indexes,
            postings.ensure_indexes,
            # Multi-document commands interrupted by a crash are completed before serving on.
            territory_app.resume_redivisions,
            room_app.complete_interrupted_merges,
        ],
    )
    return runtime, consumer


def build_runtime(settings: ServiceSettings) -> ServiceRuntime:
    return build(settings)[0]


def run() -> None:
    run_service(SERVICE, build_runtime)


if __name__ == "__main__":
    run()

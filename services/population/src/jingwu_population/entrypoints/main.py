"""Process entry point: ``jingwu-population`` (settings from JINGWU_* environment variables)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass

from jingwu.population.v1 import population_pb2_grpc
from jingwu_platform.events import dead_letter_topic, domain_topic
from jingwu_platform.grpc_server import ServiceRegistration
from jingwu_platform.kafka import EventConsumer, Inbox
from jingwu_platform.policy import DistrictPolicy
from jingwu_platform.runtime import ServiceRuntime, connect, run_service
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.usecase import Clock, UseCaseKit

from jingwu_population.adapters.store import StoredPopulation
from jingwu_population.application.audit import AuditApplication
from jingwu_population.application.context import SERVICE, PopulationPolicy
from jingwu_population.application.counts import MapApplication, ZonePopulationApplication
from jingwu_population.application.findings import FindingsApplication
from jingwu_population.application.houses import HouseApplication
from jingwu_population.application.imports import ImportApplication
from jingwu_population.application.information import InformationApplication
from jingwu_population.application.places import PlaceApplication
from jingwu_population.application.residents import ResidentApplication
from jingwu_population.application.territory import TerritoryApplication
from jingwu_population.application.visits import VisitApplication
from jingwu_population.entrypoints.background import PopulationBackground
from jingwu_population.entrypoints.event_handlers import RoomEventHandlers
from jingwu_population.entrypoints.grpc_api import ACCESS, PopulationServicer
from jingwu_population.entrypoints.schedules import INSPECTIONS_OVERDUE, KEY_GROUP_REVIEWS

# Stable ids of this service (jingwu_platform.usecase.Ids): never change it, ids derive from it.
ID_NAMESPACE = uuid.UUID("6b1d7e52-3c0a-4f9e-8a21-5d4c9b7e0f36")


def audit_key(secret: str) -> bytes:
    """The audit chain's HMAC key, derived from the district's secret (R-POP-6)."""
    return hmac.new(secret.encode(), b"jingwu-population-audit-chain", hashlib.sha256).digest()


@dataclass
class PopulationProcess:
    """The runtime and the parts tests look at."""

    runtime: ServiceRuntime
    consumer: EventConsumer
    store: StoredPopulation
    kit: UseCaseKit
    houses: HouseApplication
    residents: ResidentApplication
    places: PlaceApplication
    counts: ZonePopulationApplication
    findings: FindingsApplication
    territory: TerritoryApplication
    imports: ImportApplication
    audit: AuditApplication


def build(
    settings: ServiceSettings,
    *,
    clock: Clock | None = None,
    policy: PopulationPolicy | None = None,
    district_policy: DistrictPolicy | None = None,
) -> PopulationProcess:
    district = settings.district
    connections = connect(settings)
    kit = UseCaseKit.create(
        district, SERVICE, ID_NAMESPACE, clock=clock, policy=district_policy or DistrictPolicy.from_env()
    )
    rules = policy or PopulationPolicy.from_kit(kit)
    store = StoredPopulation(connections.database, connections.outbox)
    houses = HouseApplication(kit, store, store, store)
    residents = ResidentApplication(kit, rules, store, store, store)
    places = PlaceApplication(kit, rules, store, store)
    counts = ZonePopulationApplication(kit, rules, store, store)
    findings = FindingsApplication(kit, rules, store, store, store, store)
    territory = TerritoryApplication(kit, store, store, store, store)
    imports = ImportApplication(kit, store, store, store, store)
    audit = AuditApplication(kit, store, store, audit_key(settings.auth_secret.get_secret_value()))
    servicer = PopulationServicer(
        kit=kit,
        loaded=store.loaded,
        houses=houses,
        residents=residents,
        places=places,
        information=InformationApplication(kit, store, store),
        visits=VisitApplication(kit, rules, store, store, store, store),
        map_queries=MapApplication(kit, store),
        counts=counts,
        findings=findings,
        territory=territory,
        imports=imports,
        audit=audit,
    )
    rooms_topic = domain_topic(district, "rooms")
    dlq = dead_letter_topic(district, SERVICE)
    consumer = EventConsumer(
        broker=connections.broker,
        publisher=connections.publisher,
        inbox=Inbox(connections.database, consumer=f"{SERVICE}.rooms"),
        group_id=f"jingwu-{district}-{SERVICE}",
        topics=[rooms_topic],
        dead_letter_topic=dlq,
        handlers=RoomEventHandlers(territory, store.loaded).handlers(),
    )
    background = PopulationBackground(
        store, counts, imports, territory, debounce_s=rules.zone_publish_debounce_s
    )
    runtime = connections.runtime(
        [ServiceRegistration(ACCESS, servicer, population_pb2_grpc.add_PopulationServiceServicer_to_server)],
        topics=[domain_topic(district, SERVICE), rooms_topic, dlq],
        on_started=[store.load],
        components=[background],
        schedules=[
            INSPECTIONS_OVERDUE.bind(places.mark_overdue_inspections),
            KEY_GROUP_REVIEWS.bind(findings.flag_overdue_reviews),
        ],
        clock=kit.clock,
    )
    return PopulationProcess(
        runtime, consumer, store, kit, houses, residents, places, counts, findings, territory, imports, audit
    )


def build_runtime(settings: ServiceSettings) -> tuple[ServiceRuntime, EventConsumer]:
    """The runtime, and its consumer of the room registry's events (exposed for its counters)."""
    process = build(settings)
    return process.runtime, process.consumer


def run() -> None:
    run_service(SERVICE, lambda settings: build(settings).runtime)


if __name__ == "__main__":
    run()

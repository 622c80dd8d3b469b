"""The incident feed on the real Kafka and store (R-PAT-2, R-NOT-5): other police systems produce
IncidentReported to jingwu.<district>.patrol.incidents.v1; each is validated, recorded once per sender's
incident id (whatever the event id, whichever the channel), and a bad record goes to the DLQ with the
reason — a place outside the district, a record of another type, a missing header, another district."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from jingwu.patrol.v1 import events_pb2, incidents_pb2, patrol_pb2
from jingwu_patrol.entrypoints.incident_feed import incidents_topic
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE
from jingwu_platform.events import new_event
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import produce_raw, wait_until

from .samples import at_m
from .support import point, running, stamp_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def report(
    source_id: str, where: tuple[float, float] = (2500, 600), hours_ago: float = 2
) -> patrol_pb2.IncidentReport:
    return patrol_pb2.IncidentReport(
        source_system="command_centre",
        source_incident_id=source_id,
        occur_time=stamp_of(datetime.now(DISTRICT_ZONE) - timedelta(hours=hours_ago)),
        location=point(at_m(*where)),
        category=patrol_pb2.INCIDENT_CATEGORY_BURGLARY,
        address="淮海路 8 号",
    )


async def test_reports_are_recorded_once_and_bad_ones_are_dead_lettered_with_the_reason(
    settings_for: Callable[..., ServiceSettings], district: str, auth_secret: str, kafka_bootstrap: str
) -> None:
    async with running(settings_for, district, auth_secret, kafka_bootstrap) as patrol:
        await patrol.learn_district()
        topic = incidents_topic(district)

        def reported(r: patrol_pb2.IncidentReport, key: str) -> incidents_pb2.IncidentReported:
            return incidents_pb2.IncidentReported(district_code=district, report=r)

        # Valid, then the same sender's incident again under a new event id.
        await patrol.publish("commandcentre", reported(report("110-1"), "110-1"), "110-1", topic=topic)
        await patrol.publish(
            "commandcentre", reported(report("110-1", hours_ago=1), "110-1"), "110-1", topic=topic
        )
        # Outside the district; a record of another type; no ce_id; another district's payload.
        await patrol.publish(
            "commandcentre", reported(report("110-2", where=(50_000, 0)), "110-2"), "110-2", topic=topic
        )
        wrong = new_event(
            patrol_pb2.Incident(incident_id="x"), key="110-3", district=district, service="commandcentre"
        )
        await produce_raw(kafka_bootstrap, topic, wrong.payload, b"110-3", wrong.headers())
        headless = new_event(
            reported(report("110-4"), "110-4"), key="110-4", district=district, service="commandcentre"
        )
        headers = {k: v for k, v in headless.headers().items() if k != "ce_id"}
        await produce_raw(kafka_bootstrap, topic, headless.payload, b"110-4", headers)
        other = incidents_pb2.IncidentReported(district_code="99", report=report("110-5"))
        await patrol.publish("commandcentre", other, "110-5", topic=topic)

        letters = await patrol.dead_letters(4)
        reasons = {r.key.decode() if r.key else "": r.headers["dlq_reason"] for r in letters}
        assert set(reasons) == {"110-2", "110-3", "110-4", "110-5"}
        assert "report.location" in reasons["110-2"] and f"outside district {district}" in reasons["110-2"]
        assert (
            "jingwu.patrol.v1.Incident" in reasons["110-3"]
            and "not carried by this topic" in reasons["110-3"]
        )
        assert "ce_id" in reasons["110-4"]
        assert "district_code '99'" in reasons["110-5"]
        assert all(r.headers["dlq_source_topic"] == topic for r in letters)

        reader = patrol.stub(Role.OFFICER)

        async def listed() -> list[patrol_pb2.Incident]:
            return list((await reader.ListIncidents(patrol_pb2.ListIncidentsRequest())).incidents)

        await wait_until(lambda: _count(listed, 1), what="the incident recorded")
        (incident,) = await listed()
        assert (incident.source_incident_id, incident.zone_code, incident.channel) == (
            "110-1",
            patrol.zone("020302"),
            "kafka",
        )

        # The same incident over gRPC is a duplicate of the Kafka one.
        service = patrol.stub(Role.SERVICE, subject="system:command-centre")
        again = await service.RecordIncident(patrol_pb2.RecordIncidentRequest(report=report("110-1")))
        assert again.duplicate and again.incident.incident_id == incident.incident_id
        assert patrol.process.incident_feed.processed == 2 and patrol.process.incident_feed.dead_lettered == 4
        (recorded,) = await patrol.own_events(events_pb2.IncidentRecorded)
        assert (
            events_pb2.IncidentRecorded.FromString(recorded.value or b"").incident.source_incident_id
            == "110-1"
        )


async def _count(listed: Callable[[], object], n: int) -> bool:
    return len(await listed()) == n  # type: ignore[misc]

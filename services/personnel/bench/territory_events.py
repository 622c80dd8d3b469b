"""Benchmark: how fast the personnel service follows the room registry's territory events (issue 7 item 9:
≥ 300 events/s). Not a test: it asserts nothing and prints a Markdown table.

    .venv/bin/python services/personnel/bench/territory_events.py [--events 3000]

A real Kafka and FerretDB (started here on free ports, in a temp dir, stopped at the end) and the real
``jingwu-personnel`` process. The events are the registry's, exactly as it publishes them (protobuf
payload, CloudEvents headers, keyed by the aggregate id, on ``jingwu.<district>.rooms.v1`` with 3
partitions), in the demo district's mix: per station 4 zones, 16 administrative villages, 4 natural
villages and 4 rooms (one of them mobile), and now and then two rooms merged. No officer exists, so every
room and administrative village is a finding (R-PER-2, R-PER-5): the evaluation and the outbox carry
the most work an event can cause.

Two phases, each timed until the service's consumer group has consumed everything (lag 0: the events
applied, the staffing evaluated, the findings written) and until it answers GetStatus ``caught_up``
twice in a row (lag 0 and its outbox empty: every finding's event is on Kafka):
- backlog: the events are produced before the service starts (a service catching up after downtime, or
  the first ``make run``), timed from its ready line;
- live: as many new events produced while it runs, timed from the first one sent.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from google.protobuf.message import Message
from jingwu.common.v1 import common_pb2
from jingwu.rooms.v1 import events_pb2, rooms_pb2
from jingwu_cli.caught_up import wait_caught_up
from jingwu_platform.auth import Role
from jingwu_platform.consumer_groups import ConsumerGroup
from jingwu_platform.events import new_event
from jingwu_platform.kafka import ensure_topics
from jingwu_platform.status import StatusProbe
from jingwu_platform.testing import event_record, produce_records, token_for

DISTRICT = "01"
ROOMS_TOPIC = f"jingwu.{DISTRICT}.rooms.v1"
SECRET = "bench-secret-bench-secret-bench-secret"  # noqa: S105 - signs the bench's own tokens
BIN = Path(sys.executable).parent
# Per station: 1 + 4 zones + 20 villages + 4 rooms = 29 events, one merge every 4 stations.
PER_STATION = 29


def _point(n: int) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(longitude=116.9 + n % 97 / 1000, latitude=33.6 + n % 89 / 1000)


def territory(events: int, series: int) -> Iterator[tuple[Message, str]]:
    """(payload, key) pairs of the registry's events for about ``events`` events; ``series`` (1-9) keeps
    the ids and zone codes of two runs apart."""
    prefix = f"s{series}-"
    for s in range(max(1, events // PER_STATION)):
        station_id = f"{prefix}st-{s:04d}"
        yield (
            events_pb2.StationCreated(
                district_code=DISTRICT,
                station=rooms_pb2.Station(
                    station_id=station_id,
                    name=f"{s}号派出所",
                    kind=rooms_pb2.STATION_KIND_TOWN,
                    location=_point(s),
                ),
            ),
            station_id,
        )
        # R-ORG-2: district(2) + street(2) + community(2) + zone(2).
        zones = [f"{DISTRICT}{series}{s % 10}{s // 10 % 100:02d}{z:02d}" for z in range(1, 5)]
        for z, code in enumerate(zones):
            zone = rooms_pb2.Zone(
                zone_code=code,
                community_name=f"{s}社区",
                sequence=z + 1,
                station_id=station_id,
                community_ids=[f"{prefix}c-{s}-{z}"],
                workload=rooms_pb2.ZoneWorkload(actual_population=4000 + 500 * z, area_km2=3.5),
            )
            yield events_pb2.ZoneCreated(district_code=DISTRICT, zone=zone), code
        for v in range(20):
            village_id = f"{prefix}v-{s:04d}-{v:02d}"
            natural = v >= 16
            village = rooms_pb2.Village(
                village_id=village_id,
                name=f"{s}-{v}村",
                level=rooms_pb2.VILLAGE_LEVEL_NATURAL if natural else rooms_pb2.VILLAGE_LEVEL_ADMINISTRATIVE,
                parent_village_id=f"{prefix}v-{s:04d}-00" if natural else "",
                zone_code=zones[v % 4],
                station_id=station_id,
                location=_point(v),
                township=f"{s}镇",
            )
            yield events_pb2.VillageRegistered(district_code=DISTRICT, village=village), village_id
        rooms = []
        for r in range(4):
            room_id = f"{prefix}room-{s:04d}-{r}"
            mobile = r == 3
            room = rooms_pb2.Room(
                room_id=room_id,
                name=f"{s}-{r}警务室",
                kind=rooms_pb2.ROOM_KIND_MOBILE if mobile else rooms_pb2.ROOM_KIND_URBAN_HOME_STYLE,
                status=rooms_pb2.ROOM_STATUS_ACTIVE,
                station_id=station_id,
                zone_codes=[zones[r]],
                location=_point(r),
                vehicle_plate=f"皖L·{s:04d}" if mobile else "",
            )
            rooms.append(room_id)
            yield events_pb2.RoomOpened(district_code=DISTRICT, room=room), room_id
        if s % 4 == 3:  # R-ROOM-2: consolidation, 51 → 32
            merge = events_pb2.RoomsMerged(
                district_code=DISTRICT, surviving_room_id=rooms[0], merged_room_ids=[rooms[1]], reason="撤并"
            )
            yield merge, rooms[0]


def records(events: int, series: int) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    return [
        event_record(new_event(payload, key=key, district=DISTRICT, service="rooms"))
        for payload, key in territory(events, series)
    ]


async def consumed(bootstrap: str) -> None:
    """Until the service's consumer group has committed everything on its topics (lag 0, read from
    Kafka as GetStatus reads it, without the outbox)."""
    group = ConsumerGroup(
        f"jingwu-{DISTRICT}-personnel",
        (ROOMS_TOPIC, f"jingwu.{DISTRICT}.population.v1", f"jingwu.{DISTRICT}.personnel.v1"),
    )
    probe = StatusProbe(
        bootstrap=bootstrap,
        service="personnel",
        district=DISTRICT,
        groups=lambda: [group],
        relay=None,
        refresh_s=0,
    )
    try:
        while True:
            lags = await probe.lags()
            if (
                lags
                and all(g.lag == 0 for g in lags)
                and any(p.committed_offset for g in lags for p in g.partitions)
            ):
                return
            await asyncio.sleep(0.2)
    finally:
        await probe.stop()


async def phase(
    bootstrap: str, target: str, token: str, batch: list[object], live: bool
) -> tuple[float, float]:
    """Seconds until consumed (lag 0) and until caught up (lag 0, outbox relayed)."""
    started = time.perf_counter()
    if live:
        await produce_records(bootstrap, ROOMS_TOPIC, batch)  # type: ignore[arg-type]
    await consumed(bootstrap)
    consumed_s = time.perf_counter() - started
    await wait_caught_up({"personnel": target}, token, timeout_s=1800, interval_s=1.0, call_timeout_s=600)
    return consumed_s, time.perf_counter() - started


def machine() -> str:
    cpus = os.cpu_count()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{cpus} cores, {platform.machine()}, Python {platform.python_version()}, load average {load}"


def main(argv: list[str] | None = None) -> int:
    from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka
    from jingwu_devstack.procs import ProcessSpec, Supervisor, all_ready, free_ports, log_ready, tcp_ready
    from jingwu_devstack.stack import ferretdb_spec, ferretdb_url, kafka_spec

    parser = argparse.ArgumentParser(prog="territory_events.py")
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--keep", type=Path, help="keep the data dir (logs) here instead of a temp dir")
    parser.add_argument("--log-level", default="WARNING", help="the service's JINGWU_LOG_LEVEL")
    args = parser.parse_args(argv)
    backlog, live = records(args.events, 1), records(args.events, 2)
    rows: list[tuple[str, str, str]] = []
    with (
        tempfile.TemporaryDirectory(prefix="jingwu-personnel-bench-") as tmp,
        Supervisor(out=sys.stderr) as sup,
    ):
        data = args.keep or Path(tmp)
        data.mkdir(parents=True, exist_ok=True)
        kafka_port, controller_port, mongo_port, grpc_port = free_ports(4)
        sup.start(kafka_spec(ensure_kafka(sys.stderr).path, data, kafka_port, controller_port))
        sup.start(ferretdb_spec(ensure_ferretdb(sys.stderr).path, data, mongo_port))
        bootstrap = f"127.0.0.1:{kafka_port}"
        topics = [ROOMS_TOPIC, f"jingwu.{DISTRICT}.population.v1", f"jingwu.{DISTRICT}.personnel.v1"]
        asyncio.run(ensure_topics(bootstrap, topics, 3))
        asyncio.run(produce_records(bootstrap, ROOMS_TOPIC, backlog))
        log_path = data / "personnel.log"
        sup.start(
            ProcessSpec(
                name="personnel",
                argv=[str(BIN / "jingwu-personnel")],
                log_path=log_path,
                env={
                    "JINGWU_DISTRICT": DISTRICT,
                    "JINGWU_KAFKA_BOOTSTRAP": bootstrap,
                    "JINGWU_MONGO_URL": ferretdb_url("127.0.0.1", mongo_port),
                    "JINGWU_AUTH_SECRET": SECRET,
                    "JINGWU_GRPC_PORT": str(grpc_port),
                    "JINGWU_TRACE_EXPORTER": "none",
                    "JINGWU_LOG_LEVEL": args.log_level,
                },
                ports=[grpc_port],
                ready=all_ready(tcp_ready(grpc_port), log_ready(log_path, " ready")),
                ready_timeout=120.0,
            )
        )
        target, token = f"127.0.0.1:{grpc_port}", token_for(SECRET, DISTRICT, Role.DISTRICT_ADMIN)
        for name, produced, live_phase in (
            ("backlog (produced before start)", backlog, False),
            ("live (produced while running)", live, True),
        ):
            consumed_s, caught_up_s = asyncio.run(
                phase(bootstrap, target, token, produced if live_phase else [], live=live_phase)  # type: ignore[arg-type]
            )
            rows.append((name, rate(len(produced), consumed_s), rate(len(produced), caught_up_s)))
    lines = [
        f"Machine: {machine()}",
        "",
        "| phase | events | consumed (lag 0) | caught up (lag 0, outbox relayed) |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {name} | {len(backlog)} | {eaten} | {settled} |" for name, eaten, settled in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f} events/s ({seconds:.1f} s)"


if __name__ == "__main__":
    raise SystemExit(main())

"""``jingwu-telemetry-sim``: a small fleet driving the demo district (``make run`` starts one).

    jingwu-telemetry-sim --district 01 --vehicles 12 --handhelds 8 \\
        --registry 127.0.0.1:50071 --jt808 127.0.0.1:6808 --http 127.0.0.1:6809 [--rooms 127.0.0.1:50051]

The credential secret comes from JINGWU_AUTH_SECRET (the district's, as the services use).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from datetime import date

from jingwu_cli.demo_data import DemoDistrict
from jingwu_cli.demo_data import build as build_demo

from jingwu_telemetry.sim.fleet import (
    FleetConfig,
    FleetStats,
    Provisioner,
    SimulatedHandheld,
    SimulatedVehicle,
)
from jingwu_telemetry.sim.routes import Route, vehicle_routes, walking_routes

log = logging.getLogger("jingwu.telemetry.sim")
VEHICLES = 12  # make run's fleet (the default of --vehicles); its patrol demo backfills the same terminals


def demo_fleet(demo: DemoDistrict, vehicles: int = VEHICLES) -> tuple[list[Route], dict[str, str]]:
    """The fleet's routes through the demo district (jingwu_cli.demo_data) and the zone each station's
    terminals are in (the station's first zone), as the simulator provisions them."""
    zone_of_station: dict[str, str] = {}
    for zone in demo.zones:
        zone_of_station.setdefault(zone.station_id, zone.code)
    return vehicle_routes(demo, vehicles), zone_of_station


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    return host or "127.0.0.1", int(port)


def _range(text: str) -> tuple[float, float]:
    low, _, high = text.partition(",")
    return float(low), float(high or low)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="jingwu-telemetry-sim", description=__doc__.split("\n", 1)[0])
    p.add_argument("--district", default="01")
    p.add_argument("--vehicles", type=int, default=VEHICLES)
    p.add_argument("--handhelds", type=int, default=8)
    p.add_argument("--registry", required=True, help="host:port of the district's telemetry service")
    p.add_argument("--rooms", default="", help="host:port of the room registry (attaches mobile rooms)")
    p.add_argument("--jt808", default="127.0.0.1:6808")
    p.add_argument("--http", default="127.0.0.1:6809")
    p.add_argument("--interval", type=float, default=5.0, help="seconds between a device's fixes")
    p.add_argument("--offline-share", type=float, default=0.2)
    p.add_argument("--offline-s", type=_range, default=(20.0, 60.0), help="outage length, min,max seconds")
    p.add_argument("--online-s", type=_range, default=(60.0, 180.0), help="time between outages, min,max")
    p.add_argument("--speedup", type=float, default=1.0, help="routes advance this much faster than time")
    p.add_argument("--duration", type=float, default=0.0, help="seconds to run; 0: until stopped")
    return p


async def simulate(args: argparse.Namespace, secret: str, stop: asyncio.Event) -> FleetStats:
    demo = build_demo(args.district, date.today())
    config = FleetConfig(
        district=args.district,
        jt808=_address(args.jt808),
        http=_address(args.http),
        interval_s=args.interval,
        offline_share=args.offline_share,
        offline_s=args.offline_s,
        online_s=args.online_s,
        speedup=args.speedup,
    )
    routes, zone_of_station = demo_fleet(demo, args.vehicles)
    provisioner = Provisioner(args.registry, secret, args.district, args.rooms)
    identities = await provisioner.vehicles(routes, zone_of_station)
    handhelds = await provisioner.handhelds(args.handhelds)
    stats = FleetStats()
    offline_every = round(1 / args.offline_share) if args.offline_share > 0 else 0
    actors = [
        SimulatedVehicle(
            identity,
            route,
            config,
            stats,
            goes_offline=bool(offline_every) and number % offline_every == 0,
            offset_s=route.period_s * number / max(len(routes), 1),
        )
        for number, (identity, route) in enumerate(zip(identities, routes, strict=True))
    ]
    walkers = walking_routes(demo, len(handhelds))
    people = [
        SimulatedHandheld(device_id, code, route, config, stats, osmand=number % 2 == 1)
        for number, ((device_id, code), route) in enumerate(zip(handhelds, walkers, strict=True))
    ]
    tasks = [asyncio.create_task(vehicle.run(stop)) for vehicle in actors]
    tasks += [asyncio.create_task(person.run(stop)) for person in people]
    print(  # noqa: T201 - the one human-facing line
        f"jingwu-telemetry-sim district={args.district} vehicles={len(actors)} "
        f"handhelds={len(people)} running",
        flush=True,
    )
    if args.duration:
        loop = asyncio.get_running_loop()
        loop.call_later(args.duration, stop.set)
    await stop.wait()
    for outcome in await asyncio.gather(*tasks, return_exceptions=True):
        if isinstance(outcome, BaseException):
            log.error("a simulated device stopped: %r", outcome)
    return stats


def run() -> None:
    args = parser().parse_args()
    logging.basicConfig(level=logging.WARNING)
    secret = os.environ.get("JINGWU_AUTH_SECRET", "")
    if not secret:
        raise SystemExit("JINGWU_AUTH_SECRET is needed to provision the simulated devices")

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        stats = await simulate(args, secret, stop)
        print(f"jingwu-telemetry-sim stopped: {stats}", flush=True)  # noqa: T201

    asyncio.run(main())


if __name__ == "__main__":
    run()

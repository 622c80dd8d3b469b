"""Part of the demo district for the console's browser tests: the stations named, with everything that
belongs to them (zones, villages, rooms, their officers, postings, village assignments, visit logs,
rotas, ratings), loaded by the demo loader through the services' gRPC APIs like the whole district.

Two stations — 汴河 (urban: home-style, one-zone-one-officer and mobile rooms) and 符离 (a town: rural,
key-village, contact-point, auxiliary-workroom and mobile rooms) — hold every room kind and every
finding the views show, at about a fifth of the load: the whole district takes minutes of personnel's
time on 2 cores, which the browser tests do not need.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from jingwu_cli.demo_data import DemoDistrict

STATIONS = ("st-bianhe", "st-fuli")


def demo_slice(demo: DemoDistrict, stations: Collection[str] = STATIONS) -> DemoDistrict:
    villages = [v for v in demo.villages if v.station_id in stations]
    village_ids = {v.village_id for v in villages}
    zones = [z for z in demo.zones if z.station_id in stations]
    zone_codes = {z.code for z in zones}
    rooms = [r for r in demo.rooms if r.station_id in stations]
    room_keys = {r.key for r in rooms}

    def inside(village_id: str = "", zone_code: str = "", room_key: str = "") -> bool:
        return (
            (not village_id or village_id in village_ids)
            and (not zone_code or zone_code in zone_codes)
            and (not room_key or room_key in room_keys)
        )

    postings = [
        p for p in demo.postings if p.station_id in stations and inside(p.village_id, p.zone_code, p.room_key)
    ]
    liaisons = [a for a in demo.liaisons if a.village_id in village_ids]
    auxiliaries = [a for a in demo.auxiliaries if a.village_id in village_ids]
    reposted = [a for a in demo.reposted_liaisons if a.village_id in village_ids]
    officer_keys = (
        {o.key for o in demo.officers if o.station_id in stations}
        | {p.officer_key for p in postings}
        | {a.officer_key for a in (*liaisons, *auxiliaries, *reposted)}
    )
    officers = [
        replace(o, home_village_id=o.home_village_id if o.home_village_id in village_ids else "")
        for o in demo.officers
        if o.key in officer_keys
    ]
    return replace(
        demo,
        stations=[s for s in demo.stations if s.station_id in stations],
        zones=zones,
        villages=villages,
        rooms=rooms,
        officers=officers,
        postings=postings,
        liaisons=liaisons,
        auxiliaries=auxiliaries,
        reposted_liaisons=reposted,
        visits=[
            v
            for v in demo.visits
            if v.officer_key in officer_keys and inside(v.village_id, v.zone_code, v.room_key)
        ],
        rotas=[
            replace(r, days=tuple(d for d in r.days if d[1] in officer_keys))
            for r in demo.rotas
            if r.room_key in room_keys
        ],
        ratings=[r for r in demo.ratings if r[0] in officer_keys],
    )

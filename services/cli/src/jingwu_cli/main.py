"""``jingwu``: the command line for station leaders and district staff, over the services' gRPC APIs.

Layers: this module parses the command line (argparse) and maps errors to exit codes; ``commands``
calls the services through ``client``; ``render`` prints tables or JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from jingwu_cli import auth_token, commands, labels, patrol_commands, population_commands
from jingwu_cli.client import Clients
from jingwu_cli.config import (
    DEFAULT_DISTRICT,
    DEFAULT_PERSONNEL_ADDR,
    DEFAULT_ROOMS_ADDR,
    Target,
    resolve_credential,
)
from jingwu_cli.errors import EXIT_OK, EXIT_USAGE, CliError
from jingwu_cli.render import Renderer, Result

Handler = Callable[[Clients, argparse.Namespace], Awaitable[Result]]

EPILOG = """\
credential: --token, else JINGWU_TOKEN, else a 15-minute district_admin token for "cli:$USER" signed
with JINGWU_AUTH_SECRET or the .data/auth-secret file `make run` writes. For your own tools (grpcurl):
TOKEN=$(jingwu auth token --role officer --district 01).
exit codes: 0 ok · 1 failed (not found, refused by a rule, not implemented) · 2 bad input (command line
or INVALID_ARGUMENT) · 3 credential refused · 4 service not reachable"""


# ── option types: checked before any RPC ─────────────────────────────────────────────────────────

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_type(text: str) -> tuple[int, int]:
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise argparse.ArgumentTypeError(f"invalid month {text!r}: expected YYYY-MM, e.g. 2026-10")
    return int(match.group(1)), int(match.group(2))


def date_type(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid date {text!r}: expected YYYY-MM-DD, e.g. 2026-11-01"
        ) from None


def district_type(text: str) -> str:
    if not re.fullmatch(r"\d{2}", text):
        raise argparse.ArgumentTypeError(f"invalid district {text!r}: expected 2 digits, e.g. 01")
    return text


def address_type(text: str) -> str:
    if not re.fullmatch(r"[^\s:]+:\d{1,5}", text):
        raise argparse.ArgumentTypeError(
            f"invalid address {text!r}: expected host:port, e.g. 127.0.0.1:50051"
        )
    return text


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"invalid count {text!r}: expected a whole number ≥ 0")
    return value


# ── the parser ───────────────────────────────────────────────────────────────────────────────────


def _global_options(parser: argparse.ArgumentParser, suppress: bool) -> None:
    """Global options, accepted before or after the command (``jingwu --json rooms list`` or
    ``jingwu rooms list --json``); after the command they default to 'not given'."""

    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("global options")
    group.add_argument(
        "--district",
        type=district_type,
        default=default(os.environ.get("JINGWU_DISTRICT", DEFAULT_DISTRICT)),
        help="district code (env JINGWU_DISTRICT, default 01)",
    )
    group.add_argument(
        "--rooms-addr",
        type=address_type,
        default=default(os.environ.get("JINGWU_ROOMS_ADDR", DEFAULT_ROOMS_ADDR)),
        help="room registry host:port (env JINGWU_ROOMS_ADDR)",
    )
    group.add_argument(
        "--personnel-addr",
        type=address_type,
        default=default(os.environ.get("JINGWU_PERSONNEL_ADDR", DEFAULT_PERSONNEL_ADDR)),
        help="personnel service host:port (env JINGWU_PERSONNEL_ADDR)",
    )
    group.add_argument("--token", default=default(None), help="bearer token (env JINGWU_TOKEN)")
    group.add_argument(
        "--json", action="store_true", default=default(False), help="print JSON instead of tables"
    )


def build_parser() -> argparse.ArgumentParser:  # noqa: PLR0915 - one statement per option
    parser = argparse.ArgumentParser(
        prog="jingwu",
        description="Jingwu 警务 — rooms, staffing and assessment of a district, from the command line.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _global_options(parser, suppress=False)
    areas = parser.add_subparsers(dest="area", metavar="AREA", required=True)

    def command(
        area: argparse._SubParsersAction[argparse.ArgumentParser], name: str, handler: Handler, help_text: str
    ) -> argparse.ArgumentParser:
        sub = area.add_parser(name, help=help_text, description=help_text)
        _global_options(sub, suppress=True)
        sub.set_defaults(handler=handler)
        return sub

    def group(name: str, help_text: str) -> argparse._SubParsersAction[argparse.ArgumentParser]:
        sub = areas.add_parser(name, help=help_text, description=help_text)
        return sub.add_subparsers(dest="command", metavar="COMMAND", required=True)

    stations = group("stations", "police stations (派出所)")
    command(stations, "list", commands.stations_list, "list the district's stations")

    zones = group("zones", "police zones (警务区, R-ORG-2)")
    cmd = command(zones, "list", commands.zones_list, "list zones with their workload")
    cmd.add_argument("--station", help="station id")
    cmd.add_argument("--retired", action="store_true", help="include zones dissolved by a re-division")

    rooms = group("rooms", "police rooms (警务室, R-ROOM-1..6)")
    cmd = command(rooms, "list", commands.rooms_list, "list rooms")
    cmd.add_argument("--station", help="station id")
    cmd.add_argument("--zone", help="8-digit zone code")
    cmd.add_argument("--kind", choices=sorted(labels.ROOM_KINDS), help="room kind")
    cmd.add_argument("--status", choices=sorted(labels.ROOM_STATUSES), help="room status")
    cmd = command(rooms, "show", commands.rooms_show, "one room with its facilities and stops")
    cmd.add_argument("room_id", metavar="ROOM_ID")
    cmd = command(rooms, "coverage", commands.rooms_coverage, "room coverage gaps (R-ROOM-4)")
    cmd.add_argument("--station", help="station id")
    cmd = command(rooms, "rota-gaps", commands.rooms_rota_gaps, "days nobody is on duty (R-ROOM-6)")
    cmd.add_argument("room_id", metavar="ROOM_ID")
    cmd.add_argument("--from", dest="date_from", type=date_type, required=True, metavar="YYYY-MM-DD")
    cmd.add_argument("--to", dest="date_to", type=date_type, required=True, metavar="YYYY-MM-DD")

    villages = group("villages", "communities and villages, liaison assignments (R-PER-5..7)")
    cmd = command(villages, "list", commands.villages_list, "list communities and villages")
    cmd.add_argument("--zone", help="8-digit zone code")
    cmd.add_argument("--level", choices=["admin", "natural"], help="administrative or natural villages")
    cmd = command(villages, "blank", commands.villages_blank, "villages without a liaison officer (R-PER-5)")
    cmd.add_argument("--station", help="station id")
    cmd = command(
        villages,
        "candidates",
        commands.villages_candidates,
        "ranked candidates for a village post (R-PER-6/7)",
    )
    cmd.add_argument("village_id", metavar="VILLAGE_ID")
    cmd.add_argument(
        "--role",
        choices=["liaison", "resident-aux"],
        default="liaison",
        help="post to fill (default liaison)",
    )
    cmd.add_argument("--max", type=positive_int, default=0, help="at most this many (0: server default)")

    officers = group("officers", "officers and auxiliaries (R-PER-1, R-PER-12)")
    cmd = command(officers, "list", commands.officers_list, "list officers")
    cmd.add_argument("--station", help="station id")
    cmd.add_argument("--role", choices=sorted(labels.OFFICER_ROLES), help="role")
    cmd.add_argument("--room", help="room id (open postings)")
    cmd.add_argument("--village", help="village id (open postings)")
    cmd = command(officers, "show", commands.officers_show, "one officer with the posting history")
    cmd.add_argument("officer_id", metavar="OFFICER_ID")

    staffing = group("staffing", "staffing findings (R-PER-2..9)")
    cmd = command(staffing, "findings", commands.staffing_findings, "list staffing findings")
    cmd.add_argument("--kind", choices=sorted(labels.FINDING_KINDS), help="finding kind")
    cmd.add_argument("--open", action="store_true", help="only open findings")
    cmd.add_argument("--station", help="station id")
    cmd = command(staffing, "evaluate", commands.staffing_evaluate, "re-evaluate the staffing rules now")
    cmd.add_argument("--station", help="station id (default: whole district)")
    cmd.add_argument("--as-of", type=date_type, metavar="YYYY-MM-DD", help="evaluate as of this date")

    worklog = group("worklog", "visit and work logs (R-PER-8, R-PER-9)")
    cmd = command(
        worklog, "compliance", commands.worklog_compliance, "village-day and community-hour shortfalls"
    )
    cmd.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    cmd.add_argument("--station", help="station id")
    cmd = command(worklog, "summary", commands.worklog_summary, "one officer's logged work in a month")
    cmd.add_argument("officer_id", metavar="OFFICER_ID")
    cmd.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")

    assessment = group("assessment", "monthly assessment (R-PER-11)")
    cmd = command(assessment, "ranking", commands.assessment_ranking, "ranking of a month")
    cmd.add_argument("--month", type=month_type, required=True, metavar="YYYY-MM")
    cmd.add_argument("--station", help="station id (default: whole district)")
    cmd.add_argument("--role", choices=sorted(labels.OFFICER_ROLES), help="role")

    auth_token.add_parser(areas, district_type)
    population_commands.add_parsers(areas, _global_options)  # houses, residents, places, import, audit
    patrol_commands.add_parsers(areas, _global_options)  # patrol hotspots, plans, evidence, rings, …

    demo = group("demo", "demo data")
    cmd = command(demo, "seed", _demo_seed, "load the synthetic demo district through the APIs (idempotent)")
    cmd.add_argument("--seed", type=positive_int, default=20261122, help="random seed (default 20261122)")
    return parser


async def _demo_seed(clients: Clients, args: argparse.Namespace) -> Result:
    from jingwu_cli.demo import seed_command

    return await seed_command(clients, args)


# ── running ──────────────────────────────────────────────────────────────────────────────────────


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    if getattr(args, "date_from", None) and args.date_from > args.date_to:
        parser.error(f"argument --to: {args.date_to} is before --from {args.date_from}")
    return args


async def run(args: argparse.Namespace, renderer: Renderer) -> int:
    local_command: Callable[[argparse.Namespace], int] | None = getattr(args, "local_command", None)
    if local_command is not None:  # needs no service and no credential (jingwu auth token)
        return local_command(args)
    credential = resolve_credential(args.district, args.token)
    target = Target(args.district, args.rooms_addr, args.personnel_addr, credential)
    handler: Handler = args.handler
    async with Clients(target) as clients:
        result = await handler(clients, args)
    renderer.show(result)
    return EXIT_OK


async def amain(argv: Sequence[str]) -> int:
    """The tool inside a running event loop (tests, embedding). Same exit codes as ``main``."""
    try:
        args = parse(argv)
    except SystemExit as exit_:  # argparse: usage error (2) or --help (0)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    renderer = Renderer(as_json=args.json)
    try:
        return await run(args, renderer)
    except CliError as error:
        renderer.error(error.message, error.details)
        return error.exit_code


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point ``jingwu``; returns the exit code."""
    return asyncio.run(amain(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    raise SystemExit(main())

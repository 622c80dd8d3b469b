"""The ``devstack`` command: fetch tools, and run the local Kafka + FerretDB in the background.

    devstack fetch [kafka|ferretdb|buf|all ...]   fetch/build what is missing into .cache (default: all)
    devstack up [--foreground]                    start (or reuse) Kafka and FerretDB; fetch first if needed
    devstack down                                 stop what ``up`` started (SIGTERM, then SIGKILL)
    devstack status                               what is running (exit 3 if something is not)
    devstack env                                  JINGWU_KAFKA_BOOTSTRAP=… and JINGWU_MONGO_URL=… lines

Environment: JINGWU_KAFKA_PORT (9092), JINGWU_KAFKA_CONTROLLER_PORT (9093), JINGWU_MONGO_PORT (27017),
JINGWU_DATA_DIR (<repo>/.data), JINGWU_CACHE_DIR (<repo>/.cache), JINGWU_REPO_ROOT.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.fetch import COMPONENTS, fetch
from jingwu_devstack.paths import data_dir, display_path
from jingwu_devstack.procs import ProcessInfo, Supervisor, read_states
from jingwu_devstack.stack import Ports, endpoints, kafka_api_versions_ok, mongo_ping_ok, start_stack

STACK = ("kafka", "ferretdb")


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _state_dir() -> Path:
    return data_dir() / "state"


def _running() -> dict[str, ProcessInfo]:
    return {info.name: info for info in read_states(_state_dir())}


def cmd_fetch(args: argparse.Namespace) -> int:
    fetch(args.components or ["all"], out=sys.stdout)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    data, ports = data_dir(), Ports.from_env()
    t0 = time.monotonic()
    _out(f"devstack up (data: {display_path(data)})")
    sup = Supervisor(state_dir=_state_dir(), keep_running=not args.foreground, out=sys.stdout)
    if not args.foreground:
        eps = start_stack(sup, data, ports, out=sys.stdout)
        for line in eps.env_lines():
            _out(line)
        _out(f"ready in {time.monotonic() - t0:.1f} s; stop with: devstack down")
        return 0
    with sup:
        eps = start_stack(sup, data, ports, out=sys.stdout)
        for line in eps.env_lines():
            _out(line)
        _out(f"ready in {time.monotonic() - t0:.1f} s; Ctrl-C stops everything")
        name = sup.wait()
        info = sup.processes[name]
        raise DevstackError(f"{name} exited; see {display_path(Path(info.log_path))}")


def cmd_down(args: argparse.Namespace) -> int:
    sup = Supervisor(state_dir=_state_dir(), out=None)
    sup.adopt()
    stopped = sup.stop_all()
    if not stopped:
        _out("nothing running")
    for info in stopped:
        _out(f"  ✓ stopped {info.name:<12} (pid {info.pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    running = _running()
    healthy = True
    for name in [*STACK, *sorted(set(running) - set(STACK))]:
        info = running.get(name)
        if info is None:
            _out(f"  ✗ {name:<12} not running")
            healthy = healthy and name not in STACK
            continue
        if name == "kafka":
            answers = kafka_api_versions_ok(info.ports[0], info.host)
        elif name == "ferretdb":
            answers = mongo_ping_ok(f"mongodb://{info.address}/")
        else:
            answers = True
        uptime = _duration(time.time() - info.started_at)
        mark = "✓" if answers else "?"
        note = "" if answers else "not answering; "
        _out(
            f"  {mark} {name:<12} {info.address:<16} (pid {info.pid}, up {uptime}; {note}"
            f"log: {display_path(Path(info.log_path))})"
        )
        healthy = healthy and answers
    return 0 if healthy else 3


def cmd_env(args: argparse.Namespace) -> int:
    running, ports = _running(), Ports.from_env()
    if "kafka" in running and running["kafka"].ports:
        ports = Ports(running["kafka"].ports[0], running["kafka"].ports[-1], ports.mongo)
    if "ferretdb" in running and running["ferretdb"].ports:
        ports = Ports(ports.kafka, ports.kafka_controller, running["ferretdb"].ports[0])
    for line in endpoints(ports).env_lines():
        _out(line)
    return 0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devstack",
        description="Fetch, start and stop Jingwu's local infrastructure (Kafka, FerretDB, buf).",
        epilog="Ports: JINGWU_KAFKA_PORT (9092), JINGWU_KAFKA_CONTROLLER_PORT (9093), JINGWU_MONGO_PORT "
        "(27017). Folders: JINGWU_DATA_DIR (<repo>/.data), JINGWU_CACHE_DIR (<repo>/.cache).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("fetch", help="fetch/build pinned tools into the cache (default: all)")
    p.add_argument(
        "components", nargs="*", metavar="COMPONENT", help=f"one or more of: {', '.join(COMPONENTS)}, all"
    )
    p.set_defaults(func=cmd_fetch)
    p = sub.add_parser("up", help="start (or reuse) Kafka and FerretDB in the background")
    p.add_argument("--foreground", action="store_true", help="stay attached; Ctrl-C stops everything")
    p.set_defaults(func=cmd_up)
    sub.add_parser("down", help="stop what `up` started").set_defaults(func=cmd_down)
    sub.add_parser("status", help="show what is running (exit 3 if not everything)").set_defaults(
        func=cmd_status
    )
    sub.add_parser("env", help="print JINGWU_KAFKA_BOOTSTRAP and JINGWU_MONGO_URL").set_defaults(func=cmd_env)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``devstack`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except DevstackError as e:
        sys.stderr.write(f"devstack: {e}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("devstack: interrupted\n")
        return 130

"""``jingwu-console``: serve the console; ``jingwu-console build``: build the single-page app first.

Settings come from the environment (``JINGWU_DISTRICT``, ``JINGWU_AUTH_SECRET``, the services'
addresses, see settings.py). On start it prints one line for people and supervisors:
``jingwu-console district=01 http=http://127.0.0.1:8080/ ready``.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from aiohttp import web
from jingwu_platform.logs import configure_logging

from jingwu_console.app import build_app
from jingwu_console.settings import ConsoleSettings


async def serve(settings: ConsoleSettings) -> None:
    runner = web.AppRunner(build_app(settings), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.console_host, settings.console_port)
    await site.start()
    host, port = runner.addresses[0][:2]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104 - a display name only
    print(  # noqa: T201 - the one human-facing line; logs go to stderr
        f"jingwu-console district={settings.district} http=http://{shown}:{port}/ ready", flush=True
    )
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def run() -> None:
    if sys.argv[1:2] == ["build"]:
        from jingwu_console.build import main as build_main

        raise SystemExit(build_main(sys.argv[2:]))
    settings = ConsoleSettings()  # type: ignore[call-arg]  # from the environment
    configure_logging("console", settings.district, settings.log_level)
    asyncio.run(serve(settings))


if __name__ == "__main__":
    run()

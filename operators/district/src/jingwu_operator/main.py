"""``jingwu-operator``: run the District operator (cluster-wide, standalone, liveness probe)."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Sequence

import kopf

from jingwu_operator.config import OperatorConfig
from jingwu_operator.handlers import configure, register


async def operate(
    config: OperatorConfig,
    *,
    liveness: str | None = None,
    stop_flag: asyncio.Event | None = None,
    ready_flag: asyncio.Event | None = None,
) -> None:
    registry = kopf.OperatorRegistry()
    register(registry, config)
    settings = kopf.OperatorSettings()
    configure(settings)
    await kopf.operator(
        registry=registry,
        settings=settings,
        clusterwide=True,
        standalone=True,
        liveness_endpoint=liveness,
        stop_flag=stop_flag,
        ready_flag=ready_flag,
    )


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="jingwu-operator", description=__doc__)
    parser.add_argument(
        "--liveness", default="http://0.0.0.0:8080/healthz", help="liveness endpoint ('' = none)"
    )
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    kopf.configure(verbose=args.verbose, log_format=kopf.LogFormat.JSON, log_prefix=True)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # failures are reported in conditions
    asyncio.run(operate(OperatorConfig.from_env(), liveness=args.liveness or None))


if __name__ == "__main__":
    run()

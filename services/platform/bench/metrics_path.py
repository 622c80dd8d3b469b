"""Benchmark of the metrics path (jingwu_platform.metrics, rpc_metrics). Not a test: it asserts nothing
and prints a Markdown table.

    .venv/bin/python services/platform/bench/metrics_path.py [--calls 100000] [--methods 22]

- the cost the RPC interceptor adds per call (the counter and the histogram, attributes cached), and a
  whole unary call through a real gRPC server with and without the interceptor;
- one scrape of /metrics over HTTP with every (method, code) series of a busy service present (methods
  x 3 status codes), the Kafka path's instruments and the process figures: size, lines, time;
- starting and stopping the endpoint (its thread stops within one 50 ms poll).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import urllib.request
from typing import Any

import grpc
from jingwu_platform.kafka_metrics import kafka_instruments
from jingwu_platform.metrics import MetricsEndpoint, install_metrics
from jingwu_platform.rpc_metrics import RpcInstruments, RpcMetricsInterceptor
from jingwu_platform.settings import ServiceSettings
from pydantic import SecretStr

CODES = (grpc.StatusCode.OK, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND)


def _identity(value: bytes) -> bytes:
    return value


async def _echo(request: bytes, context: Any) -> bytes:
    return request


async def _unary_calls(calls: int, interceptors: list[grpc.aio.ServerInterceptor]) -> float:
    """Microseconds per sequential unary call over loopback."""
    server = grpc.aio.server(interceptors=interceptors)
    handler = grpc.unary_unary_rpc_method_handler(_echo, _identity, _identity)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("b.v1.B", {"Echo": handler}),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo = channel.unary_unary("/b.v1.B/Echo", _identity, _identity)
            for _ in range(200):
                await echo(b"x")
            started = time.perf_counter()
            for _ in range(calls):
                await echo(b"x")
            return (time.perf_counter() - started) / calls * 1e6
    finally:
        await server.stop(0)


async def main(calls: int, methods: int) -> None:
    install_metrics(ServiceSettings(service_name="bench", district="07", auth_secret=SecretStr("x")))
    kafka_instruments()
    instruments = RpcInstruments()
    names = [f"jingwu.rooms.v1.RoomRegistryService/Method{n}" for n in range(methods)]
    started = time.perf_counter()
    for k in range(calls):
        instruments.record(names[k % methods], CODES[k % len(CODES)], 0.01)
    record_us = (time.perf_counter() - started) / calls * 1e6

    grpc_calls = max(calls // 50, 500)
    plain = await _unary_calls(grpc_calls, [])
    measured = await _unary_calls(grpc_calls, [RpcMetricsInterceptor(instruments)])

    endpoint = MetricsEndpoint()
    t0 = time.perf_counter()
    await endpoint.start()
    start_ms = (time.perf_counter() - t0) * 1000
    url = f"http://{endpoint.address}/metrics"
    times, body = [], b""
    for _ in range(20):
        t0 = time.perf_counter()
        body = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=10).read())
        times.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    await endpoint.stop()
    stop_ms = (time.perf_counter() - t0) * 1000

    rows = [
        ("record one call (counter + histogram)", f"{record_us:.1f} µs"),
        (f"unary call over loopback, no interceptor ({grpc_calls} calls)", f"{plain:.0f} µs"),
        ("the same with RpcMetricsInterceptor", f"{measured:.0f} µs"),
        (
            f"scrape with {methods} methods x {len(CODES)} codes",
            f"{len(body)} bytes, {len(body.splitlines())} lines",
        ),
        ("scrape time, median / max of 20", f"{statistics.median(times):.1f} / {max(times):.1f} ms"),
        ("endpoint start / stop", f"{start_ms:.1f} / {stop_ms:.1f} ms"),
    ]
    print("| what | measured |\n| --- | --- |")  # noqa: T201 - the benchmark's output
    for what, value in rows:
        print(f"| {what} | {value} |")  # noqa: T201


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--methods", type=int, default=22)
    args = parser.parse_args()
    asyncio.run(main(args.calls, args.methods))

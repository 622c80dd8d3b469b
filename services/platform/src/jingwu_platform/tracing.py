"""OpenTelemetry setup and W3C trace-context helpers shared by gRPC, Kafka and the outbox.

Trace context crosses gRPC through the OpenTelemetry gRPC interceptors and Kafka through FastStream's
telemetry middleware (``traceparent`` header). The outbox stores the ``traceparent`` of the request that
wrote an event, so the relay's publish span joins that request's trace even though it runs later.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.instrumentation.pymongo import PymongoInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from jingwu_platform.settings import ServiceSettings

_PROPAGATOR = TraceContextTextMapPropagator()


class JsonLinesSpanExporter(SpanExporter):
    """Appends one JSON object per finished span to a file: the local, dependency-free trace store.

    ``make run`` and the end-to-end tests read it to show and check that one trace spans every hop.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        lines = []
        for span in spans:
            ctx = span.get_span_context()
            if ctx is None:
                continue
            lines.append(
                json.dumps(
                    {
                        "trace_id": format(ctx.trace_id, "032x"),
                        "span_id": format(ctx.span_id, "016x"),
                        "parent_span_id": format(span.parent.span_id, "016x") if span.parent else None,
                        "name": span.name,
                        "kind": span.kind.name,
                        "service": span.resource.attributes.get("service.name"),
                        "start_ns": span.start_time,
                        "end_ns": span.end_time,
                        "status": span.status.status_code.name,
                        "attributes": dict(span.attributes or {}),
                    },
                    ensure_ascii=False,
                    default=str,
                )
            )
        with self._lock, self._path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def configure_tracing(settings: ServiceSettings) -> TracerProvider:
    """Install the process-wide tracer provider once (later calls reuse it) and trace MongoDB commands.

    Call before creating Mongo clients: pymongo applies global command listeners to new clients only.
    """
    if not PymongoInstrumentor().is_instrumented_by_opentelemetry:
        PymongoInstrumentor().instrument()
    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    resource = Resource.create(
        {
            "service.name": f"jingwu-{settings.service_name}",
            "service.namespace": "jingwu",
            "jingwu.district": settings.district,
            "process.pid": os.getpid(),
        }
    )
    provider = TracerProvider(resource=resource)
    if settings.trace_exporter == "file":
        # Simple (synchronous) processor: the file is the local trace store and must be complete when
        # a process is killed, which is exactly what the crash tests do.
        provider.add_span_processor(SimpleSpanProcessor(JsonLinesSpanExporter(settings.trace_file)))
    elif settings.trace_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.otlp_endpoint or None))
        )
    elif settings.trace_exporter == "console":
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def current_traceparent() -> dict[str, str]:
    """The W3C ``traceparent`` (and ``tracestate``) of the active span, as headers; empty if none."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier


@contextmanager
def attached_trace(carrier: Mapping[str, str]) -> Iterator[None]:
    """Run a block inside the trace context carried by ``carrier`` (e.g. stored with an outbox entry)."""
    # A fresh base context: nothing of the caller's context (e.g. suppressed instrumentation) leaks in.
    token = otel_context.attach(_PROPAGATOR.extract(dict(carrier), context=otel_context.Context()))
    try:
        yield
    finally:
        otel_context.detach(token)


def tracer(name: str) -> trace.Tracer:
    return trace.get_tracer(name)

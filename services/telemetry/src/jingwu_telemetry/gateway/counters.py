"""What the gateways count, exported through the OpenTelemetry metrics API (meter ``jingwu.telemetry``).

The hot path only adds to plain integers here (no metric call per frame); observable counters read
them when the process's metrics endpoint is scraped (a no-op until the process installs an SDK
MeterProvider). Names:

- ``jingwu.jt808.frames`` ({frame}; message = hex message id, outcome = answered/ignored/...)
- ``jingwu.jt808.frames.rejected`` ({frame}; reason = jt808.Reason: bad_check_code, length_mismatch, …)
- ``jingwu.jt808.refused`` ({frame}; why = unauthenticated/unknown_device/rate_limited/overloaded/
  publish_failed/…)
- ``jingwu.jt808.connections`` ({connection}; event = opened/closed/idle_timeout/flood)
- ``jingwu.gateway.fixes.published`` ({fix}; gateway = jt808/handheld)
- ``jingwu.handheld.requests`` ({request}; status = HTTP status)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

METER = "jingwu.telemetry"


class GatewayCounters:
    def __init__(self, gateway: str) -> None:
        self.gateway = gateway
        self.frames: Counter[tuple[str, str]] = Counter()
        self.rejected: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()
        self.connections: Counter[str] = Counter()
        self.published = 0
        self.requests: Counter[int] = Counter()
        meter = metrics.get_meter(METER)
        meter.create_observable_counter(
            "jingwu.jt808.frames", [self._frames], unit="{frame}", description="JT/T 808 frames decoded."
        )
        meter.create_observable_counter(
            "jingwu.jt808.frames.rejected",
            [self._rejected],
            unit="{frame}",
            description="JT/T 808 frames the decoder refused, by reason.",
        )
        meter.create_observable_counter(
            "jingwu.jt808.refused",
            [self._refused],
            unit="{frame}",
            description="Well-formed frames refused (unauthenticated, unknown device, rate limit, overload).",
        )
        meter.create_observable_counter(
            "jingwu.jt808.connections",
            [self._connections],
            unit="{connection}",
            description="Connection events.",
        )
        meter.create_observable_counter(
            "jingwu.gateway.fixes.published",
            [self._published],
            unit="{fix}",
            description="Fixes acknowledged by Kafka.",
        )
        meter.create_observable_counter(
            "jingwu.handheld.requests",
            [self._requests],
            unit="{request}",
            description="Handheld HTTP requests.",
        )

    def frame(self, message_id: int, outcome: str) -> None:
        self.frames[(f"0x{message_id:04x}", outcome)] += 1

    def _frames(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"message": m, "outcome": o}) for (m, o), n in list(self.frames.items())]

    def _rejected(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"reason": r}) for r, n in list(self.rejected.items())]

    def _refused(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"why": w}) for w, n in list(self.refused.items())]

    def _connections(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"event": e}) for e, n in list(self.connections.items())]

    def _published(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(self.published, {"gateway": self.gateway})]

    def _requests(self, options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(n, {"status": str(s)}) for s, n in list(self.requests.items())]

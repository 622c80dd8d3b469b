"""The cyclic garbage collector's schedule for processes that hold many live objects.

CPython collects its youngest generation every 700 allocations (net) and, every so often, all of them:
a pass over every tracked object the process holds. A JT/T 808 gateway with 10,000 connected terminals
holds their sessions, buffers, streams and the fixes awaiting Kafka, and allocates several objects per
frame; measured with 10,000 terminals reporting every 5 s (2,000 reports/s offered, the gateway in one
process on two shared cores), the default schedule left it answering 895–1,240 reports/s with a p50 of
18–21 s, and with this schedule it answered all 2,000/s with a p50 of 22 ms (docs/benchmarks.md,
telemetry). The work between frames makes few reference cycles, so fewer passes lose nothing but some
memory held a little longer; reference counting still frees everything else at once.
"""

from __future__ import annotations

import gc

# Allocations (net) between collections of the youngest generation; CPython's default is 700.
FIRST_GENERATION = 100_000
# Collections of a generation between collections of the next (CPython: 10 and 10).
OLDER_GENERATIONS = (20, 100)


def relax_collection() -> None:
    """Collect less often; call once at process start."""
    gc.set_threshold(FIRST_GENERATION, *OLDER_GENERATIONS)


def freeze_startup_objects() -> None:
    """Move everything start-up allocated (modules, descriptors, settings, clients) out of the
    collector's passes for good; call once the process is started, before it serves."""
    gc.collect()
    gc.freeze()

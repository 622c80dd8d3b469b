"""The collector's schedule for processes with many live objects (jingwu_platform.gc_tuning; the
gateways use it, measured in docs/benchmarks.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from jingwu_platform.gc_tuning import FIRST_GENERATION, freeze_startup_objects, relax_collection


@pytest.fixture
def restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored")
def test_the_youngest_generation_is_collected_far_less_often() -> None:
    relax_collection()
    assert gc.get_threshold()[0] == FIRST_GENERATION > 700 * 100


@pytest.mark.usefixtures("restored")
def test_what_start_up_made_leaves_the_collectors_passes() -> None:
    held = [[n] for n in range(1000)]  # objects a process made while starting
    freeze_startup_objects()
    assert gc.get_freeze_count() >= len(held)
